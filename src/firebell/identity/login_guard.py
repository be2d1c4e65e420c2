"""What stands in front of a password check: limits, a bounded pool for the hashing, and tokens.

A password check costs a fraction of a second of CPU and 64 MiB (Argon2id), so whoever can ask for
checks can take the CPU from alert intake. In front of each check, in this order:
- the login form's CSRF token (a signed double-submit cookie: no session exists yet);
- a limit per client address, whatever the email (new emails are no way around it);
- a limit per client address and email;
- a growing delay per email after failed tries (FailureBackoff): a slow-down, and one a browser that
  logged in as that email before skips (its signed device mark), so no one can keep the owner out;
- a free hashing slot: the checks run on a few threads of their own, niced below the event loop,
  and when every slot is busy the answer is 503 at once (never a queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import hmac
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
        self._pool = ThreadPoolExecutor(slots, thread_name_prefix="firebell-hash", initializer=_nice_thread)
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

    def device_mark(self, email: str) -> str:
        """What a browser keeps after logging in as `email`: it is spared that email's slow-down."""
        return self._sign(b"device", email)

    def admit(self, client: str, email: str, device_mark: str) -> Refusal | None:
        """The limits a login from `client` as `email` must pass before its password is checked."""
        now = self._monotonic()
        wait = self.per_address.take(client, now)
        if wait:
            return Refusal(429, "address_limit", wait, "too many login attempts from your address")
        wait = self.per_address_email.take(f"{client}|{email}", now)
        if wait:
            return Refusal(429, "address_email_limit", wait, "too many login attempts")
        known = hmac.compare_digest(self.device_mark(email).encode(), device_mark.encode())
        wait = 0.0 if known else self.per_email.wait(email, now)
        if wait:
            return Refusal(429, "email_slowdown", wait, "too many failed logins to this account")
        return None

    async def check(self, work: Callable[[], T]) -> T | Refusal:
        """Run `work` (the password check) on a hashing thread, or refuse at once when none is free."""
        if not self._free.acquire(blocking=False):
            return BUSY

        def held() -> T:
            try:
                return work()
            finally:
                self._free.release()  # here, not in the caller: a cancelled request must not free it early

        try:
            # In this request's context: what the check records (its audit scope) is the request's.
            future = self._pool.submit(contextvars.copy_context().run, held)
        except RuntimeError:  # the pool is shut down
            self._free.release()
            raise
        return await asyncio.wrap_future(future)

    def busy(self) -> bool:
        """Every hashing slot taken (a hint: `check` decides), so a flood is refused before its body is read."""
        if self._free.acquire(blocking=False):
            self._free.release()
            return False
        return True

    def outcome(self, email: str, *, ok: bool) -> None:
        if ok:
            self.per_email.succeeded(email)
        else:
            self.per_email.failed(email, self._monotonic())
