"""Declaring incidents by hand and moving them through the lifecycle over the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.conftest import PagingApp


def _declare(app: PagingApp, **body: Any) -> Any:
    payload = {"title": "Checkout returns 500s", "severity": "P1", "service": "checkout", **body}
    return app.client.post("/api/v1/incidents", json=payload, headers=app.auth())


def test_a_declared_incident_is_titled_by_severity_and_pages_its_service(paging: PagingApp) -> None:
    paging.add_service("payments")
    made = _declare(paging, affected_services=["payments"], impact="customers cannot pay", source="support_ticket")
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["title"], body["sev"], body["status"]) == ("[SEV-1] Checkout returns 500s", "SEV-1", "detected")
    paging.tick()
    assert [n.person for _a, n in paging.recorder.sent] == ["Alice"]  # checkout's policy, level 1
    timeline = paging.client.get(f"/api/v1/incidents/{body['number']}", headers=paging.auth()).json()["timeline"]
    assert timeline[0]["message"] == "Declared at SEV-1 from a support ticket: customers cannot pay"
    targets = paging.client.get(f"/api/v1/incidents/{body['number']}", headers=paging.auth()).json()["targets"]
    assert (targets["acknowledge_within"], targets["acknowledge"], targets["acknowledge_by"]) == ("5m", "pending", "5m")
    paging.clock.advance(timedelta(minutes=8))
    late = paging.client.get(f"/api/v1/incidents/{body['number']}", headers=paging.auth()).json()["targets"]
    assert (late["acknowledge"], late["acknowledge_by"], late["postmortem_within"]) == ("breached", "3m", "2d")
    retagged = _declare(paging, title="[SEV-3]  disk  warning", severity="SEV-2", service=None)
    assert retagged.json()["title"] == "[SEV-2] disk warning"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"severity": "SEV-9"}, "severity"),
        ({"service": "nope"}, "service"),
        ({"affected_services": ["checkout", "nope"]}, "affected_services[1]"),
        ({"source": "rumour"}, "source"),
        ({"title": ""}, "title"),
        ({"title": "[SEV-1]   "}, "title"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_declarations_are_refused_naming_the_field(paging: PagingApp, body: dict[str, Any], field: str) -> None:
    refused = _declare(paging, **body)
    assert refused.status_code == 422, refused.text
    assert field in refused.text
    assert paging.client.get("/api/v1/incidents", headers=paging.auth()).json() == []


def test_every_state_is_reachable_and_stamped_and_bad_moves_name_the_allowed_ones(paging: PagingApp) -> None:
    number = _declare(paging).json()["number"]
    paging.tick()

    def move(state: str) -> Any:
        paging.clock.advance(timedelta(minutes=1))
        return paging.client.post(
            f"/api/v1/incidents/{number}/status", json={"status": state, "note": "n"}, headers=paging.auth()
        )

    assert move("investigating").json()["status"] == "investigating"  # acknowledged on the way
    states = [
        e["message"]
        for e in paging.client.get(f"/api/v1/incidents/{number}", headers=paging.auth()).json()["timeline"]
        if e["kind"] == "status_changed"
    ]
    assert states[:2] == ["detected → acknowledged (via the API: n)", "acknowledged → investigating (via the API: n)"]
    for state in ("identified", "resolving", "resolved"):
        assert move(state).json()["status"] == state
    refused = move("identified")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"][0]["allowed"] == ["investigating", "closed"]
    assert move("investigating").json()["status"] == "investigating"  # reopened
    assert move("resolved").status_code == 200
    assert move("closed").json()["status"] == "closed"
    stamps = paging.rows(
        "select acknowledged_at, investigating_at, identified_at, resolving_at, resolved_at, closed_at from incidents"
    )[0]
    assert all(stamp is not None for stamp in stamps)
    assert move("bogus").status_code == 422


def test_response_times_and_recurrence_are_kept_on_the_row_as_the_incident_moves(paging: PagingApp) -> None:
    number = _declare(paging).json()["number"]

    def move(state: str) -> None:
        paging.clock.advance(timedelta(minutes=1))
        answer = paging.client.post(f"/api/v1/incidents/{number}/status", json={"status": state}, headers=paging.auth())
        assert answer.status_code == 200, answer.text

    def spans() -> tuple[object, ...]:
        return paging.rows(
            "SELECT seconds_to_ack, seconds_to_identify, seconds_to_resolve, recurs FROM incidents "
            f"WHERE number = {number}"
        )[0]

    assert spans()[:3] == (None, None, None)
    move("investigating")
    move("identified")
    move("resolved")
    assert spans()[:3] == (60.0, 60.0, 180.0)
    move("investigating")  # reopened: not resolved any more
    assert spans()[2] is None
    move("resolved")
    assert spans()[:3] == (60.0, 60.0, 300.0)  # to the last resolution
    assert spans()[3] in (False, 0)
    paging.clock.advance(timedelta(days=89))
    again = _declare(paging, severity="P2").json()["number"]  # the same title, 89 days on: it recurs
    assert paging.rows(f"SELECT recurs FROM incidents WHERE number = {again}")[0][0] in (True, 1)
    paging.clock.advance(timedelta(days=91))
    later = _declare(paging).json()["number"]
    assert paging.rows(f"SELECT recurs FROM incidents WHERE number = {later}")[0][0] in (False, 0)
