"""Database pools: a request needs one web connection at a time, web readers filling their pool get a
fast 503 while intake goes on through its own, and changes made elsewhere are told to live pages by
the incidents they concern."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from firebell.bootstrap import bootstrap, incident_topic
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token, create_user
from firebell.infra import migrate
from firebell.infra.change_watch import ChangeWatch
from firebell.infra.db import transaction
from firebell.infra.settings import PoolSettings, Settings
from firebell.kernel.clock import ManualClock
from firebell.web.app import create_app
from tests.integration.conftest import App
from tests.web_login import log_in

PAYLOAD = {"summary": "x", "source": "s", "severity": "error"}
PASSWORD = "pw-123456"


@pytest.fixture
def one_connection(database_url: str) -> Iterator[App]:
    """The app with a web pool of one connection, and a wait for it of one second."""
    clock = ManualClock()
    pools = PoolSettings(web_size=1, web_overflow=0, web_wait_seconds=1)
    settings = Settings(database_url=database_url, sqlite_synchronous="NORMAL", pools=pools)
    container = bootstrap(settings, clock=clock)
    migrate.upgrade(container.engine)
    with transaction(container.engine, write=True) as conn:
        token = create_token(repo=SqlIdentityRepo(conn), name="tests", scope="admin", now=clock.now())
        create_user(
            repo=SqlIdentityRepo(conn),
            email="pat@example.com",
            password=PASSWORD,
            role=Role.RESPONDER,
            now=clock.now(),
        )
    with TestClient(create_app(container)) as client:
        yield App(client, container, clock, token)


def _incident(app: App) -> tuple[str, int]:
    app.add_service("api")
    key = app.add_integration("api", "pagerduty")
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "x", "source": "s", "severity": "error"},
    }
    assert app.client.post("/v2/enqueue", json=event).status_code == 202
    row = app.rows("select id, number from incidents")[0]
    return str(row[0]), int(str(row[1]))


def test_every_kind_of_request_is_served_with_one_web_connection(one_connection: App) -> None:
    app = one_connection
    incident_id, number = _incident(app)
    login = log_in(app.client, "pat@example.com", "pw-123456", follow_redirects=False)
    assert login.status_code == 303
    started = time.monotonic()
    # A page with a session, API reads with a token, a move that checks the caller's role on the
    # incident's team: each needs the caller looked up besides its own reads, all on one connection.
    page = app.client.get(f"/incidents/{number}")
    assert page.status_code == 200
    assert f"/ui/stream?incident={incident_id}" in page.text  # the page follows its own incident
    assert app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).status_code == 200
    assert app.client.get("/api/v1/alerts", headers=app.auth()).status_code == 200
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert csrf is not None
    moved = app.client.post(
        f"/api/v1/incidents/{number}/status", json={"status": "acknowledged"}, headers={"x-csrf-token": csrf[1]}
    )
    assert moved.status_code == 200, moved.text
    assert time.monotonic() - started < 5  # no request waited out the pool's wait


def test_readers_filling_their_pool_get_a_fast_503_and_intake_goes_on(one_connection: App) -> None:
    app = one_connection
    app.add_service("api")
    key = app.add_integration("api", "pagerduty")
    with app.container.engine.connect():  # the web pool's only connection, taken
        started = time.monotonic()
        busy = app.client.get("/api/v1/alerts", headers=app.auth())
        waited = time.monotonic() - started
        assert busy.status_code == 503
        assert busy.json()["error"]["code"] == "unavailable"
        assert busy.headers["retry-after"] == "1"
        assert waited < 3
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "x", "source": "s", "severity": "error"},
        }
        assert app.client.post("/v2/enqueue", json=event).status_code == 202
        assert app.client.get("/healthz").status_code == 200
        assert app.client.get("/readyz").status_code == 200  # readiness is intake's
    assert app.client.get("/api/v1/alerts", headers=app.auth()).status_code == 200


def test_each_pool_has_its_own_timeouts(app: App) -> None:
    container = app.container
    engines = {"web": container.engine, "intake": container.intake_engine, "engine": container.background_engine}
    shown = {}
    for name, engine in engines.items():
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                settings = ("statement_timeout", "lock_timeout")
                shown[name] = tuple(conn.exec_driver_sql(f"SHOW {s}").scalar() for s in settings)
            else:  # SQLite: the wait for a lock; long statements are interrupted client-side
                shown[name] = (conn.exec_driver_sql("PRAGMA busy_timeout").scalar(),)
    if container.engine.dialect.name == "postgresql":
        assert shown == {"web": ("5s", "3s"), "intake": ("30s", "15s"), "engine": ("30s", "15s")}
    else:
        assert shown == {"web": (3000,), "intake": (15000,), "engine": (15000,)}


def test_the_change_watch_names_the_incidents_that_changed(app: App) -> None:
    told: list[tuple[str, ...]] = []
    watch = ChangeWatch(app.container.engine, lambda *topics: told.append(topics))
    _incident(app)
    now = datetime.now(UTC)
    watch.run(now)  # the first look only notes where things are
    assert told == []
    key = app.add_integration("api", "pagerduty")
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "second",
        "payload": {"summary": "y", "source": "s", "severity": "error"},
    }
    assert app.client.post("/v2/enqueue", json=event).status_code == 202
    watch.run(now)
    assert len(told) == 1
    (grouped,) = {str(r[0]) for r in app.rows("select incident_id from alerts where dedup_key = 'second'")}
    assert incident_topic(grouped) in told[0]
    assert set(told[0]) <= {incident_topic(str(r[0])) for r in app.rows("select id from incidents")} | {"alerts"}
    watch.run(now)
    assert len(told) == 1  # nothing more changed
    with transaction(app.container.engine, write=True) as conn:
        stamp = now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now
        conn.execute(sa.text("update alerts set last_seen_at = :now where dedup_key = 'second'"), {"now": stamp})
    watch.run(now)
    assert told[1:] == [(incident_topic(grouped),)]  # a repeat of an alert: its incident, and only it


def test_a_key_lookup_waiting_for_the_database_leaves_the_event_loop_free(app: App) -> None:
    container = app.container
    app.add_service("api")
    key = app.add_integration("api", "pagerduty")
    pool = container.intake_engine.pool
    free = pool.size() + pool._max_overflow - pool.checkedout()  # type: ignore[attr-defined]  # the writer keeps one
    held = [container.intake_engine.connect() for _ in range(free)]

    async def scenario() -> tuple[int, bool]:
        lookup = asyncio.ensure_future(container.integration(key))  # a miss: every intake connection is taken
        ticks = 0
        for _ in range(20):  # the loop goes on meanwhile
            await asyncio.sleep(0.01)
            ticks += 1
        waiting = not lookup.done()
        for conn in held:
            conn.close()
        found = await lookup
        assert found is not None
        return ticks, waiting

    ticks, waiting = asyncio.run(scenario())
    assert (ticks, waiting) == (20, True)

    async def cached() -> bool:
        return (await container.integration(key)) is not None

    assert asyncio.run(cached())  # now a hit, answered on the loop
