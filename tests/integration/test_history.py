"""`POST /api/v1/import` on both databases: imported rows keep their original times, take the next
incident numbers, page nobody, and a second import of the same file changes nothing; a bad row
refuses the whole file."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import REPORTS
from tests.integration.conftest import App
from tests.integration.principals import root_user
from tests.web_login import log_in

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "history"


def post(app: App, name_or_text: str, expect: int = 200, **params: Any) -> Any:
    named = "\n" not in name_or_text and (FIXTURES / name_or_text).is_file()
    body = (FIXTURES / name_or_text).read_bytes() if named else name_or_text.encode()
    kind = "application/x-ndjson" if name_or_text.endswith(".jsonl") else "text/csv"
    answer = app.client.post(
        "/api/v1/import", params=params, content=body, headers={**app.auth(), "content-type": kind}
    )
    assert answer.status_code == expect, answer.text
    return answer.json()


def as_utc(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def counts(app: App) -> tuple[object, ...]:
    return tuple(
        app.scalar(f"SELECT count(*) FROM {t}")
        for t in ("incidents", "incident_events", "alerts", "raw_payloads", "services", "integrations", "escalations")
    )


def test_pagerduty_incidents_keep_their_times_and_take_the_next_numbers(app: App) -> None:
    app.add_service("checkout")
    app.add_service("payments-db")
    live = app.client.post("/api/v1/incidents", json={"title": "live one", "severity": "SEV-3"}, headers=app.auth())
    assert live.status_code == 201, live.text
    found = post(app, "pagerduty_incidents.csv", format="pagerduty")
    assert found["incidents"] == {"imported": 3, "skipped": 0}
    assert found["incident_numbers"] == [2, 4]
    rows = app.rows(
        "SELECT number, title, status, sev, opened_at, acknowledged_at, resolved_at, detection_source, "
        "recurrence_key, external_ref, group_key FROM incidents WHERE external_ref IS NOT NULL ORDER BY number"
    )
    assert [(r[0], r[2], r[3], r[9]) for r in rows] == [
        (2, "resolved", "SEV-1", "pagerduty:PABC123"),
        (3, "resolved", "SEV-3", "pagerduty:PABC124"),
        (4, "resolved", "SEV-2", "pagerduty:PABC125"),
    ]
    first = rows[0]
    assert first[1] == "[SEV-1] [FIRING:1] HighErrorRate checkout (prod)"
    assert as_utc(first[4]) == datetime(2024, 3, 2, 9, 15, tzinfo=UTC)
    assert as_utc(first[5]) == datetime(2024, 3, 2, 9, 18, 30, tzinfo=UTC)
    assert as_utc(first[6]) == datetime(2024, 3, 2, 10, 2, tzinfo=UTC)
    assert (first[7], first[8]) == ("alert", "higherrorrate checkout (prod)")
    events = app.rows(
        "SELECT kind, message, at FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.number = 2"
    )
    assert [(k, m) for k, m, _at in events] == [("imported", "imported from pagerduty (id PABC123)")]
    assert as_utc(events[0][2]) == datetime(2024, 3, 2, 9, 15, tzinfo=UTC)
    assert app.scalar("SELECT count(*) FROM escalations") == 0  # nothing imported is paged
    shown = app.client.get("/api/v1/incidents/2", headers=app.auth()).json()
    assert shown["status"] == "resolved"


def test_opsgenie_alerts_are_filed_under_an_import_integration_that_takes_no_traffic(app: App) -> None:
    app.add_service("checkout")
    app.add_service("payments-db")
    found = post(app, "opsgenie_alerts.csv", format="opsgenie", zone="Europe/Berlin")
    assert (found["alerts"], found["incidents"]) == ({"imported": 3, "skipped": 0}, {"imported": 0, "skipped": 0})
    rows = app.rows(
        "SELECT a.external_ref, a.name, a.summary, a.severity, a.status, a.disposition, a.count, a.first_seen_at, "
        "a.resolved_at, a.verdict, a.dedup_key, i.kind, i.name, r.body, a.labels "
        "FROM alerts a JOIN integrations i ON i.id = a.integration_id JOIN raw_payloads r ON r.id = a.raw_payload_id "
        "ORDER BY a.first_seen_at"
    )
    assert [(r[0], r[1], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("opsgenie:101", "HighErrorRate", "critical", "resolved", "log_only", 3),
        ("opsgenie:102", "Disk 90% on db-3", "warning", "resolved", "log_only", 1),
        ("opsgenie:103", "Nightly batch late", "info", "resolved", "log_only", 2),
    ]
    assert as_utc(rows[0][7]) == datetime(2024, 3, 2, 9, 15, tzinfo=UTC)
    assert as_utc(rows[2][7]) == datetime(2024, 3, 10, 2, 5, tzinfo=UTC)  # naive, taken in Berlin
    assert {(r[11], r[12]) for r in rows} == {("import", "history import")}
    assert json.loads(str(rows[0][13]))["Alias"] == "checkout-5xx"
    assert app.scalar("SELECT count(*) FROM integrations") == 2  # one per service, made once
    post(app, "opsgenie_alerts.csv", format="opsgenie", zone="Europe/Berlin")
    assert app.scalar("SELECT count(*) FROM integrations") == 2
    # No intake accepts the import integration: no key reaches it, and it is refused as a kind.
    listed = app.client.get("/api/v1/integrations", headers=app.auth()).json()
    assert {i["kind"] for i in listed} == {"import"}
    made = app.client.post("/api/v1/services/checkout/integrations", json={"kind": "import"}, headers=app.auth())
    assert made.status_code == 422


def test_firebell_format_links_alerts_to_incidents_and_keeps_verdicts(app: App) -> None:
    app.add_service("checkout")
    found = post(app, "firebell_history.jsonl", format="firebell", zone="Europe/Berlin")
    assert (found["incidents"]["imported"], found["alerts"]["imported"]) == (1, 2)
    incident = app.rows(
        "SELECT id, status, opened_at, identified_at, resolved_at, closed_at, recurrence_key FROM incidents"
    )[0]
    assert incident[1] == "closed"
    assert as_utc(incident[4]) - as_utc(incident[2]) == timedelta(minutes=20)  # across the DST change
    assert as_utc(incident[3]) == datetime(2024, 3, 31, 1, 5, tzinfo=UTC)
    assert incident[6] == "higherrorrate"  # its first alert's name
    alerts = app.rows(
        "SELECT external_ref, incident_id, disposition, verdict, verdict_by FROM alerts ORDER BY external_ref"
    )
    assert alerts == [
        ("firebell:A-1", incident[0], "open_incident", "actionable", "firebell import"),
        ("firebell:A-2", None, "log_only", "no_action", "firebell import"),
    ]
    # The CSV form of the same history is the same records: nothing new.
    again = post(app, "firebell_history.csv", format="firebell", zone="Europe/Berlin")
    assert (again["incidents"], again["alerts"]) == ({"imported": 0, "skipped": 1}, {"imported": 0, "skipped": 2})


def test_reimporting_changes_nothing(app: App) -> None:
    app.add_service("checkout")
    app.add_service("payments-db")
    post(app, "pagerduty_incidents.csv", format="pagerduty")
    before = counts(app)
    again = post(app, "pagerduty_incidents.csv", format="pagerduty")
    assert (again["incidents"], again["incident_numbers"]) == ({"imported": 0, "skipped": 3}, [])
    assert counts(app) == before
    # The import is one audit entry each time, by the token that ran it, saying what it wrote.
    log = app.client.get("/api/v1/audit", params={"entity": "history"}, headers=app.auth()).json()
    assert [(e["actor"], e["action"], e["after"]["incidents"]) for e in log] == [
        ("token:tests", "import", 0),
        ("token:tests", "import", 3),
    ]


def test_a_bad_row_refuses_the_whole_file_naming_line_and_field(app: App) -> None:
    app.add_service("checkout")
    app.add_service("payments-db")
    text = (
        FIXTURES / "pagerduty_incidents.csv"
    ).read_text() + "PABC126,Late,,checkout,checkout,,,high,,resolved,not-a-date,,,,,,\n"
    before = counts(app)
    error = post(app, text, 422, format="pagerduty")["error"]
    assert error["code"] == "validation_failed"
    assert error["message"].startswith("line 5, created_on: 'not-a-date' is not a time")
    assert error["details"][0] == {"line": 5, "field": "created_on", "message": error["details"][0]["message"]}
    assert counts(app) == before
    # An alert naming an unknown incident is refused after parsing, still all or nothing.
    linked = (
        "kind,id,service,title,opened_at,incident_id\n"
        "alert,X1,checkout,Down,1709370900,\n"
        "alert,X2,checkout,Down,1709370900,NOPE\n"
    )
    error = post(app, linked, 422, format="firebell")["error"]
    assert error["message"].startswith("line 3, incident_id: no incident 'NOPE'")
    assert counts(app) == before


def test_unknown_services_are_refused_unless_created(app: App) -> None:
    before = counts(app)
    error = post(app, "pagerduty_incidents.csv", 422, format="pagerduty")["error"]
    assert error["message"].startswith("no service named checkout (line 2), payments-db (line 3)")
    assert counts(app) == before
    dry = post(app, "pagerduty_incidents.csv", format="pagerduty", create_services="true", dry_run="true")
    assert (dry["dry_run"], dry["services_created"], dry["incidents"]["imported"]) == (
        True,
        ["checkout", "payments-db"],
        3,
    )
    assert counts(app) == before  # a dry run writes nothing
    made = post(app, "pagerduty_incidents.csv", format="pagerduty", create_services="true")
    assert made["services_created"] == ["checkout", "payments-db"]
    assert app.scalar("SELECT count(*) FROM services") == 2


def test_bad_parameters_and_scopes(app: App) -> None:
    assert "format" in post(app, "x\n", 422, format="splunk")["error"]["message"]
    assert "zone" in post(app, "x\n", 422, format="pagerduty", zone="Mars/Olympus")["error"]["message"]
    with app.container.engine.begin() as conn:
        from firebell.identity.repo import SqlIdentityRepo
        from firebell.identity.service import create_token

        reader = create_token(repo=SqlIdentityRepo(conn), name="ro", scope="respond", now=app.clock.now())
    answer = app.client.post(
        "/api/v1/import?format=pagerduty", content=b"id\n", headers={"authorization": f"Bearer {reader}"}
    )
    assert answer.status_code == 403


def test_open_incidents_in_an_export_stay_open_but_unwatched(app: App) -> None:
    app.add_service("checkout")
    text = (
        "id,title,service,status,created_on,acknowledged_on\n"
        "Q1,Still burning,checkout,acknowledged,2024-03-01T00:00:00Z,2024-03-01T00:05:00Z\n"
    )
    post(app, text, format="pagerduty")
    from firebell.incidents.repo import SqlIncidentRepo

    assert app.rows("SELECT status FROM incidents") == [("acknowledged",)]
    with app.container.engine.connect() as conn:
        assert SqlIncidentRepo(conn).open_incidents(opened_by=app.clock.now()) == []
    assert app.scalar("SELECT count(*) FROM escalations") == 0


def test_a_hundred_thousand_alerts_import_in_seconds(app: App, database_url: str) -> None:
    app.add_service("checkout")
    lines = ["TinyId,Message,Teams,Priority,CreatedAt,UpdatedAt,Tags"]
    start = 1_700_000_000_000
    lines += [
        f"{n},Alert {n % 50},checkout,P{n % 5 + 1},{start + n * 60_000},{start + n * 60_000 + 30_000},env:prod"
        for n in range(100_000)
    ]
    text = "\n".join(lines) + "\n"
    database = database_url.split(":")[0]
    began = time.perf_counter()
    assert post(app, text, format="opsgenie")["alerts"] == {"imported": 100_000, "skipped": 0}
    took = time.perf_counter() - began
    assert app.scalar("SELECT count(*) FROM alerts") == 100_000
    REPORTS.append(f"history import, 100k Opsgenie alerts ({len(text) // 1024} KiB) on {database}: {took:.1f} s")
    assert took < 45  # on a slow shared box under -n 2; a laptop takes a few seconds (see the figure)
    began = time.perf_counter()
    assert post(app, text, format="opsgenie")["alerts"] == {"imported": 0, "skipped": 100_000}
    REPORTS.append(f"history re-import, 100k skipped on {database}: {time.perf_counter() - began:.1f} s")


def test_imported_incidents_count_in_the_metrics_with_their_own_times(app: App) -> None:
    app.add_service("checkout")
    app.add_service("payments-db")
    post(app, "pagerduty_incidents.csv", format="pagerduty")
    card = app.client.get("/api/v1/metrics", params={"from": "2024-03-01", "to": "2024-03-31"}, headers=app.auth())
    figures = {f["metric"]: f for f in card.json()["metrics"]}
    sev1 = next(r for r in figures["mtta"]["by_sev"] if r["sev"] == "SEV-1")
    assert (sev1["count"], sev1["mean"]) == (1, 210.0)  # PABC123: acknowledged 3 min 30 s after it opened
    resolved = next(r for r in figures["mttr"]["by_sev"] if r["sev"] == "SEV-1")
    assert resolved["mean"] == 2820.0
    assert card.json()["incidents"]["opened"] == 3


def test_the_import_page_reads_the_upload_of_an_admin_with_the_forms_token(app: App) -> None:
    app.add_service("checkout")
    app.add_service("payments-db")
    root_user(app)
    assert log_in(app.client, "root@example.com", "pw-123456").status_code < 400
    page = app.client.get("/import")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    upload = {"file": ("incidents.csv", (FIXTURES / "pagerduty_incidents.csv").read_bytes(), "text/csv")}
    stale = app.client.post("/import", data={"csrf_token": "stale", "format": "pagerduty"}, files=upload)
    assert stale.status_code == 403
    assert app.scalar("SELECT count(*) FROM incidents") == 0
    missing = app.client.post("/import", data={"csrf_token": token.group(1), "format": "pagerduty"})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "file"
    done = app.client.post(
        "/import", data={"csrf_token": token.group(1), "format": "pagerduty", "dry_run": "true"}, files=upload
    )
    assert done.status_code == 200, done.text
    assert app.scalar("SELECT count(*) FROM incidents") == 0  # a dry run
    done = app.client.post("/import", data={"csrf_token": token.group(1), "format": "pagerduty"}, files=upload)
    assert done.status_code == 200, done.text
    imported = app.scalar("SELECT count(*) FROM incidents")
    assert isinstance(imported, int)
    assert imported > 0
    again = post(app, "pagerduty_incidents.csv", format="pagerduty", dry_run="true")
    assert again["incidents"] == {"imported": 0, "skipped": imported}  # the page wrote them all
