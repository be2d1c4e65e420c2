"""The status page's pure rules: the page indicator, maintenance windows at an instant, default texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from firebell.statuspage.model import (
    ComponentStatus as C,
)
from firebell.statuspage.model import (
    Impact,
    IncidentStatus,
    Indicator,
    MaintenanceStatus,
    default_body,
    default_maintenance_body,
    default_name,
    group_id,
    impact_of,
    maintenance_state,
    page_status,
    shown_status,
    status_after_resolve,
    worst,
)

OK, SLOW, PARTIAL, DOWN, MAINT = (
    C.OPERATIONAL, C.DEGRADED_PERFORMANCE, C.PARTIAL_OUTAGE, C.MAJOR_OUTAGE, C.UNDER_MAINTENANCE,
)  # fmt: skip


@pytest.mark.parametrize(
    ("components", "impacts", "maintenance", "indicator", "description"),
    [
        ([], [], False, "none", "All Systems Operational"),
        ([OK, OK], [], False, "none", "All Systems Operational"),
        ([OK, SLOW], [], False, "minor", "Minor Service Outage"),
        ([OK, PARTIAL], [], False, "major", "Partial System Outage"),
        ([OK, DOWN], [], False, "major", "Partial System Outage"),
        ([DOWN, DOWN], [], False, "critical", "Major System Outage"),
        ([OK, MAINT], [], False, "none", "Service Under Maintenance"),
        ([OK], [], True, "none", "Service Under Maintenance"),
        ([MAINT, SLOW], [], True, "minor", "Minor Service Outage"),  # trouble outranks maintenance
        ([OK], [Impact.NONE], False, "none", "All Systems Operational"),
        ([OK], [Impact.MINOR], False, "minor", "Minor Service Outage"),
        ([OK, SLOW], [Impact.MAJOR], False, "major", "Partial System Outage"),
        ([OK], [Impact.MINOR, Impact.CRITICAL], False, "critical", "Major System Outage"),
        ([DOWN, DOWN], [Impact.MINOR], False, "critical", "Major System Outage"),  # the worse of the two wins
        ([], [Impact.MAJOR], False, "major", "Partial System Outage"),
    ],
)
def test_page_indicator(
    components: list[C], impacts: list[Impact], maintenance: bool, indicator: str, description: str
) -> None:
    status = page_status(components, impacts, maintenance)
    assert (status.indicator.value, status.description) == (indicator, description)


def test_the_indicator_never_drops_below_what_components_or_incidents_say() -> None:
    order = [Indicator.NONE, Indicator.MINOR, Indicator.MAJOR, Indicator.CRITICAL]
    for a, b, impact in product(list(C), list(C), [None, *Impact]):
        status = page_status([a, b], [impact] if impact else [])
        alone = page_status([a, b], [])
        assert order.index(status.indicator) >= order.index(alone.indicator)
        if impact is not None:
            assert order.index(status.indicator) >= order.index(Indicator(impact.value))
        if C.MAJOR_OUTAGE in (a, b):
            assert status.indicator in (Indicator.MAJOR, Indicator.CRITICAL)


def test_worst_and_impact_from_component_states() -> None:
    assert worst([]) is OK
    assert worst([OK, MAINT, SLOW]) is SLOW
    assert worst([OK, MAINT]) is MAINT
    assert impact_of([DOWN, SLOW]) is Impact.CRITICAL
    assert impact_of([PARTIAL]) is Impact.MAJOR
    assert impact_of([SLOW]) is Impact.MINOR
    assert impact_of([OK]) is Impact.NONE
    assert impact_of([]) is Impact.MINOR  # published without components: something is still wrong


START = datetime(2026, 5, 1, 22, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


@pytest.mark.parametrize(
    ("recorded", "at", "expected"),
    [
        (MaintenanceStatus.SCHEDULED, START - timedelta(seconds=1), MaintenanceStatus.SCHEDULED),
        (MaintenanceStatus.SCHEDULED, START, MaintenanceStatus.IN_PROGRESS),
        (MaintenanceStatus.SCHEDULED, START + timedelta(hours=1), MaintenanceStatus.IN_PROGRESS),
        (MaintenanceStatus.SCHEDULED, END - timedelta(microseconds=1), MaintenanceStatus.IN_PROGRESS),
        (MaintenanceStatus.SCHEDULED, END, MaintenanceStatus.COMPLETED),
        (MaintenanceStatus.SCHEDULED, END + timedelta(days=3), MaintenanceStatus.COMPLETED),
        # Set by hand, a state stands: started early, overrunning, or done early.
        (MaintenanceStatus.IN_PROGRESS, START - timedelta(minutes=10), MaintenanceStatus.IN_PROGRESS),
        (MaintenanceStatus.IN_PROGRESS, END + timedelta(hours=1), MaintenanceStatus.IN_PROGRESS),
        (MaintenanceStatus.VERIFYING, END + timedelta(hours=1), MaintenanceStatus.VERIFYING),
        (MaintenanceStatus.COMPLETED, START + timedelta(minutes=30), MaintenanceStatus.COMPLETED),
    ],
)
def test_maintenance_state_at_an_instant(
    recorded: MaintenanceStatus, at: datetime, expected: MaintenanceStatus
) -> None:
    assert maintenance_state(recorded, START, END, at) is expected


def test_what_a_component_shows_under_maintenance() -> None:
    assert shown_status(OK, under_maintenance=True) is MAINT
    assert shown_status(OK, under_maintenance=False) is OK
    assert shown_status(DOWN, under_maintenance=True) is DOWN  # an outage is news the window must not hide
    assert shown_status(SLOW, under_maintenance=True) is SLOW


def test_a_resolved_incident_leaves_components_held_by_others() -> None:
    assert status_after_resolve([]) is OK
    assert status_after_resolve([SLOW, PARTIAL]) is PARTIAL


def test_default_texts_say_what_is_affected_symptoms_updates_and_eta() -> None:
    affected = [("Checkout API", PARTIAL), ("Search", SLOW)]
    investigating = default_body(IncidentStatus.INVESTIGATING, name="Checkout errors", components=affected)
    assert "Checkout API and Search" in investigating
    assert "errors on some requests" in investigating  # the worst state's symptom
    assert "update" in investigating
    identified = default_body(IncidentStatus.IDENTIFIED, name="Checkout errors", eta="15:30 UTC")
    assert "found the cause of the problem affecting Checkout errors" in identified
    assert "fixed by 15:30 UTC" in identified
    assert "update when the fix is in place" in default_body(IncidentStatus.IDENTIFIED, name="X")
    assert "watching" in default_body(IncidentStatus.MONITORING, name="X")
    resolved = default_body(IncidentStatus.RESOLVED, name="X", components=affected)
    assert resolved.startswith("The problem affecting Checkout API and Search has been resolved")
    assert "working normally" in resolved
    assert "sorry" in resolved
    for status in MaintenanceStatus:
        assert "Database" in default_maintenance_body(status, name="Upgrade", components=["Database"])


def test_names_and_group_ids() -> None:
    assert default_name([]) == "Service disruption"
    assert default_name(["API", "Search", "Website"]) == "Disruption of API, Search and Website"
    assert group_id("Databases") == group_id("Databases") != group_id("Platform")
    assert len(group_id("Databases")) == 26


def test_the_page_name_and_address_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from firebell.infra.settings import Settings

    assert Settings().status_page.name == "Firebell status"
    monkeypatch.setenv("FIREBELL_STATUS_PAGE__NAME", "Acme status")
    monkeypatch.setenv("FIREBELL_STATUS_PAGE__URL", "https://status.acme.example")
    settings = Settings()
    assert (settings.status_page.name, settings.status_page.url) == ("Acme status", "https://status.acme.example")
