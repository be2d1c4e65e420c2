"""Grouping through the intake endpoints, with each sender's own payloads: unrelated alerts open
incidents of their own unless the service chose otherwise, and each joining alert says why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from firebell.alerts.normalize import from_test_alert
from firebell.alerts.repo import SqlAlertRepo
from firebell.alerts.schemas import TestAlert as AlertBody
from firebell.alerts.service import Submission, ingest_batch
from firebell.catalog.repo import SqlServiceConfigs
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.service import IncidentIntake
from firebell.infra.db import transaction
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.severity import Sev
from tests.integration.conftest import App, PagingApp, apply_config
from tests.integration.test_catalog import log_in
from tests.integration.test_intake import am_alert, am_payload


def _open_incidents(app: App) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = app.client.get("/api/v1/incidents?status=open", headers=app.auth()).json()
    return found


def _alerts(app: App) -> dict[str, dict[str, Any]]:
    rows = app.client.get("/api/v1/alerts", headers=app.auth()).json()
    return {row["summary"]: row for row in rows}


def _pagerduty(app: App, key: str, summary: str, **payload: str) -> None:
    body = {"summary": summary, "source": "db-1", "severity": "critical", **payload}
    answer = app.client.post("/v2/enqueue", json={"routing_key": key, "event_action": "trigger", "payload": body})
    assert answer.status_code == 202, answer.text


def _opsgenie(app: App, key: str, **body: str) -> None:
    answer = app.client.post("/v2/alerts", json=body, headers={"authorization": f"GenieKey {key}"})
    assert answer.status_code == 202, answer.text


def _webhook(app: App, key: str, title: str, severity: str) -> None:
    answer = app.client.post(f"/integrations/webhook/{key}", json={"title": title, "severity": severity})
    assert answer.status_code == 202, answer.text


def test_a_missed_heartbeat_opens_its_own_incident_beside_a_typo(paging: PagingApp) -> None:
    key = paging.add_integration("checkout", "webhook")
    made = {"name": "nightly-backup", "service": "checkout", "interval": "5m", "grace": "1m"}
    assert paging.client.post("/api/v1/heartbeats", json=made, headers=paging.auth()).status_code == 201
    paging.clock.advance(timedelta(minutes=5, seconds=30))
    _webhook(paging, key, "Typo in footer", "warning")
    paging.tick()
    paging.clock.advance(timedelta(seconds=40))
    paging.tick()  # the heartbeat is missed, 40 s after the typo's incident opened
    incidents = {i["title"].split(":")[0]: i for i in _open_incidents(paging)}
    assert set(incidents) == {"Typo in footer", "Heartbeat nightly-backup missed"}
    assert incidents["Typo in footer"]["sev"] == "SEV-3"
    assert incidents["Heartbeat nightly-backup missed"]["sev"] == "SEV-1"
    assert {a["join_reason"] for a in _alerts(paging).values()} == {None}


def test_a_service_that_chose_service_grouping_merges_them_as_before(paging: PagingApp) -> None:
    apply_config(paging, "services:\n  - {name: checkout, escalation_policy: checkout-primary, grouping: service}\n")
    paging.container.catalog_changed()
    key = paging.add_integration("checkout", "webhook")
    made = {"name": "nightly-backup", "service": "checkout", "interval": "5m", "grace": "1m"}
    assert paging.client.post("/api/v1/heartbeats", json=made, headers=paging.auth()).status_code == 201
    paging.clock.advance(timedelta(minutes=5, seconds=30))
    _webhook(paging, key, "Typo in footer", "warning")
    paging.clock.advance(timedelta(seconds=40))
    paging.tick()
    (incident,) = _open_incidents(paging)
    assert incident["sev"] == "SEV-1"
    heartbeat = next(a for s, a in _alerts(paging).items() if s.startswith("Heartbeat"))
    assert heartbeat["join_reason"] == "any alert of checkout within 5m"
    detail = paging.client.get(f"/api/v1/incidents/{incident['number']}", headers=paging.auth()).json()
    messages = [e["message"] for e in detail["timeline"]]
    assert "Raised from SEV-3 to SEV-1 by a new alert" in messages
    assert any(m.startswith("Alert joined: Heartbeat nightly-backup missed") for m in messages)


def test_pagerduty_events_of_different_classes_open_separate_incidents(app: App) -> None:
    app.add_service("db")
    key = app.add_integration("db", "pagerduty")
    _pagerduty(app, key, "CPU load 93%", **{"class": "cpu load", "component": "postgres"})
    _pagerduty(app, key, "Disk 91% full", **{"class": "disk full", "component": "postgres"})
    _pagerduty(app, key, "CPU load 97%", **{"class": "cpu load", "component": "postgres"})
    _pagerduty(app, key, "Replication lag 40 s")  # no class: known by its summary
    assert len(_open_incidents(app)) == 3
    alerts = _alerts(app)
    assert (
        alerts["CPU load 97%"]["join_reason"] == "same alert class=cpu load, source=db-1, component=postgres within 5m"
    )
    assert alerts["CPU load 97%"]["incident_id"] == alerts["CPU load 93%"]["incident_id"]
    assert alerts["Disk 91% full"]["join_reason"] is None


def test_opsgenie_alerts_with_different_aliases_open_separate_incidents(app: App) -> None:
    app.add_service("queue")
    key = app.add_integration("queue", "opsgenie")
    _opsgenie(app, key, message="Queue stuck", alias="queue-stuck", priority="P1")
    _opsgenie(app, key, message="Queue slow", alias="queue-slow", priority="P1")
    _opsgenie(app, key, message="Consumer down", entity="worker-1", priority="P2")
    _opsgenie(app, key, message="Consumer down", entity="worker-1", priority="P1")  # no alias: a new alert
    assert len(_open_incidents(app)) == 3
    down = [a for a in app.client.get("/api/v1/alerts", headers=app.auth()).json() if a["summary"] == "Consumer down"]
    assert sorted(str(a["join_reason"]) for a in down) == [
        "None",
        "same alert entity=worker-1, message=Consumer down within 5m",
    ]


def test_an_alertmanager_group_stays_one_incident_and_two_groups_stay_two(app: App) -> None:
    app.add_service("api")
    key = app.add_integration("api", "alertmanager")
    url = f"/integrations/alertmanager/{key}"
    app.client.post(url, json=am_payload(am_alert("a"), group='{}:{job="api"}'))
    app.clock.advance(timedelta(hours=2))  # a group holds together whatever the window
    app.client.post(url, json=am_payload(am_alert("a"), am_alert("b"), group='{}:{job="api"}'))
    app.client.post(url, json=am_payload(am_alert("c"), group='{}:{job="db"}'))
    assert len(_open_incidents(app)) == 2
    alerts = {a["dedup_key"]: a for a in app.client.get("/api/v1/alerts", headers=app.auth()).json()}
    assert alerts["a"]["incident_id"] == alerts["b"]["incident_id"] != alerts["c"]["incident_id"]
    assert alerts["b"]["join_reason"] == "same Alertmanager group"


def test_service_grouping_merges_every_sender_within_its_window_and_the_page_says_why(app: App) -> None:
    app.add_service("mixed")
    apply_config(app, "services:\n  - {name: mixed, grouping: service, grouping_window: 10m}\n")
    app.container.catalog_changed()
    pd = app.add_integration("mixed", "pagerduty")
    og = app.add_integration("mixed", "opsgenie")
    hook = app.add_integration("mixed", "webhook")
    _webhook(app, hook, "Typo in footer", "warning")
    _pagerduty(app, pd, "CPU load 93%", **{"class": "cpu load"})
    app.clock.advance(timedelta(minutes=10))
    _opsgenie(app, og, message="Queue stuck", alias="q1", priority="P2")
    app.clock.advance(timedelta(seconds=1))
    _opsgenie(app, og, message="Queue slow", alias="q2", priority="P2")  # past the window: a new incident
    first, second = sorted(_open_incidents(app), key=lambda i: i["number"])
    assert first["sev"] == "SEV-1"
    alerts = _alerts(app)
    assert alerts["Queue stuck"]["incident_id"] == first["id"]
    assert alerts["Queue slow"]["incident_id"] == second["id"]
    assert alerts["CPU load 93%"]["join_reason"] == "any alert of mixed within 10m"
    log_in(app)
    page = app.client.get(f"/incidents/{first['number']}")
    assert page.status_code == 200
    assert page.text.count("Joined: any alert of mixed within 10m") == 2
    listed = app.client.get("/services").text
    assert 'any alert <span class="muted">within 600 s</span>' in listed


def test_labels_grouping_never_joins_by_a_missing_label(app: App) -> None:
    created = app.client.post(
        "/api/v1/services", json={"name": "edge", "group_by_labels": ["cluster"]}, headers=app.auth()
    )
    assert created.status_code == 201, created.text
    assert created.json()["grouping_mode"] == "labels"
    app.add_integration("edge", "webhook")

    def send(summary: str, **labels: str) -> Any:
        body = {"service": "edge", "summary": summary, "severity": "critical", "labels": labels}
        return app.client.post("/api/v1/alerts", json=body, headers=app.auth()).json()[0]["incident_id"]

    eu = send("5xx in eu", cluster="eu-1")
    assert send("latency in eu", cluster="eu-1") == eu
    assert send("5xx in us", cluster="us-1") != eu
    bare = send("no cluster label")
    assert bare not in (eu, send("no cluster label either"))
    assert _alerts(app)["latency in eu"]["join_reason"] == "same labels cluster=eu-1 within 5m"


def test_the_services_api_refuses_labels_without_labels_naming_the_field(app: App) -> None:
    refused = app.client.post("/api/v1/services", json={"name": "x", "grouping_mode": "labels"}, headers=app.auth())
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "group_by_labels"
    made = app.client.post("/api/v1/services", json={"name": "x"}, headers=app.auth()).json()
    assert (made["grouping_mode"], made["group_by_labels"], made["grouping_window_seconds"]) == ("alert", [], 300)
    patch = app.client.patch("/api/v1/services/x", json={"grouping_mode": "labels"}, headers=app.auth())
    assert patch.status_code == 422
    assert patch.json()["error"]["details"][0]["field"] == "group_by_labels"
    changed = app.client.patch(
        "/api/v1/services/x", json={"group_by_labels": ["cluster"], "grouping_window_seconds": 600}, headers=app.auth()
    ).json()
    assert (changed["grouping_mode"], changed["group_by_labels"], changed["grouping_window_seconds"]) == (
        "labels",
        ["cluster"],
        600,
    )
    back = app.client.patch("/api/v1/services/x", json={"grouping_mode": "none"}, headers=app.auth()).json()
    assert (back["grouping_mode"], back["group_by_labels"]) == ("none", [])
    bad = app.client.patch("/api/v1/services/x", json={"grouping_mode": "sometimes"}, headers=app.auth())
    assert bad.status_code == 422


def test_the_apply_file_refuses_labels_without_group_by_naming_the_field(app: App) -> None:
    app.add_service("a")
    app.add_service("b")
    with pytest.raises(ValidationFailed) as missing:
        apply_config(app, "services:\n  - {name: a}\n  - {name: b, grouping: labels}\n")
    assert missing.value.details[0]["field"] == "services[1].group_by"
    with pytest.raises(ValidationFailed) as bad_window:
        apply_config(app, "services:\n  - {name: a, grouping_window: soon}\n")
    assert bad_window.value.details[0]["field"] == "services[0].grouping_window"
    assert app.scalar("select grouping_mode from services where name = 'b'") == "alert"


def test_each_joining_alert_reaches_the_hook_and_the_timeline_once(app: App) -> None:
    service_id = app.add_service("hooked", group_by_labels=["cluster"])
    app.add_integration("hooked", "webhook")
    integration_id = str(app.scalar("select id from integrations"))
    calls: list[dict[str, Any]] = []

    def on_join(incident_id: str, **what: Any) -> None:
        calls.append({"incident_id": incident_id, **what})

    def event(key: str, severity: Any) -> Any:
        labels = {"cluster": "eu-1"}
        return from_test_alert(
            AlertBody(service="hooked", summary=f"alert {key}", severity=severity, dedup_key=key, labels=labels)
        )

    events = (event("a", "warning"), event("b", "critical"), event("b", "critical"), event("c", "warning"))
    now = app.clock.now()
    with transaction(app.container.engine, write=True) as conn:
        incidents = IncidentIntake(SqlIncidentRepo(conn), on_join=on_join)
        (results,) = ingest_batch(
            [Submission(integration_id, service_id, "api", "{}", events)],
            alerts=SqlAlertRepo(conn),
            incidents=incidents,
            configs=SqlServiceConfigs(conn),
            now=now,
        )
    incident = results[0].incident_id
    assert [(c["alert_id"], c["severity"], c["raised_from"]) for c in calls] == [
        (results[1].alert_id, Sev.SEV1, Sev.SEV3),
        (results[3].alert_id, Sev.SEV3, None),
    ]
    assert {(c["incident_id"], c["at"]) for c in calls} == {(incident, now)}
    assert set(calls[0]) == {"incident_id", "alert_id", "summary", "severity", "raised_from", "at"}
    rows = app.rows(f"select message from incident_events where kind = 'alert_joined' and incident_id = '{incident}'")
    assert sorted(r[0] for r in rows) == [
        "Alert joined: alert b (same labels cluster=eu-1 within 5m)",
        "Alert joined: alert c (same labels cluster=eu-1 within 5m)",
    ]
