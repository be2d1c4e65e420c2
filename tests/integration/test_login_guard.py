"""Password login against an attacker: the form's CSRF token, limits per address and per email that
no one can turn into a lockout of someone else, timing that does not tell who exists, and a record
of what happened (the audit log for logins, the security log for failures and refusals)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from firebell.bootstrap import bootstrap
from firebell.identity.model import Role
from firebell.identity.passwords import hash_password
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_user
from firebell.infra import migrate
from firebell.infra.db import transaction
from firebell.infra.settings import LoginSettings, Settings
from firebell.kernel.clock import ManualClock
from firebell.web.app import create_app
from tests.integration.conftest import App
from tests.web_login import form_token, log_in

PASSWORD = "pw-123456"


def _app(database_url: str, login: LoginSettings) -> Iterator[App]:
    clock = ManualClock()
    settings = Settings(database_url=database_url, sqlite_synchronous="NORMAL", login=login)
    container = bootstrap(settings, clock=clock)
    migrate.upgrade(container.engine)
    with transaction(container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        create_user(repo=repo, email="pat@example.com", password=PASSWORD, role=Role.RESPONDER, now=clock.now())
        create_user(repo=repo, email="sso@example.com", password=PASSWORD, role=Role.RESPONDER, now=clock.now())
        repo.update_user(str(repo.user_by_email("sso@example.com")["id"]), {"password_hash": ""})  # type: ignore[index]
    with TestClient(create_app(container)) as client:
        yield App(client, container, clock, "")
    container.engine.dispose()


def _browser(app: App) -> TestClient:
    """Another browser on the same app (its own cookies; the app's lifespan stays with the first)."""
    return TestClient(app.client.app)


@pytest.fixture
def guarded(database_url: str) -> Iterator[App]:
    yield from _app(database_url, LoginSettings(per_address_per_minute=0, email_free_failures=2))


def test_a_login_post_without_the_forms_token_is_refused(guarded: App, caplog: pytest.LogCaptureFixture) -> None:
    bare = guarded.client.post("/login", data={"email": "pat@example.com", "password": PASSWORD})
    assert bare.status_code == 403
    assert "CSRF token is missing or stale" in bare.text
    forged = guarded.client.post(
        "/login", data={"email": "pat@example.com", "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403
    # Another browser's token does not go with this browser's cookie.
    token = form_token(_browser(guarded))
    guarded.client.get("/login")
    stolen = guarded.client.post("/login", data={"email": "pat@example.com", "password": PASSWORD, "csrf_token": token})
    assert stolen.status_code == 403
    assert log_in(guarded.client, "pat@example.com", PASSWORD, follow_redirects=False).status_code == 303
    assert any(getattr(r, "reason", "") == "csrf" for r in caplog.records if r.name == "firebell.security")


def test_new_emails_from_one_address_meet_the_address_limit(database_url: str) -> None:
    for app in _app(database_url, LoginSettings(per_address_per_minute=1, address_burst=3)):
        answers = [log_in(app.client, f"nobody-{n}@example.com", "guess-123").status_code for n in range(5)]
        assert answers[:3] == [401, 401, 401]
        assert answers[3:] == [429, 429]
        limited = log_in(app.client, "pat@example.com", PASSWORD)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1


def test_failed_logins_slow_an_email_down_but_never_keep_its_owner_out(guarded: App) -> None:
    owner = guarded.client
    assert log_in(owner, "pat@example.com", PASSWORD, follow_redirects=False).status_code == 303
    owner.cookies.delete("firebell_session")
    attacker = _browser(guarded)
    answers = [log_in(attacker, "pat@example.com", f"guess-{n}").status_code for n in range(5)]
    assert answers[:3] == [401, 401, 401]
    assert 429 in answers[3:]
    slowed = log_in(attacker, "pat@example.com", PASSWORD)
    assert slowed.status_code == 429  # even the right password waits: the wait tells nothing
    assert "too many failed logins" in slowed.text
    # The owner's browser logged in as pat before: it is not made to wait.
    assert log_in(owner, "pat@example.com", PASSWORD, follow_redirects=False).status_code == 303


def _median_seconds(client: TestClient, email: str, tries: int = 3) -> float:
    times = []
    for _ in range(tries):
        token = form_token(client)
        started = time.perf_counter()
        answer = client.post("/login", data={"email": email, "password": "guess-123", "csrf_token": token})
        times.append(time.perf_counter() - started)
        assert answer.status_code == 401
    return statistics.median(times)


def test_unknown_emails_and_accounts_without_a_password_take_as_long_as_a_real_check(database_url: str) -> None:
    for app in _app(database_url, LoginSettings(per_address_per_minute=0, email_max_delay_seconds=0)):
        _median_seconds(app.client, "pat@example.com", 1)  # warm: the stand-in hash is made once
        real = _median_seconds(app.client, "pat@example.com")
        unknown = _median_seconds(app.client, "nobody@example.com")
        no_password = _median_seconds(app.client, "sso@example.com")
        # Before: ~19 ms against ~760 ms (a ratio of 0.025). A noisy machine moves each by tens of percent.
        assert unknown / real > 0.4, (unknown, real)
        assert no_password / real > 0.4, (no_password, real)


def test_logins_and_logouts_are_audited_and_failures_only_logged(
    guarded: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="firebell.security")
    audited = "SELECT count(*) FROM audit_log"
    before = guarded.scalar(audited)
    assert log_in(guarded.client, "pat@example.com", "wrong-one").status_code == 401
    assert guarded.scalar(audited) == before  # a failed try writes nothing
    failed = [r for r in caplog.records if r.name == "firebell.security" and r.getMessage() == "login_failed"]
    assert len(failed) == 1
    assert failed[0].client == "testclient"  # type: ignore[attr-defined]
    assert failed[0].reason == "wrong_password"  # type: ignore[attr-defined]
    assert "pat@example.com" not in str(failed[0].__dict__)  # the email only as a digest
    assert log_in(guarded.client, "pat@example.com", PASSWORD, follow_redirects=False).status_code == 303
    page = guarded.client.get("/incidents").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert guarded.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    rows = guarded.rows("SELECT action, actor, entity FROM audit_log WHERE action IN ('login', 'logout') ORDER BY id")
    assert rows == [("login", "pat@example.com", "web_sessions"), ("logout", "pat@example.com", "web_sessions")]


@contextlib.contextmanager
def _slots_held(app: App) -> Iterator[None]:
    """Every ordinary hashing slot busy, as under a login flood, until the block ends."""
    guard, started, release = app.container.login_guard, threading.Event(), threading.Event()

    def hashing() -> None:
        started.set()
        release.wait(30)

    flood = threading.Thread(target=lambda: asyncio.run(guard.check(hashing)))  # type: ignore[arg-type]
    flood.start()
    assert started.wait(10)
    try:
        yield
    finally:
        release.set()
        flood.join(10)


def test_a_marked_owner_logs_in_while_a_flood_holds_every_hashing_slot(database_url: str) -> None:
    # The test client has one address for every browser: the owner shares the flood's allowance (6).
    for app in _app(database_url, LoginSettings(hashing_slots=1, per_address_per_minute=1, address_burst=6)):
        owner = app.client
        assert log_in(owner, "pat@example.com", PASSWORD, follow_redirects=False).status_code == 303
        attacker = _browser(app)
        with _slots_held(app):
            assert [log_in(attacker, "nobody@example.com", "guess-123").status_code for _ in range(2)] == [503, 503]
            assert log_in(_browser(app), "pat@example.com", PASSWORD).status_code == 503  # no mark
            assert log_in(owner, "sso@example.com", PASSWORD).status_code == 503  # the mark is pat's, not sso's
            signed_in = log_in(owner, "pat@example.com", PASSWORD, follow_redirects=False)
            assert signed_in.status_code == 303, signed_in.text  # its mark for pat takes the reserved slot
            # The refused attempts counted against the address: its allowance is spent, 429 now.
            assert log_in(attacker, "nobody@example.com", "guess-123").status_code == 429


def test_a_password_change_voids_the_device_mark(guarded: App) -> None:
    owner = guarded.client
    assert log_in(owner, "pat@example.com", PASSWORD, follow_redirects=False).status_code == 303
    owner.cookies.delete("firebell_session")
    with transaction(guarded.container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        found = repo.user_by_email("pat@example.com")
        assert found is not None
        repo.update_user(str(found["id"]), {"password_hash": hash_password("new-pass-1")})
    attacker = _browser(guarded)
    assert 429 in [log_in(attacker, "pat@example.com", f"guess-{n}").status_code for n in range(5)]
    # The mark was issued for the old password: it no longer spares the slow-down.
    slowed = log_in(owner, "pat@example.com", "new-pass-1")
    assert slowed.status_code == 429
    assert "too many failed logins" in slowed.text
