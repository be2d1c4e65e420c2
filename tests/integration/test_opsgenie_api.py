"""The Opsgenie actions with no Firebell action of their own: assign, escalate, snooze; and what
each request did, as the request-status endpoint tells it."""

from __future__ import annotations

from datetime import timedelta

from firebell.alerts.retention import RawPayloadRetention
from tests.integration.conftest import App, apply_config

PEOPLE = """\
users:
  - {name: Bea, handle: bea, email: bea@example.com}
schedules:
  - {name: queue-primary, participants: [bea]}
escalation_policies:
  - {name: queue-policy, levels: [{targets: [queue-primary], timeout: 5m}]}
"""


def test_assign_escalate_and_snooze_are_kept_on_the_alert_and_its_timeline(app: App) -> None:
    app.add_service("queue")
    apply_config(app, PEOPLE)
    headers = {"authorization": f"GenieKey {app.add_integration('queue', 'opsgenie')}"}
    created = app.client.post(
        "/v2/alerts", json={"message": "Queue stuck", "alias": "q", "priority": "P1"}, headers=headers
    )
    assert created.status_code == 202
    status = app.client.get(f"/v2/alerts/requests/{created.json()['requestId']}", headers=headers).json()["data"]
    assert (status["isSuccess"], status["action"], status["alias"]) == (True, "Create", "q")
    alert = "/v2/alerts/q?identifierType=alias"

    def act(verb: str, body: dict[str, object]) -> dict[str, object]:
        answer = app.client.post(f"/v2/alerts/q/{verb}?identifierType=alias", json=body, headers=headers)
        assert answer.status_code == 202, answer.text
        done = app.client.get(f"/v2/alerts/requests/{answer.json()['requestId']}", headers=headers).json()["data"]
        assert done["isSuccess"] is True
        return done

    assert act("assign", {"owner": {"username": "bea@example.com"}, "user": "ops"})["action"] == "Assign"
    act("escalate", {"escalation": {"name": "queue-policy"}, "note": "need help"})
    until = (app.clock.now() + timedelta(hours=1)).isoformat()
    act("snooze", {"endTime": until})
    shown = app.client.get(alert, headers=headers).json()["data"]
    assert (shown["owner"], shown["snoozed"]) == ("bea@example.com", True)
    timeline = [str(row[0]) for row in app.rows("select message from incident_events where kind = 'note' order by at")]
    assert any("assigned to bea@example.com" in m for m in timeline)
    assert any("escalation to queue-policy" in m and "need help" in m for m in timeline)
    notes = app.client.get("/v2/alerts/q/notes?identifierType=alias", headers=headers).json()["data"]
    assert [n["note"] for n in notes] == ["need help"]

    nobody = app.client.post(
        "/v2/alerts/q/assign?identifierType=alias", json={"owner": {"username": "zed"}}, headers=headers
    )
    assert nobody.status_code == 422
    assert nobody.json()["errors"] == {"owner": "no Firebell user with the email or handle 'zed'"}
    past = app.client.post(
        "/v2/alerts/q/snooze?identifierType=alias", json={"endTime": "2020-01-01T00:00:00Z"}, headers=headers
    )
    assert past.status_code == 422
    bad_query = app.client.get("/v2/alerts?query=status:open OR tag:x", headers=headers)
    assert bad_query.status_code == 422
    assert bad_query.json()["errors"]["query"]


def test_a_close_of_no_open_alert_is_a_request_that_did_not_succeed(app: App) -> None:
    app.add_service("queue")
    headers = {"authorization": f"GenieKey {app.add_integration('queue', 'opsgenie')}"}
    closed = app.client.post("/v2/alerts/nothing/close?identifierType=alias", headers=headers)
    assert closed.status_code == 202
    status = app.client.get(f"/v2/alerts/requests/{closed.json()['requestId']}", headers=headers).json()["data"]
    assert (status["isSuccess"], status["status"], status["action"]) == (False, "Alert does not exist", "Close")


def test_request_statuses_are_kept_as_long_as_raw_payloads(app: App) -> None:
    app.add_service("queue")
    headers = {"authorization": f"GenieKey {app.add_integration('queue', 'opsgenie')}"}
    request_id = app.client.post("/v2/alerts", json={"message": "m"}, headers=headers).json()["requestId"]
    retention = RawPayloadRetention(app.container.engine, keep=timedelta(days=30), every=timedelta(hours=1))
    retention.run(app.clock.now() + timedelta(days=29))
    assert app.client.get(f"/v2/alerts/requests/{request_id}", headers=headers).status_code == 200
    retention.run(app.clock.now() + timedelta(days=31))
    assert app.client.get(f"/v2/alerts/requests/{request_id}", headers=headers).status_code == 404
