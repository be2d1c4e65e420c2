"""Heartbeat monitors on a real database with a manual clock: a missed ping pages, a ping resolves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.conftest import PagingApp


def _create(app: PagingApp, **body: Any) -> Any:
    payload = {"name": "nightly-backup", "service": "checkout", "interval": "5m", "grace": "1m", **body}
    return app.client.post("/api/v1/heartbeats", json=payload, headers=app.auth())


def _state(app: PagingApp) -> dict[str, Any]:
    rows = app.client.get("/api/v1/heartbeats", headers=app.auth()).json()
    return {row["name"]: row for row in rows}["nightly-backup"]


def _open_incidents(app: PagingApp) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = app.client.get("/api/v1/incidents?status=open", headers=app.auth()).json()
    return result


def test_a_missed_ping_pages_and_the_next_ping_resolves(paging: PagingApp) -> None:
    created = _create(paging)
    assert created.status_code == 201, created.text
    ping = created.json()["ping_url"].removeprefix("http://firebell.test")
    assert _state(paging)["state"] == "waiting"
    paging.clock.advance(timedelta(minutes=5, seconds=59))
    paging.tick()
    assert _open_incidents(paging) == []  # within interval + grace
    paging.clock.advance(timedelta(seconds=2))
    paging.tick()
    (incident,) = _open_incidents(paging)
    assert incident["title"].startswith("Heartbeat nightly-backup missed: expected a ping every 5m (never pinged)")
    assert _state(paging)["state"] == "down"
    assert [n.person for _a, n in paging.recorder.sent] == ["Alice"]  # the service's policy paged
    paging.clock.advance(timedelta(minutes=30))
    paging.tick()
    assert len(_open_incidents(paging)) == 1  # one alert per outage, not one per check

    answer = paging.client.post(ping)
    assert answer.status_code == 200
    assert answer.json()["state"] == "up"
    assert _open_incidents(paging) == []  # the alert resolved and its incident with it
    status = paging.client.get(f"/api/v1/incidents/{incident['number']}", headers=paging.auth()).json()["status"]
    assert status == "resolved"

    assert paging.client.get(ping).status_code == 200  # a GET pings too (curl in a cron line)
    paging.clock.advance(timedelta(minutes=7))
    paging.tick()
    (again,) = _open_incidents(paging)
    assert "last ping" in again["title"]


def test_pinging_on_time_never_alerts(paging: PagingApp) -> None:
    ping = _create(paging).json()["ping_url"].removeprefix("http://firebell.test")
    for _ in range(10):
        paging.clock.advance(timedelta(minutes=5, seconds=30))
        assert paging.client.post(ping).status_code == 200
        paging.tick()
    assert _open_incidents(paging) == []
    assert _state(paging)["state"] == "up"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"interval": "1s"}, 422, "interval"),
        ({"interval": "5 minutes"}, 422, "interval"),
        ({"grace": "-1m"}, 422, "grace"),
        ({"service": "nope"}, 404, "service"),
        ({"name": "has space"}, 422, "name"),
        ({"extra": 1}, 422, "extra"),
    ],
)
def test_bad_heartbeats_are_refused_naming_the_field(
    paging: PagingApp, body: dict[str, Any], status: int, field: str
) -> None:
    answer = _create(paging, **body)
    assert answer.status_code == status, answer.text
    assert field in answer.text
    assert paging.client.get("/api/v1/heartbeats", headers=paging.auth()).json() == []
    assert paging.scalar("select count(*) from integrations where kind = 'heartbeat'") == 0


def test_duplicate_names_and_foreign_keys_are_refused(paging: PagingApp) -> None:
    assert _create(paging).status_code == 201
    assert _create(paging).status_code == 409
    assert paging.client.post("/heartbeat/not-a-key").status_code == 404
    pagerduty_key = paging.add_integration("checkout", "pagerduty")
    assert paging.client.post(f"/heartbeat/{pagerduty_key}").status_code == 404
