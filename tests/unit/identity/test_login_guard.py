"""The login guard: a busy hashing pool refuses at once, tokens and marks are signed, limits apply in order."""

from __future__ import annotations

import asyncio
import threading
import time

from firebell.identity.login_guard import LoginGuard, Refusal, address_key, default_slots, password_stamp


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


def _another_secrets_guard() -> LoginGuard:
    return LoginGuard(
        secret=b"other", slots=1, per_address_per_minute=0, address_burst=1, email_free_failures=0, email_max_delay=0
    )


def test_a_check_finding_every_slot_busy_is_refused_at_once_unless_marked_and_the_slot_comes_back() -> None:
    guard, release, started = _guard(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "checked"

    async def scenario() -> tuple[object, ...]:
        first = asyncio.ensure_future(guard.check(slow))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        began = time.perf_counter()
        busy = await guard.check(lambda: "never run")
        took = time.perf_counter() - began
        hints = (guard.busy(), guard.busy(marked=True))
        # A login with a valid device mark for the email typed takes the slot kept for such logins.
        marked = await guard.check(lambda: "owner", marked=True)
        release.set()
        return await first, busy, took, hints, marked, await guard.check(lambda: "again")

    try:
        done, busy, took, hints, marked, again = asyncio.run(scenario())
    finally:
        guard.close()
    assert (done, hints, marked) == ("checked", (True, False), "owner")
    assert isinstance(busy, Refusal)
    assert (busy.status, busy.reason, busy.retry_after) == (503, "hashing_busy", 1.0)
    assert took < 0.1  # not queued behind the running check
    assert again == "again"


def test_limits_per_address_whatever_the_email_then_per_email_unless_the_browser_is_known() -> None:
    guard = _guard()
    assert [guard.admit("10.0.0.1", f"u{n}@x", marked=False) for n in range(3)] == [None, None, None]
    refused = guard.admit("10.0.0.1", "u9@x", marked=False)
    assert refused is not None
    assert (refused.status, refused.reason) == (429, "address_limit")
    guard.outcome("pat@x", ok=False)
    guard.outcome("pat@x", ok=False)
    slowed = guard.admit("10.0.0.2", "pat@x", marked=False)
    assert slowed is not None
    assert slowed.reason == "email_slowdown"
    assert guard.admit("10.0.0.3", "pat@x", marked=True) is None
    guard.close()


def test_an_ipv6_client_counts_as_its_64_and_an_ipv4_client_as_its_address() -> None:
    guard = _guard()
    # One host holds a whole /64: new addresses in it share one allowance.
    answers = [guard.admit(f"2001:db8:1:2::{n:x}", f"u{n}@x", marked=False) for n in range(4)]
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None
    assert answers[3].reason == "address_limit"
    assert guard.admit("2001:db8:1:3::1", "u@x", marked=False) is None  # the next /64 is another client
    assert guard.admit("10.0.0.9", "u@x", marked=False) is None
    assert address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64"
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert address_key("10.0.0.1") == "10.0.0.1"
    assert address_key("testclient") == "testclient"
    guard.close()


def test_a_login_refused_for_busy_slots_takes_from_its_address_allowance() -> None:
    guard = _guard()
    answers = [guard.refuse_busy("10.0.0.1").status for _ in range(4)]
    assert answers == [503, 503, 503, 429]
    refused = guard.admit("10.0.0.1", "pat@x", marked=False)
    assert refused is not None
    assert refused.reason == "address_limit"
    guard.close()


def test_a_device_mark_names_its_email_and_the_password_it_was_issued_with() -> None:
    guard, other = _guard(), _another_secrets_guard()
    before = password_stamp("$argon2id$old")
    mark = guard.device_mark("pat@x", before)
    read = guard.read_mark(mark)
    assert read is not None
    assert (read.email, read.stamp) == ("pat@x", before)
    assert read.stamp != password_stamp("$argon2id$new")  # a new password: the mark no longer matches
    signature, _stamp, named = mark.split(".")
    assert guard.read_mark(f"{signature}.{password_stamp('$argon2id$new')}.{named}") is None  # stamp swapped
    sam = guard.device_mark("sam@x", before).split(".")[2]
    assert guard.read_mark(f"{signature}.{before}.{sam}") is None  # email swapped
    assert guard.read_mark(other.device_mark("pat@x", before)) is None
    assert [guard.read_mark(junk) for junk in ("", "a.b", "a.b.!!", mark + ".x")] == [None] * 4
    guard.close()
    other.close()


def test_form_tokens_are_bound_to_their_nonce_and_the_secret() -> None:
    guard, other = _guard(), _another_secrets_guard()
    nonce = guard.new_nonce()
    assert guard.form_token_ok(nonce, guard.form_token(nonce))
    assert not guard.form_token_ok(guard.new_nonce(), guard.form_token(nonce))
    assert not guard.form_token_ok(nonce, other.form_token(nonce))
    assert not guard.form_token_ok("", guard.form_token(""))
    assert [default_slots(n) for n in (None, 1, 2, 8)] == [1, 1, 1, 7]
    guard.close()
    other.close()
