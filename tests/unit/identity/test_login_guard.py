"""The login guard: a busy hashing pool refuses at once, tokens and marks are signed, limits apply in order."""

from __future__ import annotations

import asyncio
import threading
import time

from firebell.identity.login_guard import LoginGuard, Refusal, default_slots


def _guard(**options: float) -> LoginGuard:
    settings: dict[str, float] = {"per_address_per_minute": 60, "address_burst": 3, "email_free_failures": 1}
    settings.update(options)
    return LoginGuard(
        secret=b"k",
        slots=1,
        per_address_per_minute=settings["per_address_per_minute"],
        address_burst=int(settings["address_burst"]),
        email_free_failures=int(settings["email_free_failures"]),
        email_max_delay=30,
        monotonic=lambda: 0.0,
    )


def test_a_check_finding_every_slot_busy_is_refused_at_once_and_the_slot_comes_back() -> None:
    guard, release, started = _guard(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "checked"

    async def scenario() -> tuple[object, object, float, object]:
        first = asyncio.ensure_future(guard.check(slow))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        began = time.perf_counter()
        busy = await guard.check(lambda: "never run")
        took = time.perf_counter() - began
        release.set()
        return await first, busy, took, await guard.check(lambda: "again")

    try:
        done, busy, took, again = asyncio.run(scenario())
    finally:
        guard.close()
    assert done == "checked"
    assert isinstance(busy, Refusal)
    assert (busy.status, busy.reason, busy.retry_after) == (503, "hashing_busy", 1.0)
    assert took < 0.1  # not queued behind the running check
    assert again == "again"


def test_limits_per_address_whatever_the_email_then_per_email_unless_the_browser_is_known() -> None:
    guard = _guard()
    assert [guard.admit("10.0.0.1", f"u{n}@x", "") for n in range(3)] == [None, None, None]
    refused = guard.admit("10.0.0.1", "u9@x", "")
    assert refused is not None
    assert (refused.status, refused.reason) == (429, "address_limit")
    guard.outcome("pat@x", ok=False)
    guard.outcome("pat@x", ok=False)
    slowed = guard.admit("10.0.0.2", "pat@x", "")
    assert slowed is not None
    assert slowed.reason == "email_slowdown"
    assert guard.admit("10.0.0.3", "pat@x", guard.device_mark("pat@x")) is None
    assert guard.admit("10.0.0.4", "pat@x", guard.device_mark("sam@x")) is not None  # another email's mark
    guard.close()


def test_form_tokens_are_bound_to_their_nonce_and_the_secret() -> None:
    guard, other = (
        _guard(),
        LoginGuard(
            secret=b"other",
            slots=1,
            per_address_per_minute=0,
            address_burst=1,
            email_free_failures=0,
            email_max_delay=0,
        ),
    )
    nonce = guard.new_nonce()
    assert guard.form_token_ok(nonce, guard.form_token(nonce))
    assert not guard.form_token_ok(guard.new_nonce(), guard.form_token(nonce))
    assert not guard.form_token_ok(nonce, other.form_token(nonce))
    assert not guard.form_token_ok("", guard.form_token(""))
    assert [default_slots(n) for n in (None, 1, 2, 8)] == [1, 1, 1, 7]
    guard.close()
    other.close()
