"""What stands in front of a password check: limits, a bounded pool for the hashing, and tokens.

A password check costs a fraction of a second of CPU and 64 MiB (Argon2id), so whoever can ask for
checks can take the CPU from alert intake. In front of each check, in this order:
- the login form's CSRF token (a signed double-submit cookie: no session exists yet);
- a limit per client address, whatever the email (new emails are no way around it; an IPv6 client
  counts as its /64, which one host can fill with addresses);
- a limit per client address and email;
- a growing delay per email after failed tries (FailureBackoff): a slow-down, and one a browser that
  logged in as that email before skips (its signed device mark, bound to the password it logged in
  with: a password change voids it), so no one can keep the owner out;
- a free hashing slot: the checks run on a few threads of their own, niced below the event loop,
  and when every slot is busy the answer is 503 at once (never a queue). One more slot is kept for
  logins carrying a valid device mark for the email typed, so a flood filling the others does not
  keep the owner out either; and a refused attempt still counts against its address's limit.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import contextvars
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from firebell.kernel.ratelimit import FailureBackoff, RateLimiter

T = TypeVar("T")

HASHING_NICE = 10  # hashing threads yield the CPU to the event loop (intake, pages)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a login was not even checked: an HTTP status (429 or 503), a reason for the security log."""

    status: int
    reason: str
    retry_after: float
    message: str


BUSY = Refusal(503, "hashing_busy", 1.0, "the server is busy checking other logins")


@dataclass(frozen=True, slots=True)
class DeviceMark:
    """What a signed device mark says: the email logged in as, and a digest of its password then."""

    email: str
    stamp: str


def address_key(client: str) -> str:
    """What the per-address limits count by: an IPv4 address, or an IPv6 client's /64 (one host
    commonly holds a whole /64, so counting single IPv6 addresses would set no limit at all)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def password_stamp(password_hash: str) -> str:
    """A short digest of a stored password hash: a device mark names it, so a new password voids it."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _nice_thread() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux: the thread keeps the process's priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICE)


def default_slots(cpus: int | None) -> int:
    """One hashing slot per CPU beyond the first, at least one."""
    return max(1, (cpus or 1) - 1)


class LoginGuard:
    def __init__(
        self,
        *,
        secret: bytes,
        slots: int,
        per_address_per_minute: float,
        address_burst: int,
        email_free_failures: int,
        email_max_delay: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._key = hmac.new(secret, b"firebell login", hashlib.sha256).digest()
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)
        self._reserved = threading.BoundedSemaphore(1)  # only for logins with a valid device mark
        self._pool = ThreadPoolExecutor(slots + 1, thread_name_prefix="firebell-hash", initializer=_nice_thread)
        self.per_address = RateLimiter(per_address_per_minute / 60, address_burst)
        # Password guesses on one email from one address: ten in a row, then one a minute.
        self.per_address_email = RateLimiter(1 / 60, 10)
        self.per_email = FailureBackoff(email_free_failures, email_max_delay)
        self._monotonic = monotonic

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _sign(self, purpose: bytes, value: str) -> str:
        return hmac.new(self._key, purpose + b"\0" + value.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(18)

    def form_token(self, nonce: str) -> str:
        """The login form's CSRF token for the cookie's `nonce`."""
        return self._sign(b"csrf", nonce)

    def form_token_ok(self, nonce: str, token: str) -> bool:
        return bool(nonce) and hmac.compare_digest(self.form_token(nonce).encode(), token.encode())

    def device_mark(self, email: str, stamp: str) -> str:
        """What a browser keeps after logging in as `email` with the password whose stamp is `stamp`
        (password_stamp): it is spared that email's slow-down, and the mark names the email so the
        login front can tell a marked login before the body is read."""
        named = base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")
        return f"{self._sign(b'device', f'{stamp}:{email}')}.{stamp}.{named}"

    def read_mark(self, cookie: str) -> DeviceMark | None:
        """The mark in a device cookie when its signature is good (whether its password is still
        the current one is for the caller, who can look it up)."""
        parts = cookie.split(".")
        if len(parts) != 3 or len(cookie) > 600:
            return None
        signature, stamp, named = parts
        try:
            email = base64.urlsafe_b64decode(named + "=" * (-len(named) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        expected = self._sign(b"device", f"{stamp}:{email}")
        return DeviceMark(email, stamp) if hmac.compare_digest(expected.encode(), signature.encode()) else None

    def admit(self, client: str, email: str, *, marked: bool) -> Refusal | None:
        """The limits a login from `client` as `email` must pass before its password is checked;
        `marked` when it carries a valid device mark for `email` (its password unchanged since)."""
        now = self._monotonic()
        wait = self.per_address.take(address_key(client), now)
        if wait:
            return Refusal(429, "address_limit", wait, "too many login attempts from your address")
        wait = self.per_address_email.take(f"{address_key(client)}|{email}", now)
        if wait:
            return Refusal(429, "address_email_limit", wait, "too many login attempts")
        wait = 0.0 if marked else self.per_email.wait(email, now)
        if wait:
            return Refusal(429, "email_slowdown", wait, "too many failed logins to this account")
        return None

    def refuse_busy(self, client: str) -> Refusal:
        """A login refused at the front while every slot is busy: it still takes from its address's
        allowance, so a flooder's refused attempts count, and one over it hears 429, not 503."""
        wait = self.per_address.take(address_key(client), self._monotonic())
        if wait:
            return Refusal(429, "address_limit", wait, "too many login attempts from your address")
        return BUSY

    async def check(self, work: Callable[[], T], *, marked: bool = False) -> T | Refusal:
        """Run `work` (the password check) on a hashing thread, or refuse at once when none is free;
        a `marked` login (a valid device mark for the email typed) may also take the reserved slot."""
        held_slot = self._free if self._free.acquire(blocking=False) else None
        if held_slot is None and marked and self._reserved.acquire(blocking=False):
            held_slot = self._reserved
        if held_slot is None:
            return BUSY
        slot = held_slot

        def held() -> T:
            try:
                return work()
            finally:
                slot.release()  # here, not in the caller: a cancelled request must not free it early

        try:
            # In this request's context: what the check records (its audit scope) is the request's.
            future = self._pool.submit(contextvars.copy_context().run, held)
        except RuntimeError:  # the pool is shut down
            slot.release()
            raise
        return await asyncio.wrap_future(future)

    def busy(self, *, marked: bool = False) -> bool:
        """Every hashing slot taken (a hint: `check` decides), so a flood is refused before its body
        is read; for a `marked` login, the reserved slot too."""
        for semaphore in (self._free, self._reserved) if marked else (self._free,):
            if semaphore.acquire(blocking=False):
                semaphore.release()
                return False
        return True

    def outcome(self, email: str, *, ok: bool) -> None:
        if ok:
            self.per_email.succeeded(email)
        else:
            self.per_email.failed(email, self._monotonic())
