"""Change events recorded through the API and the change integrations are in the audit log, under
who recorded them, like every other write; the integration key is never copied into it."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import App


def _audit(app: App) -> list[dict[str, Any]]:
    listed = app.client.get("/api/v1/audit", params={"entity": "change_events"}, headers=app.auth())
    assert listed.status_code == 200, listed.text
    entries: list[dict[str, Any]] = listed.json()
    return entries


def test_a_change_recorded_through_the_api_is_audited_as_the_callers(app: App) -> None:
    app.add_service("checkout")
    body = {"service": "checkout", "summary": "Deploy checkout v2.3.1", "version": "v2.3.1"}
    made = app.client.post("/api/v1/changes", json=body, headers=app.auth())
    assert made.status_code == 201, made.text
    (entry,) = _audit(app)
    assert (entry["action"], entry["actor"], entry["via"]) == ("insert", "token:tests", "POST /api/v1/changes")
    assert entry["entity_id"] == made.json()["id"]
    assert entry["after"]["summary"] == "Deploy checkout v2.3.1"


def test_changes_sent_with_an_integration_key_are_audited_as_the_integrations(app: App) -> None:
    app.add_service("checkout")
    deploy_key = app.add_integration("checkout", "change")
    pagerduty_key = app.add_integration("checkout", "pagerduty")
    deployed = app.client.post(f"/integrations/deploy/{deploy_key}", json={"summary": "Deploy v2"})
    assert deployed.status_code == 202, deployed.text
    change = {"routing_key": pagerduty_key, "payload": {"summary": "Raise max_connections", "source": "terraform"}}
    assert app.client.post("/v2/change/enqueue", json=change).status_code == 202
    entries = _audit(app)
    assert sorted(e["via"] for e in entries) == ["POST /integrations/deploy", "POST /v2/change/enqueue"]
    integrations = {str(i): str(k) for i, k in app.rows("SELECT id, kind FROM integrations")}
    assert {integrations[e["actor"].removeprefix("integration:")] for e in entries} == {"change", "pagerduty"}
    text = app.client.get("/api/v1/audit", headers=app.auth()).text
    assert deploy_key not in text
    assert pagerduty_key not in text
