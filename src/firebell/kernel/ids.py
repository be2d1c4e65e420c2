"""Identifiers: time-ordered, URL-safe, and secrets that are shown once and stored hashed."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import secrets
import time

_random = random.Random(os.urandom(32))  # noqa: S311 - ids need uniqueness, not secrecy
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz")


def new_id() -> str:
    """A 26-character id that sorts by creation time (48-bit ms timestamp + 80 random bits).

    Base32 in Crockford's lower-case alphabet, whose characters sort in the order of their values.
    """
    value = (time.time_ns() // 1_000_000) << 80 | _random.getrandbits(80)
    return base64.b32encode(value.to_bytes(16, "big"))[:26].translate(_TO_CROCKFORD).decode()


def new_secret(prefix: str = "", nbytes: int = 16) -> str:
    """A random secret, hex-encoded (so 32 characters for 16 bytes, the PagerDuty key length)."""
    return prefix + secrets.token_hex(nbytes)


def secret_digest(secret: str) -> str:
    """The at-rest form of a high-entropy secret: its SHA-256 hex digest."""
    return hashlib.sha256(secret.encode()).hexdigest()
