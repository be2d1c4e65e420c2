"""The three formats' parsers on the fixture files and on the mistakes a real export holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from firebell.alerts.model import AlertSeverity
from firebell.history.exports import alerts_of, incidents_of, read_export
from firebell.history.model import (
    ALERT_SEVERITIES,
    INCIDENT_STATUSES,
    AlertRecord,
    Format,
    IncidentRecord,
    service_slug,
    sev_of_priority,
    severity_of_priority,
)
from firebell.incidents.state import IncidentStatus
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.severity import Sev

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "history"
UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def refused(source: Format, text: str, zone: ZoneInfo = UTC_ZONE) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        read_export(source, text, zone)
    return caught.value


def test_the_core_vocabularies_are_the_stored_ones() -> None:
    assert tuple(s.value for s in IncidentStatus) == INCIDENT_STATUSES
    assert tuple(s.value for s in AlertSeverity) == ALERT_SEVERITIES


def test_severity_mappings() -> None:
    assert [sev_of_priority(p) for p in ("P1", "p2", "P3", "P4", "P5", "", "urgent")] == [
        Sev.SEV1,
        Sev.SEV2,
        Sev.SEV3,
        Sev.SEV4,
        Sev.SEV4,
        None,
        None,
    ]
    assert [severity_of_priority(f"P{n}") for n in range(1, 6)] == ["critical", "error", "warning", "info", "info"]
    assert service_slug(" Checkout API (prod) ") == "Checkout-API-prod"


def test_pagerduty_fixture() -> None:
    first, second, third = read_export(Format.PAGERDUTY, fixture("pagerduty_incidents.csv"), UTC_ZONE)
    assert isinstance(first, IncidentRecord)
    assert (first.line, first.external_id, first.service, first.sev, first.status) == (
        2,
        "PABC123",
        "checkout",
        Sev.SEV1,
        "resolved",
    )
    assert first.opened_at == datetime(2024, 3, 2, 9, 15, tzinfo=UTC)
    assert first.acknowledged_at == datetime(2024, 3, 2, 9, 18, 30, tzinfo=UTC)
    assert first.resolved_at == datetime(2024, 3, 2, 10, 2, tzinfo=UTC)
    # No priority: urgency low is SEV-3; no acknowledged_on: created_on plus seconds_to_first_ack.
    assert isinstance(second, IncidentRecord)
    assert (second.sev, second.opened_at) == (Sev.SEV3, datetime(2024, 3, 5, 22, 40, tzinfo=UTC))
    assert second.acknowledged_at == second.opened_at + timedelta(seconds=600)
    assert isinstance(third, IncidentRecord)
    assert (third.sev, third.opened_at) == (Sev.SEV2, datetime.fromtimestamp(1709900000, UTC))  # epoch seconds
    assert third.acknowledged_at is None


def test_pagerduty_column_names_and_case_vary() -> None:
    text = (
        "Incident ID,Title,Service,Urgency,Status,Created At,Acknowledged At,Resolved At\n"
        "Q1,Checkout down,Checkout API,high,acknowledged,2024-03-31 01:50:00,2024-03-31 03:01:00,\n"
    )
    (found,) = read_export(Format.PAGERDUTY, text, BERLIN)
    assert isinstance(found, IncidentRecord)
    assert (found.external_id, found.service, found.status, found.sev) == (
        "Q1",
        "Checkout-API",
        "acknowledged",
        Sev.SEV2,
    )
    assert found.acknowledged_at - found.opened_at == timedelta(minutes=11)  # type: ignore[operator]
    assert found.resolved_at is None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("P1,,checkout,high,resolved,2024-03-01T00:00:00Z,2024-03-01T01:00:00Z", "line 2, description: is missing"),
        ("P1,x,checkout,high,resolved,,2024-03-01T01:00:00Z", "line 2, created_on: is missing"),
        ("P1,x,checkout,high,resolved,2024-03-01T00:00:00Z,", "line 2, resolved_on: is missing for a resolved"),
        ("P1,x,checkout,urgent,resolved,2024-03-01T00:00:00Z,2024-03-01T01:00:00Z", "urgency: 'urgent' is not"),
        ("P1,x,checkout,high,snoozed,2024-03-01T00:00:00Z,2024-03-01T01:00:00Z", "status: 'snoozed' is not"),
        ("P1,x,checkout,high,resolved,2024-03-01T00:00:00Z,2024-02-01T01:00:00Z", "resolved_at: is before opened"),
        ("P1,x,checkout,high,resolved,yesterday,2024-03-01T01:00:00Z", "created_on: 'yesterday' is not a time"),
        ("P1,x,,high,resolved,2024-03-01T00:00:00Z,2024-03-01T01:00:00Z", "service_name: is missing"),
    ],
)
def test_a_bad_pagerduty_row_is_named_by_line_and_column(row: str, message: str) -> None:
    header = "id,description,service_name,urgency,status,created_on,resolved_on\n"
    error = refused(Format.PAGERDUTY, header + row + "\n")
    assert message in error.message
    assert error.message.endswith("nothing was imported")
    assert error.details[0]["line"] == 2


def test_every_problem_is_listed_and_duplicates_are_refused() -> None:
    text = (
        "id,description,service_name,created_on\n"
        "P1,a,checkout,2024-03-01T00:00:00Z\n"
        "P2,b,checkout,nope\n"
        "P1,c,checkout,2024-03-02T00:00:00Z\n"
    )
    error = refused(Format.PAGERDUTY, text)
    assert [(d["line"], d["field"]) for d in error.details] == [(3, "created_on"), (4, "id")]
    assert "(and 1 more problem)" in error.message
    assert "appears again (first on line 2)" in str(error.details[1]["message"])


def test_a_missing_required_column_names_the_column() -> None:
    error = refused(Format.PAGERDUTY, "id,service_name,created_on\nP1,checkout,2024-03-01T00:00:00Z\n")
    assert error.message.startswith("line 2, title: is missing or empty")


def test_opsgenie_fixture() -> None:
    first, second, third = read_export(Format.OPSGENIE, fixture("opsgenie_alerts.csv"), BERLIN)
    assert isinstance(first, AlertRecord)
    assert (first.external_id, first.service, first.name, first.summary, first.severity, first.count) == (
        "101",
        "checkout",
        "HighErrorRate",
        "Checkout 5xx above 2%",
        "critical",
        3,
    )
    assert first.first_seen_at == datetime(2024, 3, 2, 9, 15, tzinfo=UTC)  # CreatedAt in epoch milliseconds
    assert first.acknowledged_at == first.first_seen_at + timedelta(seconds=210)  # AckTime: ms after creation
    assert first.resolved_at == first.first_seen_at + timedelta(seconds=2820)  # CloseTime
    assert (first.dedup_key, first.origin, first.labels["env"]) == ("checkout-5xx", "Prometheus", "prod")
    assert first.raw["Alias"] == "checkout-5xx"
    assert isinstance(second, AlertRecord)
    assert (second.severity, second.name, second.labels["tags"]) == ("warning", "Disk 90% on db-3", "disk, db")
    assert second.resolved_at == datetime(2024, 3, 6, 0, 10, tzinfo=UTC)  # closed: at its last update
    # Still open in the export, naive times taken in Berlin: stored resolved at its last update.
    assert isinstance(third, AlertRecord)
    assert (third.severity, third.first_seen_at) == ("info", datetime(2024, 3, 10, 2, 5, tzinfo=UTC))
    assert third.resolved_at == datetime(2024, 3, 10, 2, 35, tzinfo=UTC)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1,Disk full,checkout,P9,1709370900000,true", "line 2, Priority: 'P9' is not a priority"),
        ("1,Disk full,checkout,P1,,true", "line 2, CreatedAt: is missing"),
        ("1,Disk full,,P1,1709370900000,true", "line 2, Teams: is missing"),
        ("1,Disk full,checkout,P1,1709370900000,maybe", "line 2, Acknowledged: 'maybe' is not true or false"),
        (",Disk full,checkout,P1,1709370900000,true", "line 2, TinyId: is missing"),
    ],
)
def test_a_bad_opsgenie_row_is_named_by_line_and_column(row: str, message: str) -> None:
    error = refused(Format.OPSGENIE, "TinyId,Message,Teams,Priority,CreatedAt,Acknowledged\n" + row + "\n")
    assert message in error.message


def test_firebell_csv_and_json_lines_read_the_same() -> None:
    from_csv = read_export(Format.FIREBELL, fixture("firebell_history.csv"), BERLIN)
    from_json = read_export(Format.FIREBELL, fixture("firebell_history.jsonl"), BERLIN)
    strip = [
        (type(r).__name__, r.external_id, getattr(r, "first_seen_at", None), getattr(r, "verdict", None))
        for r in from_csv
    ]
    assert strip == [
        (type(r).__name__, r.external_id, getattr(r, "first_seen_at", None), getattr(r, "verdict", None))
        for r in from_json
    ]
    (incident,) = incidents_of(from_csv)
    assert (incident.status, incident.sev) == ("closed", Sev.SEV2)
    assert incident.resolved_at - incident.opened_at == timedelta(minutes=20)  # type: ignore[operator] # over the DST change
    first, second = alerts_of(from_json)
    assert (first.incident_id, first.verdict, first.name, first.severity) == (
        "INC-7",
        "actionable",
        "HighErrorRate",
        "critical",
    )
    assert (second.incident_id, second.verdict) == (None, "no_action")
    assert [r.line for r in from_json] == [1, 2, 4]


def test_firebell_status_defaults_from_the_times_given() -> None:
    text = "kind,id,service,title,opened_at,acknowledged_at,resolved_at\nincident,1,api,Down,1709370900,1709370960,\n"
    (found,) = read_export(Format.FIREBELL, text, UTC_ZONE)
    assert isinstance(found, IncidentRecord)
    assert (found.status, found.sev) == ("acknowledged", Sev.SEV3)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("problem,1,api,Down,SEV-1,,2024-03-01T00:00:00Z,,", "line 2, kind: 'problem' is not incident or alert"),
        ("incident,1,api,Down,SEV-9,,2024-03-01T00:00:00Z,,", "line 2, sev: unknown severity"),
        ("incident,1,api,Down,SEV-1,paused,2024-03-01T00:00:00Z,,", "line 2, status: 'paused' is not one of"),
        (
            "incident,1,api,Down,SEV-1,identified,2024-03-01T00:00:00Z,2024-03-01T01:00:00Z,",
            "status: is identified, yet",
        ),
        ("alert,1,api,Down,,,2024-03-01T00:00:00Z,,maybe", "line 2, no_action: 'maybe' is not true or false"),
        ("alert,1,api,Down,,,2024-03-01T00:00:00Z,2024-02-01T00:00:00Z,", "resolved_at: is before the time it first"),
        ("alert,,api,Down,,,2024-03-01T00:00:00Z,,", "line 2, id: is missing"),
    ],
)
def test_a_bad_firebell_row_is_named_by_line_and_column(row: str, message: str) -> None:
    header = "kind,id,service,title,sev,status,opened_at,resolved_at,no_action\n"
    assert message in refused(Format.FIREBELL, header + row + "\n").message


def test_a_default_service_serves_records_that_name_none() -> None:
    text = "kind,id,title,opened_at\nalert,1,Down,1709370900\n"
    (found,) = read_export(Format.FIREBELL, text, UTC_ZONE, "api")
    assert found.service == "api"
