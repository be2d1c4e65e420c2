"""Everything a sender said about an alert, kept and shown: Grafana's webhook through the Alertmanager
intake, and each source's details in the single-alert API, the alert list, the alert page and the
incident page (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.infra.db import transaction
from tests.integration.conftest import App
from tests.integration.principals import root_user
from tests.web_login import log_in

GRAFANA = Path(__file__).resolve().parents[1] / "fixtures" / "grafana"


def grafana(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((GRAFANA / name).read_text())
    return body


def alerts_of(app: App, **params: str) -> list[dict[str, Any]]:
    response = app.client.get("/api/v1/alerts", params=params, headers=app.auth())
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def one(app: App, alert_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = app.client.get(f"/api/v1/alerts/{alert_id}", headers=headers or app.auth())
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_grafanas_documented_example_is_accepted_with_its_values_and_links(app: App) -> None:
    app.add_service("web")
    key = app.add_integration("web", "alertmanager")
    body = grafana("firing.json")
    response = app.client.post(f"/integrations/alertmanager/{key}", json=body)
    assert response.status_code == 202, response.text
    outcomes = [a["outcome"] for a in response.json()["alerts"]]
    assert outcomes == ["created", "created"]
    memory = next(a for a in alerts_of(app) if a["dedup_key"] == "c6eadffa33fcdf37")
    assert memory["summary"] == "This alert was triggered for zone us-1"
    assert memory["details"]["values"] == {"B": 44.23943737541908, "C": 1}
    assert memory["details"]["annotations"]["description"] == "The system has high memory usage"
    assert memory["runbook_url"] == "https://myrunbook.com/runbook/1234"
    # Empty dashboard and panel addresses make no link; the rule's and the silence's do.
    assert [(link["text"], link["href"]) for link in memory["links"]] == [
        ("Source", "https://play.grafana.org/alerting/1afz29v7z/edit"),
        ("Silence", body["alerts"][0]["silenceURL"]),
    ]
    shown = one(app, memory["id"])
    rows = {r["key"]: r["value"] for r in shown["fields"]}
    assert rows["values.B"] == "44.23943737541908"
    assert rows["description"] == "The system has high memory usage"


def test_grafana_firing_then_resolved_keeps_image_dashboard_panel_and_silence_links(app: App) -> None:
    app.add_service("db")
    key = app.add_integration("db", "alertmanager")
    firing = grafana("firing_links.json")
    assert app.client.post(f"/integrations/alertmanager/{key}", json=firing).status_code == 202
    (alert,) = alerts_of(app)
    assert (alert["status"], alert["severity"], alert["incident_number"]) == ("triggered", "critical", 1)
    sent = firing["alerts"][0]
    assert [(link["text"], link["href"]) for link in alert["links"]] == [
        ("Source", sent["generatorURL"]),
        ("Dashboard", sent["dashboardURL"]),
        ("Panel", sent["panelURL"]),
        ("Image", sent["imageURL"]),
        ("Silence", sent["silenceURL"]),
    ]
    assert alert["details"]["valueString"] == sent["valueString"]
    assert alert["details"]["values"] == {"A": 97.31, "B": 97.31, "C": 1}

    resolved = grafana("resolved_links.json")
    response = app.client.post(f"/integrations/alertmanager/{key}", json=resolved)
    assert response.status_code == 202, response.text
    assert [a["outcome"] for a in response.json()["alerts"]] == ["resolved"]
    (alert,) = alerts_of(app)
    assert alert["status"] == "resolved"
    incident = app.client.get("/api/v1/incidents/1", headers=app.auth()).json()
    assert incident["status"] == "resolved"
    # The alert page shows the firing's values and every Grafana link, none as an inline image.
    _login(app)
    page = app.client.get(f"/alerts/{alert['id']}")
    assert page.status_code == 200
    assert "[ var=&#39;A&#39; labels={instance=db-1} value=97.31 ]" in page.text
    for url in (sent["dashboardURL"], sent["panelURL"], sent["imageURL"]):
        assert f'href="{url.replace("&", "&amp;")}"' in page.text
    assert "<img" not in page.text


def test_an_unknown_payload_version_is_refused_naming_the_field(app: App) -> None:
    app.add_service("db")
    key = app.add_integration("db", "alertmanager")
    body = grafana("firing_links.json") | {"version": "2"}
    response = app.client.post(f"/integrations/alertmanager/{key}", json=body)
    assert response.status_code == 422
    assert "version" in response.text
    assert app.scalar("select count(*) from alerts") == 0


PAGERDUTY_DETAILS = {"ping time": "1500ms", "load avg": 0.75, "nested": {"disk": "/var", "free": 2}}


def _pagerduty(app: App) -> str:
    app.add_service("api")
    key = app.add_integration("api", "pagerduty")
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "api-latency",
        "payload": {
            "summary": "API latency above 1s",
            "source": "api-1",
            "severity": "critical",
            "custom_details": PAGERDUTY_DETAILS,
        },
        "links": [{"href": "https://status.example.com/api", "text": "Status"}],
        "images": [
            {"src": "https://charts.example.com/latency.png", "href": "https://charts.example.com", "alt": "p99"}
        ],
    }
    assert app.client.post("/v2/enqueue", json=event).status_code == 202
    return str(alerts_of(app)[0]["id"])


def test_the_single_alert_api_gives_details_links_images_labels_and_the_raw_payload(app: App) -> None:
    alert_id = _pagerduty(app)
    shown = one(app, alert_id)
    assert shown["details"]["custom_details"] == PAGERDUTY_DETAILS
    # (PostgreSQL's JSONB keeps an object's keys in an order of its own.)
    assert {r["key"]: r["value"] for r in shown["fields"]} == {
        "ping time": "1500ms",
        "load avg": "0.75",
        "nested": '{"disk": "/var", "free": 2}',
    }
    assert shown["links"] == [{"href": "https://status.example.com/api", "text": "Status"}]
    assert shown["images"] == [{"src": "https://charts.example.com/latency.png", "text": "p99"}]
    assert shown["labels"] == {"source": "api-1"}
    assert shown["raw"]["source"] == "pagerduty"
    assert shown["raw"]["body"]["payload"]["custom_details"] == PAGERDUTY_DETAILS
    # The listing carries the details and links too.
    (listed,) = alerts_of(app)
    assert listed["details"]["custom_details"] == PAGERDUTY_DETAILS
    assert listed["links"] == shown["links"]


def test_the_single_alert_api_refuses_an_unknown_id_naming_the_field_and_a_caller_without_a_token(app: App) -> None:
    _pagerduty(app)
    missing = app.client.get("/api/v1/alerts/01NOSUCHALERT0000000000000", headers=app.auth())
    assert missing.status_code == 404
    assert any(d.get("field") == "alert_id" for d in missing.json()["error"]["details"]), missing.text
    alert_id = str(alerts_of(app)[0]["id"])
    assert app.client.get(f"/api/v1/alerts/{alert_id}").status_code == 401
    # As for the alert list, any reader may read it: a read-scoped token does.
    with transaction(app.container.engine, write=True) as conn:
        reader = create_token(repo=SqlIdentityRepo(conn), name="reader", scope="read", now=app.clock.now())
    assert one(app, alert_id, {"authorization": f"Bearer {reader}"})["id"] == alert_id
    listed = app.client.get("/api/v1/alerts", headers={"authorization": f"Bearer {reader}"})
    assert listed.status_code == 200


def test_opsgenie_description_details_and_tags_are_shown(app: App) -> None:
    app.add_service("queue")
    key = app.add_integration("queue", "opsgenie")
    body = {
        "message": "Queue backlog growing",
        "alias": "queue-backlog",
        "description": "Backlog above 10k messages for 5 minutes",
        "tags": ["queue", "prod"],
        "details": {"backlog": "12043", "consumer": "billing-worker"},
        "priority": "P2",
    }
    response = app.client.post("/v2/alerts", json=body, headers={"authorization": f"GenieKey {key}"})
    assert response.status_code == 202, response.text
    alert_id = str(alerts_of(app)[0]["id"])
    rows = {r["key"]: r["value"] for r in one(app, alert_id)["fields"]}
    assert rows["description"] == "Backlog above 10k messages for 5 minutes"
    assert (rows["backlog"], rows["consumer"]) == ("12043", "billing-worker")
    assert rows["tags"] == "prod, queue"


def _login(app: App) -> None:
    root_user(app)
    assert log_in(app.client, "root@example.com", "pw-123456").status_code < 400


def test_the_alert_page_and_the_incident_page_show_details_links_and_images_as_links(app: App) -> None:
    alert_id = _pagerduty(app)
    _login(app)
    page = app.client.get(f"/alerts/{alert_id}")
    assert page.status_code == 200
    assert re.search(r"<th scope=\"row\">ping time</th><td><pre class=\"detail-value\">1500ms</pre>", page.text)
    assert 'href="https://charts.example.com/latency.png"' in page.text
    assert 'href="https://status.example.com/api"' in page.text
    assert "<img" not in page.text
    assert "As received" in page.text
    assert "custom_details" in page.text

    incident = app.client.get("/incidents/1")
    assert incident.status_code == 200
    details = re.search(r'<details class="alert-details">(.*?)</details>', incident.text, re.S)
    assert details is not None, "the incident page lists the alert's details"
    assert "Details (3, 1 image)" in details.group(1)
    assert "1500ms" in details.group(1)
    assert 'href="https://charts.example.com/latency.png"' in details.group(1)
    assert "<img" not in incident.text
    # The alert list links to the alert page.
    assert f'href="/alerts/{alert_id}"' in app.client.get("/alerts").text


def test_an_unknown_alert_page_is_not_found(app: App) -> None:
    _login(app)
    assert app.client.get("/alerts/01NOSUCHALERT0000000000000").status_code == 404


def test_integration_keys_are_not_kept_in_the_raw_payload_nor_shown(app: App) -> None:
    app.add_service("api")
    routing_key = app.add_integration("api", "pagerduty")
    event = {"routing_key": routing_key, "event_action": "trigger", "dedup_key": "d1"}
    event["payload"] = {"summary": "API down", "source": "api-1", "severity": "critical"}
    assert app.client.post("/v2/enqueue", json=event).status_code == 202
    app.add_service("queue")
    genie_key = app.add_integration("queue", "opsgenie")
    body = {"message": "Queue stuck", "alias": "q", "apiKey": genie_key}
    sent = app.client.post("/v2/alerts", json=body, headers={"authorization": f"GenieKey {genie_key}"})
    assert sent.status_code == 202, sent.text
    stored = [str(text) for (text,) in app.rows("SELECT body FROM raw_payloads")]
    assert len(stored) == 2
    assert all(routing_key not in text and genie_key not in text for text in stored)
    by_source = {a["source"]: str(a["id"]) for a in alerts_of(app)}
    assert one(app, by_source["pagerduty"])["raw"]["body"]["routing_key"] == "[redacted]"
    assert one(app, by_source["opsgenie"])["raw"]["body"]["apiKey"] == "[redacted]"
    assert one(app, by_source["pagerduty"])["raw"]["body"]["dedup_key"] == "d1"
    _login(app)
    for alert_id in by_source.values():
        page = app.client.get(f"/alerts/{alert_id}")
        assert page.status_code == 200
        assert "[redacted]" in page.text
        assert routing_key not in page.text
        assert genie_key not in page.text


def test_a_payload_stored_with_a_key_is_shown_without_it(app: App) -> None:
    alert_id = _pagerduty(app)
    with transaction(app.container.engine, write=True) as conn:
        conn.execute(sa.text("UPDATE raw_payloads SET body = :b"), {"b": '{"service_key": "abc123secret"}'})
    assert one(app, alert_id)["raw"]["body"] == {"service_key": "[redacted]"}
