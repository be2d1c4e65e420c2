"""Identifiers: time-ordered, URL-safe, and secrets that are shown once and stored hashed."""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import time

_random = random.Random(os.urandom(32))  # noqa: S311 - ids need uniqueness, not secrecy
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = [a + b for a in CROCKFORD for b in CROCKFORD]  # every 10-bit value as two characters


def new_id() -> str:
    """A 26-character id that sorts by creation time (48-bit ms timestamp + 80 random bits).

    Base32 in Crockford's lower-case alphabet, whose characters sort in the order of their values:
    the 128 bits, padded to 130, read as 13 ten-bit pairs (written out: intake makes one per alert).
    """
    v = ((time.time_ns() // 1_000_000) << 82) | (_random.getrandbits(80) << 2)
    p = _PAIRS
    return (
        p[v >> 120]
        + p[(v >> 110) & 1023]
        + p[(v >> 100) & 1023]
        + p[(v >> 90) & 1023]
        + p[(v >> 80) & 1023]
        + p[(v >> 70) & 1023]
        + p[(v >> 60) & 1023]
        + p[(v >> 50) & 1023]
        + p[(v >> 40) & 1023]
        + p[(v >> 30) & 1023]
        + p[(v >> 20) & 1023]
        + p[(v >> 10) & 1023]
        + p[v & 1023]
    )


def new_secret(prefix: str = "", nbytes: int = 16) -> str:
    """A random secret, hex-encoded (so 32 characters for 16 bytes, the PagerDuty key length)."""
    return prefix + secrets.token_hex(nbytes)


def secret_digest(secret: str) -> str:
    """The at-rest form of a high-entropy secret: its SHA-256 hex digest."""
    return hashlib.sha256(secret.encode()).hexdigest()


MAX_NUMBER = 2**31 - 1  # incident, action item and drill numbers are 32-bit integers in the database


def parse_number(text: str) -> int | None:
    """A reference's number (`42`), or None when `text` is not one: ASCII digits only (`¹` and `٣`
    are digits to Python, not numbers to people), and small enough to be stored."""
    if not text or len(text) > 10 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_NUMBER else None
