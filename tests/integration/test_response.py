"""Running an incident over the API: roles, checklists, missed targets, the mitigation step,
communications, notes, severity changes, the timeline export and change events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from firebell.infra.settings import CommsSettings, SlackSettings
from firebell.kernel.errors import ValidationFailed
from tests.integration.conftest import PagingApp, apply_config


def _declare(app: PagingApp, **body: Any) -> int:
    payload = {"title": "Checkout returns 500s", "severity": "SEV-1", "service": "checkout", **body}
    made = app.client.post("/api/v1/incidents", json=payload, headers=app.auth())
    assert made.status_code == 201, made.text
    return int(made.json()["number"])


def _post(app: PagingApp, path: str, body: Any = None, expect: int = 200) -> Any:
    answer = app.client.post(path, json=body, headers=app.auth())
    assert answer.status_code == expect, answer.text
    return answer.json()


def _view(app: PagingApp, number: int) -> Any:
    return app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()


def _kinds(app: PagingApp, number: int, kind: str) -> list[str]:
    return [e["message"] for e in _view(app, number)["timeline"] if e["kind"] == kind]


def _pages(app: PagingApp) -> list[tuple[str, Any]]:
    """What the channels were given, but for reminders of overdue updates."""
    return [(a, n) for a, n in app.recorder.sent if getattr(n, "kind", "") != "reminder"]


def _role(view: Any, role: str) -> list[str]:
    return next([p["name"] for p in r["people"]] for r in view["response"]["roles"] if r["role"] == role)


def test_roles_are_given_handed_over_and_warned_about_per_severity(paging: PagingApp) -> None:
    number = _declare(paging)
    first = _view(paging, number)["response"]
    assert first["staffing_warning"] == (
        "Unfilled required role(s) still to assign: Incident Commander, Technical Lead, Communications Lead, Scribe"
    )
    _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "ic", "user": "alice"})
    _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "Incident Commander", "user": "bob@example.com"})
    _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "sme", "user": "alice"})
    _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "sme", "user": "carol"})
    view = _view(paging, number)
    assert _role(view, "incident_commander") == ["Bob"]
    assert _role(view, "sme") == ["Alice", "Carol"]
    assert _kinds(paging, number, "role_assigned")[:2] == [
        "Alice is Incident Commander",
        "Bob is Incident Commander (handed over from Alice)",
    ]
    paging.clock.advance(timedelta(minutes=16))
    late = _view(paging, number)["response"]
    assert late["staffing_warning"] == (
        "Unfilled required role(s) past the assemble target: Technical Lead, Communications Lead, Scribe"
    )
    assert _view(paging, number)["targets"]["assemble"] == "breached"
    # At SEV-2 the IC may also be the Technical Lead, and a Scribe is only recommended.
    sev2 = _declare(paging, severity="P2")
    _post(paging, f"/api/v1/incidents/{sev2}/roles", {"role": "ic", "user": "carol"})
    staffed = _view(paging, sev2)
    assert staffed["response"]["staffing_warning"] == ""
    assert staffed["response"]["recommended_missing"] == ["Scribe"]
    assert staffed["targets"]["assemble"] == "met"
    removed = paging.client.delete(f"/api/v1/incidents/{sev2}/roles/ic", headers=paging.auth())
    assert removed.status_code == 200
    assert "Incident Commander" in removed.json()["staffing_warning"]
    assert _kinds(paging, sev2, "role_removed") == ["Nobody is Incident Commander"]


@pytest.mark.parametrize(
    ("body", "field"), [({"role": "boss", "user": "alice"}, "role"), ({"role": "ic", "user": "zed"}, "user")]
)
def test_bad_role_requests_name_the_field_and_change_nothing(paging: PagingApp, body: Any, field: str) -> None:
    number = _declare(paging)
    refused = paging.client.post(f"/api/v1/incidents/{number}/roles", json=body, headers=paging.auth())
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == field
    assert _kinds(paging, number, "role_assigned") == []


def test_checklists_follow_the_severity_tick_onto_the_timeline_and_know_what_already_happened(
    paging: PagingApp,
) -> None:
    number = _declare(paging)
    lists = {c["key"]: c for c in _view(paging, number)["response"]["checklists"]}
    assert list(lists) == [
        "detection",
        "investigation",
        "communication",
        "mitigation",
        "resolution",
        "role:incident_commander",
        "role:tech_lead",
        "role:comms_lead",
        "role:scribe",
        "role:postmortem_owner",
    ]
    assert [i["text"] for i in lists["investigation"]["items"]] == [
        "Dashboards checked",
        "Recent changes reviewed",
        "Logs analyzed",
        "Dependencies verified",
    ]
    _post(paging, f"/api/v1/incidents/{number}/acknowledge")  # before any checklist is written
    _post(paging, f"/api/v1/incidents/{number}/checklists/investigation/logs-analyzed", {"done": True})
    _post(paging, f"/api/v1/incidents/{number}/checklists/investigation/logs-analyzed", {"done": True})
    _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "ic", "user": "alice"})
    done = {
        (c["key"], i["key"]): i["done_by"]
        for c in _view(paging, number)["response"]["checklists"]
        for i in c["items"]
        if i["done_at"]
    }
    assert done == {
        ("detection", "alert-acknowledged"): "firebell",
        ("detection", "incident-record-created"): "firebell",
        ("investigation", "logs-analyzed"): "token:tests",
        ("detection", "ic-assigned"): "token:tests",
    }
    assert _kinds(paging, number, "checklist") == ["Ticked “Logs analyzed” (Investigation (5-30 min))"]
    _post(paging, f"/api/v1/incidents/{number}/checklists/investigation/logs-analyzed", {"done": False})
    assert _kinds(paging, number, "checklist")[-1] == "Unticked “Logs analyzed” (Investigation (5-30 min))"
    sev4 = _declare(paging, severity="SEV-4")
    assert [c["key"] for c in _view(paging, sev4)["response"]["checklists"]][-1] == "role:incident_commander"
    bad = paging.client.post(
        f"/api/v1/incidents/{number}/checklists/investigation/nope", json={"done": True}, headers=paging.auth()
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "item"


def test_missed_targets_are_recorded_once_and_an_overdue_update_reminds_the_comms_lead_without_an_ic(
    paging: PagingApp,
) -> None:
    number = _declare(paging)
    _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "comms_lead", "user": "carol"})
    paging.tick()
    paging.recorder.sent.clear()
    paging.clock.advance(timedelta(minutes=5, seconds=1))
    paging.tick()
    paging.tick()
    assert _kinds(paging, number, "target_missed") == ["Acknowledge target missed: not acknowledged within 5m (SEV-1)"]
    paging.clock.advance(timedelta(minutes=10))
    paging.tick()
    missed = _kinds(paging, number, "target_missed")
    assert missed[1:] == [
        "Assemble target missed: required roles not filled within 15m (SEV-1): "
        "Incident Commander, Technical Lead, Scribe",
        "Status update overdue: none sent for 15m (SEV-1; due 15:15 UTC); "
        "reminded Carol (Communications Lead; nobody is Incident Commander)",
    ]
    reminders = [(a, n) for a, n in paging.recorder.sent if getattr(n, "kind", "") == "reminder"]
    assert [a for a, _n in reminders] == ["https://hooks.example/carol"]
    assert "status update overdue" in reminders[0][1].subject
    assert len(_view(paging, number)["response"]["breaches"]) == 3
    # Another cadence period without an update reminds again; an update restarts the clock.
    paging.clock.advance(timedelta(minutes=15))
    paging.tick()
    assert len(_kinds(paging, number, "target_missed")) == 4
    paging.container.settings = paging.container.settings.model_copy(
        update={"comms": CommsSettings(stakeholder_emails="exec@example.com")}
    )
    _post(paging, f"/api/v1/incidents/{number}/communications", {"template": "update.email"}, expect=201)
    response = _view(paging, number)["response"]
    assert response["next_update_overdue"] is False
    assert response["next_update_in"] == "15m"


def test_the_mitigation_step_walks_the_tree_and_records_the_outcome(paging: PagingApp) -> None:
    number = _declare(paging)
    walk = _post(paging, "/api/v1/mitigation/decide", {"answers": {"recent_deployment": False}})
    assert (walk["strategy"], walk["next_question"]) == (None, "resource_issue")
    unsettled = paging.client.post(
        f"/api/v1/incidents/{number}/mitigations", json={"answers": {"recent_deployment": False}}, headers=paging.auth()
    )
    assert unsettled.status_code == 422
    assert unsettled.json()["error"]["details"][0]["field"] == "answers.resource_issue"
    answers = {"recent_deployment": False, "resource_issue": False, "external_dependency": False, "data_issue": False}
    chosen = _post(paging, f"/api/v1/incidents/{number}/mitigations", {"answers": answers})
    (step,) = chosen["mitigations"]
    assert (step["strategy"], step["title"]) == ("engage_sme", "Engage a subject matter expert")
    after = _post(
        paging, f"/api/v1/incidents/{number}/mitigations/{step['id']}/outcome", {"outcome": "not_resolved", "note": "x"}
    )
    assert after["mitigations"][0]["next"] == "Escalate"
    assert _kinds(paging, number, "mitigation_outcome") == [
        "Engage a subject matter expert did not resolve the issue; next: escalate. x"
    ]
    twice = paging.client.post(
        f"/api/v1/incidents/{number}/mitigations/{step['id']}/outcome",
        json={"outcome": "resolved"},
        headers=paging.auth(),
    )
    assert twice.status_code == 409
    rollback = _post(paging, f"/api/v1/incidents/{number}/mitigations", {"answers": {"recent_deployment": True}})
    assert rollback["mitigations"][1]["strategy"] == "rollback"
    ticked = {i["key"] for c in rollback["checklists"] if c["key"] == "mitigation" for i in c["items"] if i["done_at"]}
    assert ticked == {"mitigation-strategy-selected"}


def test_communications_render_send_and_count_as_updates(paging: PagingApp) -> None:
    number = _declare(paging, impact="Customers cannot check out")
    _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "ic", "user": "alice"})
    preview = _post(paging, f"/api/v1/incidents/{number}/communications/preview", {"template": "initial.email"})
    assert preview["subject"] == "[P1] Checkout returns 500s - Investigating"
    assert "INCIDENT COMMANDER: Alice" in preview["body"]
    assert "IMPACT: Customers cannot check out" in preview["body"]
    nowhere = paging.client.post(
        f"/api/v1/incidents/{number}/communications", json={"template": "update.slack"}, headers=paging.auth()
    )
    assert nowhere.status_code == 422
    assert nowhere.json()["error"]["details"][0]["field"] == "audiences"
    paging.container.settings = paging.container.settings.model_copy(
        update={
            "slack": SlackSettings(incidents_webhook_url="https://hooks.example/incidents"),  # type: ignore[arg-type]
            "comms": CommsSettings(stakeholder_emails="exec@example.com, cto@example.com"),
        }
    )
    paging.tick()
    paging.recorder.sent.clear()
    sent = _post(
        paging,
        f"/api/v1/incidents/{number}/communications",
        {"template": "update.slack", "fields": {"progress": "Rolled back v2.3.1"}, "audiences": ["incidents_channel"]},
        expect=201,
    )
    assert sent["sent_to"] == ["#incidents"]
    emailed = _post(
        paging,
        f"/api/v1/incidents/{number}/communications",
        {"template": "resolution.email", "body": "Edited text", "audiences": ["stakeholders", "responders"]},
        expect=201,
    )
    assert emailed["sent_to"] == ["exec@example.com", "cto@example.com", "Alice"]
    paging.tick()
    got = {(a, getattr(n, "kind", "")) for a, n in paging.recorder.sent}
    assert got == {
        ("https://hooks.example/incidents", "communication"),
        ("exec@example.com", "communication"),
        ("cto@example.com", "communication"),
        ("alice@example.com", "communication"),
        ("https://hooks.example/alice", "communication"),
    }
    slack = next(n for a, n in paging.recorder.sent if a == "https://hooks.example/incidents")
    assert "*Progress*: Rolled back v2.3.1" in slack.slack_text
    email = next(n for a, n in paging.recorder.sent if a == "exec@example.com")
    assert (email.subject, email.text) == ("[P1] Checkout returns 500s - RESOLVED", "Edited text")
    assert len(_view(paging, number)["response"]["communications"]) == 2
    assert _kinds(paging, number, "communication_sent")[0].startswith("Status update (Slack) sent to #incidents")
    wrong_field = paging.client.post(
        f"/api/v1/incidents/{number}/communications/preview",
        json={"template": "update.slack", "fields": {"colour": "red"}},
        headers=paging.auth(),
    )
    assert wrong_field.json()["error"]["details"][0]["field"] == "fields.colour"


def test_templates_can_be_edited_checked_and_reset(paging: PagingApp) -> None:
    number = _declare(paging)
    broken = paging.client.put(
        "/api/v1/message-templates/update.slack", json={"body": "{% if %}"}, headers=paging.auth()
    )
    assert broken.status_code == 422
    assert broken.json()["error"]["details"][0]["field"] == "body"
    saved = paging.client.put(
        "/api/v1/message-templates/update.slack", json={"body": "Update on {{ description }}"}, headers=paging.auth()
    )
    assert saved.status_code == 200
    preview = _post(paging, f"/api/v1/incidents/{number}/communications/preview", {"template": "update.slack"})
    assert preview["body"] == "Update on Checkout returns 500s\n"
    for hostile in ("{{ number.__class__.__mro__ }}", "{{ 9**9**9 }}", "{{ 1/0 }}", '{{ "x" * 99999999 }}'):
        refused = paging.client.put(
            "/api/v1/message-templates/customer.resolved", json={"body": hostile}, headers=paging.auth()
        )
        assert refused.status_code == 422, hostile  # tried on sample facts before it is saved
        assert refused.json()["error"]["details"][0]["field"] == "body"
    paging.client.delete("/api/v1/message-templates/update.slack", headers=paging.auth())
    listed = {t["key"]: t for t in paging.client.get("/api/v1/message-templates", headers=paging.auth()).json()}
    assert listed["update.slack"]["edited"] is False
    assert listed["update.slack"]["body"].startswith(":information_source: *STATUS UPDATE*")


def test_notes_severity_changes_and_the_timeline_export(paging: PagingApp) -> None:
    number = _declare(paging)
    _post(paging, f"/api/v1/incidents/{number}/notes", {"text": "Hypothesis: | the pool is exhausted"})
    changed = _post(paging, f"/api/v1/incidents/{number}/severity", {"severity": "P2", "reason": "workaround found"})
    assert changed["number"] == number
    view = _view(paging, number)
    assert (view["sev"], view["title"]) == ("SEV-2", "[SEV-2] Checkout returns 500s")
    assert _kinds(paging, number, "severity_changed") == ["Lowered from SEV-1 to SEV-2: workaround found"]
    paging.clock.advance(timedelta(minutes=3))
    _post(paging, f"/api/v1/incidents/{number}/resolve")
    markdown = paging.client.get(f"/api/v1/incidents/{number}/timeline?format=markdown", headers=paging.auth()).text
    lines = markdown.splitlines()
    assert lines[:2] == ["| Time (UTC) | Event | By |", "|---|---|---|"]
    assert "| 2026-03-04 15:00:00 | Note: Hypothesis: \\| the pool is exhausted | token:tests |" in lines
    gantt = paging.client.get(f"/api/v1/incidents/{number}/timeline?format=mermaid", headers=paging.auth()).text
    assert gantt.startswith("gantt\n    title Incident 1 [SEV-2] Checkout returns 500s\n")
    assert "    section Detection" in gantt
    assert "    Declared at SEV-1 from a user report :milestone, 2026-03-04 15:00:00, 0m" in gantt
    assert "    Note - Hypothesis - \\| the pool is exhausted" not in gantt
    assert "    Hypothesis - | the pool is exhausted :2026-03-04 15:00:00, 1m" in gantt
    assert "section Recovery" in gantt
    bad = paging.client.post(f"/api/v1/incidents/{number}/notes", json={"text": ""}, headers=paging.auth())
    assert bad.status_code == 422


def test_change_events_show_on_incidents_of_their_services_and_dependencies(paging: PagingApp) -> None:
    paging.add_service("payments-db")
    key = paging.add_integration("payments-db", "pagerduty")
    deploy_key = paging.add_integration("checkout", "change")
    with pytest.raises(ValidationFailed, match=r"services\[0\]\.depends_on\[0\]: no service named 'nope'"):
        apply_config(
            paging, "services:\n  - {name: checkout, escalation_policy: checkout-primary, depends_on: [nope]}\n"
        )
    apply_config(
        paging, "services:\n  - {name: checkout, escalation_policy: checkout-primary, depends_on: [payments-db]}\n"
    )
    change = {
        "routing_key": key,
        "payload": {
            "summary": "Raise max_connections to 300",
            "source": "terraform",
            "timestamp": "2026-03-04T14:10:00Z",
            "custom_details": {"kind": "config"},
        },
        "links": [{"href": "https://ci.example/1", "text": "plan"}],
    }
    accepted = paging.client.post("/v2/change/enqueue", json=change)
    assert accepted.status_code == 202, accepted.text
    assert (accepted.json()["status"], accepted.json()["message"]) == ("success", "Change event processed")
    deploy = paging.client.post(
        f"/integrations/deploy/{deploy_key}",
        json={"summary": "Deploy checkout v2.3.1", "version": "2.3.1", "at": "2026-03-04T14:55:00+00:00"},
    )
    assert deploy.status_code == 202, deploy.text
    old = paging.client.post(
        f"/integrations/deploy/{deploy_key}", json={"summary": "Old deploy", "at": "2026-03-02T14:55:00+00:00"}
    )
    assert old.status_code == 202
    number = _declare(paging)
    recent = _view(paging, number)["response"]["recent_changes"]
    assert [(c["summary"], c["kind"], c["service"], c["relation"]) for c in recent] == [
        ("Deploy checkout v2.3.1", "deploy", "checkout", "affected"),
        ("Raise max_connections to 300", "config", "payments-db", "dependency"),
    ]
    listed = paging.client.get("/api/v1/changes?service=checkout", headers=paging.auth()).json()
    assert [c["summary"] for c in listed] == ["Deploy checkout v2.3.1", "Old deploy"]
    wrong = paging.client.post("/v2/change/enqueue", json={**change, "routing_key": "x" * 32})
    assert wrong.status_code == 404
    assert wrong.json()["error"]["details"][0]["field"] == "routing_key"
    naive = paging.client.get("/api/v1/changes?since=2026-03-01T00:00", headers=paging.auth())
    assert naive.status_code == 422
    assert "since" in naive.text
    future = paging.client.post(
        f"/integrations/deploy/{deploy_key}", json={"summary": "x", "at": "2027-01-01T00:00:00+00:00"}
    )
    assert future.status_code == 422
    assert "at" in future.json()["error"]["details"][0]["field"]
    assert paging.scalar("select count(*) from change_events") == 3


def test_a_mitigation_that_fails_escalates_to_the_next_level_even_when_acknowledged(paging: PagingApp) -> None:
    number = _declare(paging)
    paging.tick()
    assert [n.person for _a, n in paging.recorder.sent] == ["Alice"]
    _post(paging, f"/api/v1/incidents/{number}/acknowledge")
    paging.recorder.sent.clear()
    chosen = _post(paging, f"/api/v1/incidents/{number}/mitigations", {"answers": {"recent_deployment": True}})
    step = chosen["mitigations"][0]["id"]
    _post(paging, f"/api/v1/incidents/{number}/mitigations/{step}/outcome", {"outcome": "not_resolved"})
    paging.tick()
    assert [(a, n.person, n.level) for a, n in paging.recorder.sent] == [("https://hooks.example/carol", "Carol", 2)]
    assert _kinds(paging, number, "escalated") == [
        "Escalated to level 2 of checkout-primary: the mitigation did not resolve the issue"
    ]
    # Nothing more falls due before level 2's timeout; then the policy repeats from level 1.
    paging.recorder.sent.clear()
    paging.clock.advance(timedelta(minutes=9))
    paging.tick()
    assert paging.recorder.sent == []
    # Escalating again pages the last level again; an acknowledgement now stops it.
    _post(paging, f"/api/v1/incidents/{number}/escalate", {"note": "still failing"})
    paging.tick()
    assert [n.person for _a, n in paging.recorder.sent] == ["Carol"]
    assert _kinds(paging, number, "escalated")[-1] == "Escalated to level 2 of checkout-primary: still failing"
    paging.clock.advance(timedelta(seconds=1))
    _post(paging, f"/api/v1/incidents/{number}/acknowledge")
    paging.recorder.sent.clear()
    paging.clock.advance(timedelta(hours=1))
    paging.tick()
    assert _pages(paging) == []
    # The overdue status update reminds Carol: nobody holds a role, and she is on call at level 2,
    # the highest the incident reached.
    assert [a for a, n in paging.recorder.sent if getattr(n, "kind", "") == "reminder"] == [
        "https://hooks.example/carol"
    ]
    no_policy = _declare(paging, service=None)
    refused = paging.client.post(f"/api/v1/incidents/{no_policy}/escalate", headers=paging.auth())
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "policy"


def test_a_handover_keeps_the_time_the_team_was_assembled(paging: PagingApp) -> None:
    number = _declare(paging, severity="SEV-2")
    paging.clock.advance(timedelta(minutes=2))
    _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "ic", "user": "alice"})  # also the Tech Lead
    paging.clock.advance(timedelta(minutes=40))
    handed = _post(paging, f"/api/v1/incidents/{number}/roles", {"role": "ic", "user": "bob"})
    assert handed["staffing_warning"] == ""
    paging.tick()
    assert _view(paging, number)["targets"]["assemble"] == "met"
    assert [m for m in _kinds(paging, number, "target_missed") if m.startswith("Assemble")] == []


def test_like_named_incidents_get_their_own_war_rooms(paging: PagingApp) -> None:
    first = _declare(paging, title="Checkout down")
    second = _declare(paging, title="Checkout down!")
    rooms = []
    for number in (first, second):
        _post(paging, f"/api/v1/incidents/{number}/war-room")
        rooms.append(_view(paging, number)["war_room"])
    assert rooms == ["incident-2026-03-04-checkout-down", f"incident-2026-03-04-checkout-down-{second}"]


def test_a_breach_is_recorded_once_and_the_second_writer_is_told(paging: PagingApp) -> None:
    from firebell.incidents.repo import SqlIncidentRepo
    from firebell.infra.db import transaction

    number = _declare(paging)
    incident_id = str(paging.scalar(f"SELECT id FROM incidents WHERE number = {number}"))
    values = {
        "incident_id": incident_id,
        "target": "acknowledge",
        "due_at": paging.clock.now(),
        "recorded_at": paging.clock.now(),
    }
    with transaction(paging.container.engine, write=True) as conn:
        assert SqlIncidentRepo(conn).add_breach(dict(values)) is True
    with transaction(paging.container.engine, write=True) as conn:
        assert SqlIncidentRepo(conn).add_breach(dict(values)) is False  # on PostgreSQL too (rowcount is -1 there)
    assert paging.rows("SELECT count(*) FROM incident_target_breaches") == [(1,)]
