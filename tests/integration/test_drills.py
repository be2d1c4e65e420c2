"""Drills over the API: a paging drill goes through the real intake, incident, escalation and
notification, pages only the people it names, and reports each step; game days record how the
steady-state hypothesis held."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from firebell.paging.messages import PageNotice
from tests.integration.conftest import PagingApp


def _call(app: PagingApp, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
    answer = app.client.request(method, path, json=body, headers=app.auth())
    assert answer.status_code == expect, answer.text
    return answer.json()


def _paged(app: PagingApp) -> list[tuple[str, str, str]]:
    return [(a, n.person, n.title) for a, n in app.recorder.sent if isinstance(n, PageNotice)]


def test_a_paging_drill_pages_only_its_people_and_times_each_step(paging: PagingApp) -> None:
    drill = _call(
        paging, "POST", "/api/v1/drills", {"service": "checkout", "page": ["alice"], "target": "checkout paging"}, 201
    )
    assert (drill["ref"], drill["status"], drill["participants"]) == ("DR-1", "running", ["Alice"])
    number = drill["incident_number"]
    assert number is not None  # intake stored the alert and opened its incident before answering
    paging.tick()
    assert [(a, p) for a, p, _t in _paged(paging)] == [("alice@example.com", "Alice")]
    assert _paged(paging)[0][2].startswith("[DRILL] checkout: checkout paging")
    paging.clock.advance(timedelta(minutes=5))
    paging.tick()  # level 2 reaches Carol, whom the drill does not name: Alice is paged in her place
    assert {p for _a, p, _t in _paged(paging)} == {"Alice"}
    assert "https://hooks.example/carol" not in [a for a, _p, _t in _paged(paging)]
    timeline = _call(paging, "GET", f"/api/v1/incidents/{number}")["timeline"]
    assert [e["message"] for e in timeline if e["kind"] == "paged"] == [
        "Level 1 paged: Alice (email, slack)",
        "Level 2 paged: Alice (email, slack) (drill: in place of Carol, whom the policy reaches)",
    ]
    assert any("a drill: practice" in e["message"] for e in timeline if e["kind"] == "opened")
    report = _call(paging, "GET", "/api/v1/drills/DR-1")
    steps = {s["step"]: s["ms_after_fired"] for s in report["steps"]}
    assert steps["accepted"] is not None
    assert steps["incident_opened"] is not None
    assert steps["escalation_started"] is not None
    assert steps["paged"] is not None
    assert steps["notification_sent"] is not None
    assert steps["acknowledged"] is None
    assert report["missing_steps"] == []
    assert {(n["person"], n["channel"], n["delivery"]) for n in report["notified"]} >= {("Alice", "email", "sent")}
    ended = _call(paging, "POST", "/api/v1/drills/DR-1/end", {})
    assert (ended["status"], ended["result"]) == ("completed", "passed")
    assert _call(paging, "GET", f"/api/v1/incidents/{number}")["status"] == "resolved"
    again = paging.client.post("/api/v1/drills/DR-1/end", json={}, headers=paging.auth())
    assert again.status_code == 409


def test_a_drill_alert_joins_no_real_incident_and_a_forged_drill_label_pages_as_usual(paging: PagingApp) -> None:
    real = paging.client.post(
        "/api/v1/alerts",
        json={"service": "checkout", "severity": "critical", "summary": "checkout down", "dedup_key": "real"},
        headers=paging.auth(),
    )
    assert real.status_code == 202
    drill = _call(paging, "POST", "/api/v1/drills", {"service": "checkout", "page": ["bob"]}, 201)
    incidents = _call(paging, "GET", "/api/v1/incidents?status=open")
    assert len(incidents) == 2  # the drill's own incident, apart from the real one
    assert drill["incident_number"] in [i["number"] for i in incidents]
    forged = paging.client.post(
        "/api/v1/alerts",
        json={
            "service": "checkout",
            "severity": "critical",
            "summary": "forged",
            "dedup_key": "forged",
            "labels": {"firebell_drill": "not-a-drill", "alertname": "Forged"},
        },
        headers=paging.auth(),
    )
    assert forged.status_code == 202
    assert paging.rows("SELECT count(*) FROM incidents WHERE drill_id IS NOT NULL") == [(1,)]
    forged_incident = paging.rows(
        "SELECT i.drill_id FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.dedup_key = 'forged'"
    )
    assert forged_incident == [(None,)]  # an ordinary incident: its label names no running drill
    assert paging.rows("SELECT count(*) FROM escalations WHERE only_user_ids IS NOT NULL") == [(1,)]


def test_a_game_day_records_its_hypothesis_and_outcome(paging: PagingApp) -> None:
    planned = _call(
        paging, "POST", "/api/v1/drills", {"service": "checkout", "kind": "game_day", "target": "pod-delete"}, 201
    )
    assert planned["status"] == "planned"
    assert [s["text"] for s in planned["hypothesis"]] == [
        "p99 latency stays below 500 ms",
        "error rate stays below 1 %",
        "no data loss or corruption",
    ]
    assert planned["incident_number"] is None
    assert planned["steps"] == []
    done = _call(
        paging,
        "POST",
        f"/api/v1/drills/{planned['ref']}/outcome",
        {"held": {"0": True, "1": False, "2": True}, "notes": {"1": "2.4 % for 40 s"}, "outcome": "Retries storm"},
    )
    assert (done["status"], done["result"], done["outcome"]) == ("completed", "failed", "Retries storm")
    assert done["hypothesis"][1] == {"text": "error rate stays below 1 %", "held": False, "note": "2.4 % for 40 s"}
    bad = paging.client.post(
        f"/api/v1/drills/{planned['ref']}/outcome", json={"held": {"7": True}}, headers=paging.auth()
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "held.7"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "nowhere", "page": ["alice"]}, "service"),
        ({"service": "checkout", "kind": "chaos", "page": ["alice"]}, "kind"),
        ({"service": "checkout", "page": ["zed"]}, "page"),
        ({"service": "checkout"}, "page"),
    ],
)
def test_bad_drills_name_the_field_and_fire_nothing(paging: PagingApp, body: dict[str, Any], field: str) -> None:
    answer = paging.client.post("/api/v1/drills", json=body, headers=paging.auth())
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["field"] == field
    assert paging.rows("SELECT count(*) FROM drills") == [(0,)]
    assert paging.rows("SELECT count(*) FROM alerts") == [(0,)]


def test_a_drill_incident_escalated_or_reassigned_still_pages_only_the_drill_people(paging: PagingApp) -> None:
    drill = _call(paging, "POST", "/api/v1/drills", {"service": "checkout", "page": ["alice"]}, 201)
    number = drill["incident_number"]
    paging.tick()
    _call(paging, "POST", f"/api/v1/incidents/{number}/acknowledge")
    _call(paging, "POST", f"/api/v1/incidents/{number}/escalate", {"note": "need help"})
    _call(paging, "POST", f"/api/v1/incidents/{number}/reassign", {"user": "carol"})
    paging.tick()
    assert {p for _a, p, _t in _paged(paging)} == {"Alice"}  # never Bob or Carol, however it was handed on
    _call(paging, "POST", "/api/v1/drills/DR-1/end", {})
    paging.tick()
    assert paging.rows("SELECT count(*) FROM postmortems") == [(0,)]  # practice: no postmortem to write
