"""Identifiers: time-ordered, URL-safe, and secrets that are shown once and stored hashed."""

from __future__ import annotations

import hashlib
import os
import secrets
import time


def new_id() -> str:
    """A 26-character id that sorts by creation time (48-bit ms timestamp + 80 random bits)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return _crockford(value, 26)


_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _crockford(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_secret(prefix: str = "", nbytes: int = 16) -> str:
    """A random secret, hex-encoded (so 32 characters for 16 bytes, the PagerDuty key length)."""
    return prefix + secrets.token_hex(nbytes)


def secret_digest(secret: str) -> str:
    """The at-rest form of a high-entropy secret: its SHA-256 hex digest."""
    return hashlib.sha256(secret.encode()).hexdigest()
