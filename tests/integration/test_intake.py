"""Every intake endpoint against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import App


def am_payload(
    *alerts: dict[str, Any], group: str = '{}:{alertname="HighErrors"}', status: str = "firing"
) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": group,
        "status": status,
        "receiver": "firebell",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "alerts": list(alerts),
    }


def am_alert(fp: str, status: str = "firing", severity: str = "critical", **annotations: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "HighErrors", "severity": severity, "instance": fp},
        "annotations": {"summary": f"errors on {fp}", **annotations},
        "startsAt": "2026-01-01T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom/graph",
        "fingerprint": fp,
    }


def counts(app: App) -> tuple[object, object, object]:
    return (
        app.scalar("select count(*) from raw_payloads"),
        app.scalar("select count(*) from alerts"),
        app.scalar("select count(*) from incidents"),
    )


def test_alertmanager_group_opens_one_incident_and_resolves_it(app: App) -> None:
    app.add_service("api", runbook_url="http://runbooks/api")
    key = app.add_integration("api", "alertmanager")
    url = f"/integrations/alertmanager/{key}"
    r = app.client.post(url, json=am_payload(am_alert("a", runbook_url="http://rb/a"), am_alert("b")))
    assert r.status_code == 202, r.text
    results = r.json()["alerts"]
    assert [x["outcome"] for x in results] == ["created", "created"]
    assert results[0]["incident_id"] == results[1]["incident_id"]
    incident = app.client.get(f"/api/v1/incidents/{results[0]['incident_id']}", headers=app.auth()).json()
    assert incident["sev"] == "SEV-1"
    assert incident["status"] == "detected"
    assert incident["runbook_url"] == "http://rb/a"
    assert incident["alert_count"] == 2
    # A repeat notification of the same group deduplicates.
    app.client.post(url, json=am_payload(am_alert("a"), am_alert("b")))
    assert app.scalar("select sum(count) from alerts") == 4
    # Resolving one keeps the incident open; resolving both auto-resolves it.
    app.client.post(url, json=am_payload(am_alert("a", status="resolved"), am_alert("b")))
    assert app.client.get(f"/api/v1/incidents/{incident['id']}", headers=app.auth()).json()["status"] == "detected"
    app.client.post(url, json=am_payload(am_alert("b", status="resolved"), status="resolved"))
    after = app.client.get(f"/api/v1/incidents/{incident['id']}", headers=app.auth()).json()
    assert after["status"] == "resolved"
    assert after["resolved_at"] is not None
    kinds = [e["kind"] for e in after["timeline"]]
    assert [k for k in kinds if not k.startswith("alert_")] == [
        "opened",
        "not_paged",
        "status_changed",
    ]  # the service has no policy
    alert_kinds = sorted(k for k in kinds if k.startswith("alert_"))
    assert alert_kinds == ["alert_fired"] * 2 + ["alert_joined"] + ["alert_resolved"] * 2
    joined = next(e for e in after["timeline"] if e["kind"] == "alert_joined")
    assert joined["message"].endswith("(same Alertmanager group)")
    reasons = {a["dedup_key"]: a["join_reason"] for a in after["alerts"]}
    assert reasons == {"a": None, "b": "same Alertmanager group"}


def test_service_runbook_used_when_alert_has_none(app: App) -> None:
    app.add_service("db", runbook_url="http://runbooks/db")
    key = app.add_integration("db", "alertmanager")
    r = app.client.post(f"/integrations/alertmanager/{key}", json=am_payload(am_alert("x")))
    incident_id = r.json()["alerts"][0]["incident_id"]
    assert (
        app.client.get(f"/api/v1/incidents/{incident_id}", headers=app.auth()).json()["runbook_url"]
        == "http://runbooks/db"
    )


def test_pagerduty_events_v2(app: App) -> None:
    app.add_service("web")
    key = app.add_integration("web", "pagerduty")
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "disk-1",
        "payload": {"summary": "Disk full", "source": "host1", "severity": "error"},
        "links": [{"href": "http://wiki/runbooks/disk", "text": "Runbook"}],
    }
    r = app.client.post("/v2/enqueue", json=event)
    assert r.status_code == 202
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "disk-1"}
    generated = app.client.post("/v2/enqueue", json={**event, "dedup_key": None}).json()["dedup_key"]
    assert generated
    assert generated != "disk-1"
    incidents = app.client.get("/api/v1/incidents", headers=app.auth()).json()
    assert incidents[0]["sev"] == "SEV-2"
    assert incidents[0]["runbook_url"] == "http://wiki/runbooks/disk"
    ack = app.client.post(
        "/v2/enqueue", json={"routing_key": key, "event_action": "acknowledge", "dedup_key": "disk-1"}
    )
    assert ack.status_code == 202
    assert app.scalar("select status from alerts where dedup_key = 'disk-1'") == "acknowledged"
    app.client.post("/v2/enqueue", json={"routing_key": key, "event_action": "resolve", "dedup_key": "disk-1"})
    assert app.scalar("select status from alerts where dedup_key = 'disk-1'") == "resolved"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_action": "trigger", "payload": {"summary": "s", "source": "h", "severity": "error"}}, "routing_key"),
        ({"event_action": "explode"}, "event_action"),
        (
            {"event_action": "trigger", "payload": {"summary": "s", "source": "h", "severity": "fatal"}},
            "payload.severity",
        ),
        ({"event_action": "trigger"}, "payload"),
        ({"event_action": "resolve"}, "dedup_key"),
    ],
)
def test_pagerduty_invalid_events_answer_400_with_errors(app: App, body: dict[str, Any], field: str) -> None:
    app.add_service("web")
    key = app.add_integration("web", "pagerduty")
    body = {"routing_key": key, **body} if field != "routing_key" else body
    r = app.client.post("/v2/enqueue", json=body)
    assert r.status_code in (400, 422)
    payload = r.json()
    assert payload["status"] == "invalid event"
    assert any(e.startswith(field) for e in payload["errors"]), payload
    assert counts(app) == (0, 0, 0)


def test_pagerduty_unknown_routing_key_stores_nothing(app: App) -> None:
    app.add_service("web")
    app.add_integration("web", "pagerduty")
    r = app.client.post(
        "/v2/enqueue",
        json={
            "routing_key": "0" * 32,
            "event_action": "trigger",
            "payload": {"summary": "s", "source": "h", "severity": "error"},
        },
    )
    assert r.status_code == 404
    assert "routing_key" in r.json()["errors"][0]
    assert counts(app) == (0, 0, 0)


def test_opsgenie_create_acknowledge_close(app: App) -> None:
    app.add_service("queue")
    key = app.add_integration("queue", "opsgenie")
    headers = {"authorization": f"GenieKey {key}"}
    r = app.client.post(
        "/v2/alerts",
        json={"message": "Queue stuck", "alias": "q1", "priority": "P1", "tags": ["prod"]},
        headers=headers,
    )
    assert r.status_code == 202
    assert r.json()["result"] == "Request will be processed"
    assert r.json()["requestId"]
    assert (
        app.client.post(
            "/v2/alerts/q1/acknowledge?identifierType=alias", json={"user": "me"}, headers=headers
        ).status_code
        == 202
    )
    assert app.scalar("select status from alerts") == "acknowledged"
    assert app.scalar("select status from incidents") == "acknowledged"
    assert app.client.post("/v2/alerts/q1/close?identifierType=alias", headers=headers).status_code == 202
    assert app.scalar("select status from incidents") == "resolved"


def test_opsgenie_close_by_id_and_bad_auth(app: App) -> None:
    app.add_service("queue")
    key = app.add_integration("queue", "opsgenie")
    headers = {"authorization": f"GenieKey {key}"}
    app.client.post("/v2/alerts", json={"message": "m", "alias": "z"}, headers=headers)
    alert_id = app.scalar("select id from alerts")
    assert app.client.post(f"/v2/alerts/{alert_id}/close", headers=headers).status_code == 202
    assert app.scalar("select status from alerts") == "resolved"
    assert app.client.post("/v2/alerts", json={"message": "m"}).status_code == 401
    assert (  # an unknown key: 401, as Opsgenie answers it
        app.client.post("/v2/alerts", json={"message": "m"}, headers={"authorization": "GenieKey nope"}).status_code
        == 401
    )
    bad = app.client.post("/v2/alerts", json={"message": "m", "priority": "P9"}, headers=headers)
    assert bad.status_code == 422
    assert "priority" in bad.json()["errors"]


def test_webhook_with_field_mapping(app: App) -> None:
    app.add_service("billing")
    mapping = {
        "title": "alert.name",
        "dedup_key": "alert.id",
        "severity": "level",
        "status": "state",
        "links": "urls",
        "severity_values": {"p1": "critical"},
    }
    key = app.add_integration("billing", "webhook", mapping=mapping)
    url = f"/integrations/webhook/{key}"
    body = {
        "alert": {"name": "Invoices failing", "id": 7},
        "level": "P1",
        "state": "alerting",
        "urls": ["http://x/runbook"],
    }
    r = app.client.post(url, json=body)
    assert r.status_code == 202
    assert r.json()["alerts"][0]["outcome"] == "created"
    assert app.scalar("select sev from incidents") == "SEV-1"
    assert app.scalar("select runbook_url from incidents") == "http://x/runbook"
    app.client.post(url, json={**body, "state": "ok"})
    assert app.scalar("select status from incidents") == "resolved"
    missing = app.client.post(url, json={"alert": {"id": 8}})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "alert.name"


def test_info_alert_logged_and_maintenance_suppresses(app: App) -> None:
    from datetime import timedelta

    app.add_service("batch")
    key = app.add_integration("batch", "alertmanager")
    url = f"/integrations/alertmanager/{key}"
    r = app.client.post(url, json=am_payload(am_alert("i", severity="info"), group="g-info"))
    assert r.json()["alerts"][0]["outcome"] == "logged"
    now = app.clock.now()
    window = {
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "reason": "upgrade",
    }
    assert app.client.post("/api/v1/services/batch/maintenance", json=window, headers=app.auth()).status_code == 201
    r = app.client.post(url, json=am_payload(am_alert("m"), group="g-maint"))
    assert r.json()["alerts"][0]["outcome"] == "suppressed"
    assert app.scalar("select count(*) from incidents") == 0
    assert app.scalar("select count(*) from alerts") == 2


BAD_BODIES = [
    (b"{not json", "body"),
    (b'{"version":"4","groupKey":"g","status":"firing","alerts":"many"}', "alerts"),
    (b'{"version":"4","status":"firing","alerts":[]}', "groupKey"),
    (
        b'{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"a":1}}]}',
        "alerts.0.labels.a",
    ),
    (b'{"version":"3","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{}}]}', "version"),
]


@pytest.mark.parametrize(("raw", "field"), BAD_BODIES)
def test_bad_alertmanager_input_is_4xx_naming_the_field_and_stores_nothing(app: App, raw: bytes, field: str) -> None:
    app.add_service("api")
    key = app.add_integration("api", "alertmanager")
    r = app.client.post(f"/integrations/alertmanager/{key}", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert any(d["field"] == field for d in r.json()["error"]["details"]), r.json()
    assert counts(app) == (0, 0, 0)


def test_wrong_key_is_404_and_stores_nothing(app: App) -> None:
    app.add_service("api")
    app.add_integration("api", "alertmanager")
    webhook_key = app.add_integration("api", "webhook")
    r = app.client.post("/integrations/alertmanager/deadbeefdeadbeef", json=am_payload(am_alert("a")))
    assert r.status_code == 404
    assert r.json()["error"]["details"][0]["field"] == "key"
    # A key of another kind does not open this door either.
    assert (
        app.client.post(f"/integrations/alertmanager/{webhook_key}", json=am_payload(am_alert("a"))).status_code == 404
    )
    assert counts(app) == (0, 0, 0)


def test_oversized_body_is_413(app: App) -> None:
    app.add_service("api")
    key = app.add_integration("api", "alertmanager")
    limit = app.container.settings.ingest.max_body_bytes
    big = am_payload(*[am_alert(f"f{i}", description="x" * 2000) for i in range(limit // 2000 + 5)])
    r = app.client.post(f"/integrations/alertmanager/{key}", json=big)
    assert r.status_code == 413
    assert r.json()["error"]["details"][0]["field"] == "body"

    def chunks():  # no Content-Length: the limit still holds while streaming
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    r = app.client.post(
        f"/integrations/alertmanager/{key}", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert counts(app) == (0, 0, 0)


def test_resolve_and_refire_of_one_key_in_one_payload(app: App) -> None:
    app.add_service("api")
    key = app.add_integration("api", "alertmanager")
    url = f"/integrations/alertmanager/{key}"
    assert app.client.post(url, json=am_payload(am_alert("k"))).status_code == 202
    flap = app.client.post(url, json=am_payload(am_alert("k", status="resolved"), am_alert("k"), am_alert("other")))
    assert flap.status_code == 202, flap.text
    assert [a["outcome"] for a in flap.json()["alerts"]] == ["resolved", "created", "created"]
    assert app.scalar("select count(*) from alerts where dedup_key = 'k' and status = 'resolved'") == 1
    assert app.scalar("select count(*) from alerts where dedup_key = 'k' and status = 'triggered'") == 1


def test_awkward_but_valid_input_is_stored_not_refused(app: App) -> None:
    app.add_service("web")
    am_key = app.add_integration("web", "alertmanager")
    pd_key = app.add_integration("web", "pagerduty")
    long_group = "{}:{" + "x" * 1100 + "}"
    alert = am_alert("g", runbook_url="http://rb/" + "r" * 2100)
    for _ in range(2):  # the second notification must find the first one's incident
        r = app.client.post(
            f"/integrations/alertmanager/{am_key}", json=am_payload(alert, am_alert("g2"), group=long_group)
        )
        assert r.status_code == 202, r.text
    assert app.scalar("select count(*) from incidents") == 1
    event = {
        "routing_key": pd_key,
        "event_action": "trigger",
        "dedup_key": "nul",
        "payload": {
            "summary": "a\u0000b",
            "source": "h",
            "severity": "error",
            "timestamp": "2024-01-01T00:00:00",
            "custom_details": {"k": "a\u0000", "n": 18446744073709551616},
        },
    }
    r = app.client.post("/v2/enqueue", json=event)
    assert r.status_code == 202, r.text
    assert app.scalar("select summary from alerts where dedup_key = 'nul'") == "a\ufffdb"
    occurred = str(app.scalar("select occurred_at from alerts where dedup_key = 'nul'"))
    assert occurred.startswith("2024-01-01 00:00:00"), occurred  # a bare timestamp means UTC


def test_opsgenie_long_alias_and_stale_id(app: App) -> None:
    app.add_service("queue")
    key = app.add_integration("queue", "opsgenie")
    headers = {"authorization": f"GenieKey {key}"}
    alias = "a" * 300
    app.client.post("/v2/alerts", json={"message": "m", "alias": alias}, headers=headers)
    assert app.client.post(f"/v2/alerts/{alias}/close?identifierType=alias", headers=headers).status_code == 202
    assert app.scalar("select status from alerts") == "resolved"
    app.client.post("/v2/alerts", json={"message": "m", "alias": "dup"}, headers=headers)
    old_id = app.scalar("select id from alerts where dedup_key = 'dup'")
    app.client.post("/v2/alerts/dup/close?identifierType=alias", headers=headers)
    app.client.post("/v2/alerts", json={"message": "m", "alias": "dup"}, headers=headers)
    stale = app.client.post(f"/v2/alerts/{old_id}/close", headers=headers)
    assert stale.status_code == 404
    assert app.scalar("select count(*) from alerts where dedup_key = 'dup' and status = 'triggered'") == 1


def test_a_webhook_larger_than_one_insert_statement_stores_every_alert(app: App) -> None:
    # 3,000 alerts need more than one multi-row INSERT (about 1,390 rows fit under the parameter limit).
    app.add_service("big")
    key = app.add_integration("big", "alertmanager")
    alerts = [am_alert(f"fp-{i:05d}", summary=f"alert {i}") for i in range(3000)]
    r = app.client.post(f"/integrations/alertmanager/{key}", json=am_payload(*alerts))
    assert r.status_code == 202, r.text
    assert {x["outcome"] for x in r.json()["alerts"]} == {"created"}
    assert counts(app) == (1, 3000, 1)
    stored = app.rows("select dedup_key, summary, labels from alerts order by dedup_key")
    assert [row[0] for row in stored] == [f"fp-{i:05d}" for i in range(3000)]
    assert stored[2999][1] == "alert 2999"
    assert "fp-02999" in str(stored[2999][2])


def test_a_sender_retrying_a_wrong_key_is_answered_from_memory(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from firebell import bootstrap
    from firebell.catalog.repo import SqlCatalogRepo

    lookups: list[str] = []
    real = SqlCatalogRepo.integration_by_digest

    def counted(self: SqlCatalogRepo, digest: str) -> dict[str, Any] | None:
        lookups.append(digest)
        return real(self, digest)

    clock = [1000.0]
    monkeypatch.setattr(SqlCatalogRepo, "integration_by_digest", counted)
    monkeypatch.setattr(bootstrap.time, "monotonic", lambda: clock[0])
    url = "/integrations/alertmanager/deadbeefdeadbeef"
    for _ in range(5):
        assert app.client.post(url, json=am_payload(am_alert("a"))).status_code == 404
    assert len(lookups) == 1
    clock[0] += app.container.settings.ingest.unknown_key_cache_seconds  # remembered briefly, then asked again
    assert app.client.post(url, json=am_payload(am_alert("a"))).status_code == 404
    assert len(lookups) == 2
    # A known key is remembered for longer.
    app.add_service("api")
    key = app.add_integration("api", "alertmanager")
    for _ in range(3):
        assert app.client.post(f"/integrations/alertmanager/{key}", json=am_payload(am_alert("b"))).status_code == 202
    assert len(lookups) == 3
    assert counts(app) == (3, 1, 1)
