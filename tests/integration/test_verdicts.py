"""Responders' verdicts on alerts through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from typing import Any

from firebell.identity.model import Role
from tests.integration.conftest import App
from tests.integration.test_api import token
from tests.web_login import log_in


def _fire(app: App, summary: str, alertname: str, dedup_key: str, severity: str = "critical") -> str:
    body = {"service": "api", "summary": summary, "severity": severity, "dedup_key": dedup_key}
    body["labels"] = {"alertname": alertname}  # type: ignore[assignment]
    sent = app.client.post("/api/v1/alerts", json=body, headers=app.auth())
    assert sent.status_code == 202, sent.text
    return str(sent.json()[0]["alert_id"])


def _setup(app: App) -> tuple[str, str, int]:
    app.add_service("api", grouping_mode="service")  # one incident holding two different alerts
    app.add_integration("api", "webhook")
    first = _fire(app, "p99 above 2 s", "HighLatency", "lat")
    second = _fire(app, "5xx above 5%", "ErrorRate", "err")
    number = app.client.get("/api/v1/incidents", headers=app.auth()).json()[0]["number"]
    return first, second, number


def _timeline(app: App, number: int) -> list[dict[str, Any]]:
    detail = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()
    return [e for e in detail["timeline"] if e["kind"] == "alert_verdict"]


def test_an_alert_is_marked_changed_and_cleared(app: App) -> None:
    first, second, number = _setup(app)
    marked = app.client.put(f"/api/v1/alerts/{first}/verdict", json={"verdict": "no_action"}, headers=app.auth())
    assert marked.status_code == 200, marked.text
    body = marked.json()
    assert (body["id"], body["verdict"], body["verdict_by"]) == (first, "no_action", "token:tests")
    assert body["verdict_at"] is not None
    assert [e["message"] for e in _timeline(app, number)] == [
        "Alert 'HighLatency' marked no action needed by token:tests"
    ]
    assert _timeline(app, number)[0]["actor"] == "token:tests"

    # The listings carry it, and filter by it.
    listed = {a["id"]: a for a in app.client.get("/api/v1/alerts", headers=app.auth()).json()}
    assert listed[first]["verdict"] == "no_action"
    assert listed[second]["verdict"] is None
    assert listed[second]["verdict_by"] == ""
    assert [a["id"] for a in app.client.get("/api/v1/alerts?verdict=no_action", headers=app.auth()).json()] == [first]
    assert [a["id"] for a in app.client.get("/api/v1/alerts?verdict=unset", headers=app.auth()).json()] == [second]
    incident_alerts = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["alerts"]
    assert {a["id"]: a["verdict"] for a in incident_alerts} == {first: "no_action", second: None}

    # Saying it again is no news; changing it is, with the note.
    app.client.put(f"/api/v1/alerts/{first}/verdict", json={"verdict": "no_action"}, headers=app.auth())
    assert len(_timeline(app, number)) == 1
    changed = app.client.put(
        f"/api/v1/alerts/{first}/verdict", json={"verdict": "actionable", "note": "it was real"}, headers=app.auth()
    )
    assert changed.json()["verdict"] == "actionable"
    assert _timeline(app, number)[-1]["message"] == "Alert 'HighLatency' marked actionable by token:tests: it was real"

    cleared = app.client.put(f"/api/v1/alerts/{first}/verdict", json={"verdict": None}, headers=app.auth()).json()
    assert (cleared["verdict"], cleared["verdict_by"], cleared["verdict_at"]) == (None, "", None)
    assert _timeline(app, number)[-1]["message"] == "Alert 'HighLatency' verdict cleared by token:tests"
    assert app.scalar(f"select verdict_at from alerts where id = '{first}'") is None


def test_every_alert_of_an_incident_at_once(app: App) -> None:
    first, second, number = _setup(app)
    app.client.put(f"/api/v1/alerts/{second}/verdict", json={"verdict": "no_action"}, headers=app.auth())
    marked = app.client.put(f"/api/v1/incidents/{number}/verdict", json={"verdict": "no_action"}, headers=app.auth())
    assert marked.status_code == 200, marked.text
    assert {a["id"]: a["verdict"] for a in marked.json()} == {first: "no_action", second: "no_action"}
    assert _timeline(app, number)[-1]["message"] == (
        "Every alert of the incident (2 alerts) marked no action needed by token:tests"
    )
    assert app.scalar("select count(*) from alerts where verdict = 'no_action'") == 2
    # By id as well as by number; null clears them all.
    incident_id = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["id"]
    cleared = app.client.put(f"/api/v1/incidents/{incident_id}/verdict", json={"verdict": None}, headers=app.auth())
    assert [a["verdict"] for a in cleared.json()] == [None, None]
    assert len(_timeline(app, number)) == 3


def test_unknown_ids_bad_values_and_scopes(app: App) -> None:
    first, _second, number = _setup(app)
    missing = app.client.put("/api/v1/alerts/nope/verdict", json={"verdict": "no_action"}, headers=app.auth())
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert (
        app.client.put("/api/v1/incidents/999/verdict", json={"verdict": None}, headers=app.auth()).status_code == 404
    )

    for bad in ({"verdict": "meh"}, {"verdict": 3}, {}, {"verdict": "no_action", "note": "x" * 1001}):
        refused = app.client.put(f"/api/v1/alerts/{first}/verdict", json=bad, headers=app.auth())
        assert refused.status_code == 422, bad
        field = "note" if "note" in bad else "verdict"
        assert refused.json()["error"]["details"][0]["field"] == field
    refused = app.client.put(f"/api/v1/incidents/{number}/verdict", json={"verdict": "maybe"}, headers=app.auth())
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "verdict"
    assert app.client.get("/api/v1/alerts?verdict=maybe", headers=app.auth()).status_code == 422

    reader = token(app, "read")
    denied = app.client.put(f"/api/v1/alerts/{first}/verdict", json={"verdict": "no_action"}, headers=reader)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"
    denied = app.client.put(f"/api/v1/incidents/{number}/verdict", json={"verdict": "no_action"}, headers=reader)
    assert denied.status_code == 403
    assert app.scalar("select count(*) from alerts where verdict is not null") == 0
    responder = token(app, "respond")
    ok = app.client.put(f"/api/v1/alerts/{first}/verdict", json={"verdict": "actionable"}, headers=responder)
    assert ok.json()["verdict_by"] == "token:respond"


def test_a_declared_incident_has_no_alerts_to_mark(app: App) -> None:
    declared = app.client.post(
        "/api/v1/incidents", json={"title": "Users report errors", "severity": "SEV-3"}, headers=app.auth()
    ).json()
    refused = app.client.put(
        f"/api/v1/incidents/{declared['number']}/verdict", json={"verdict": "no_action"}, headers=app.auth()
    )
    assert refused.status_code == 409
    assert "no alerts" in refused.json()["error"]["message"]


def test_the_openapi_document_describes_the_verdict(app: App) -> None:
    document = app.client.get("/openapi.json").json()
    assert {"/api/v1/alerts/{alert_id}/verdict", "/api/v1/incidents/{ref}/verdict"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert {"verdict", "verdict_by", "verdict_at"} <= set(schemas["AlertRead"]["properties"])
    assert schemas["Verdict"]["enum"] == ["no_action", "actionable"]
    # Every reference in the document names a schema it defines.
    refs = set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert refs <= set(schemas)


def test_the_pages_show_the_verdict_and_its_buttons_mark_alerts(app: App) -> None:
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.identity.service import create_user
    from firebell.infra.db import transaction

    first, second, number = _setup(app)
    with transaction(app.container.engine, write=True) as conn:
        create_user(
            repo=SqlIdentityRepo(conn),
            email="ops@example.com",
            password="pw-123456",
            role=Role.RESPONDER,
            now=app.clock.now(),
        )
    log_in(app.client, "ops@example.com", "pw-123456")
    page = app.client.get("/alerts")
    assert "No action needed" in page.text
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    # Without the CSRF token the form is refused; a plain form goes back where it came from.
    form = {"verdict": "no_action", "back": "/alerts?status=open"}
    assert app.client.post(f"/alerts/{first}/verdict", data=form).status_code == 403
    plain = app.client.post(f"/alerts/{first}/verdict", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == "/alerts?status=open"
    away = {"verdict": "actionable", "back": "//evil.example/", "csrf_token": csrf}
    assert app.client.post(f"/alerts/{first}/verdict", data=away, follow_redirects=False).headers["location"] == (
        "/alerts"
    )
    # HTMX gets the alert's verdict cell back.
    swapped = app.client.post(
        f"/alerts/{second}/verdict", data={**form, "csrf_token": csrf}, headers={"hx-request": "true"}
    )
    assert swapped.status_code == 200
    assert f'id="verdict-{second}"' in swapped.text
    assert 'class="badge verdict-no-action"' in swapped.text
    assert "ops@example.com" in swapped.text
    assert app.client.get("/alerts?verdict=actionable").text.count('class="badge verdict-actionable"') == 1

    # The incident page: its alerts' badges, and one form for all of them.
    every = app.client.post(
        f"/incidents/{number}/verdict", data={"verdict": "actionable", "csrf_token": csrf}, follow_redirects=False
    )
    assert every.headers["location"] == f"/incidents/{number}#alerts"
    incident_page = app.client.get(f"/incidents/{number}").text
    assert incident_page.count('class="badge verdict-actionable"') == 2
    assert "Every alert of the incident (2 alerts) marked actionable by ops@example.com" in incident_page
    wrong = app.client.post(
        f"/incidents/{number}/verdict", data={"verdict": "maybe", "csrf_token": csrf}, follow_redirects=False
    )
    assert "error=" in wrong.headers["location"]
