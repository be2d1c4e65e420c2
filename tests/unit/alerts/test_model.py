from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.alerts.model import (
    AlertEvent,
    AlertRule,
    AlertSeverity,
    AlertStatus,
    Disposition,
    EventAction,
    MaintenanceWindow,
    OpenAlertRef,
    Step,
    classify,
    dedup_step,
)
from firebell.kernel.severity import Sev

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(severity: AlertSeverity = AlertSeverity.CRITICAL, **kw: object) -> AlertEvent:
    return AlertEvent(action=EventAction.TRIGGER, dedup_key="k", summary="s", severity=severity, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (AlertSeverity.CRITICAL, Sev.SEV1),
        (AlertSeverity.ERROR, Sev.SEV2),
        (AlertSeverity.WARNING, Sev.SEV3),
    ],
)
def test_default_rule_maps_severity_to_sev(severity: AlertSeverity, expected: Sev) -> None:
    verdict = classify(event(severity), AlertRule(), NOW)
    assert verdict.disposition is Disposition.OPEN_INCIDENT
    assert verdict.sev is expected


def test_info_is_logged_only() -> None:
    assert classify(event(AlertSeverity.INFO), AlertRule(), NOW).disposition is Disposition.LOG_ONLY


def test_custom_map_can_page_on_info_and_log_warnings() -> None:
    rule = AlertRule(severity_map={AlertSeverity.INFO: Sev.SEV4, AlertSeverity.WARNING: None})
    assert classify(event(AlertSeverity.INFO), rule, NOW).sev is Sev.SEV4
    assert classify(event(AlertSeverity.WARNING), rule, NOW).disposition is Disposition.LOG_ONLY


def test_maintenance_window_suppresses_only_inside_it() -> None:
    window = MaintenanceWindow(NOW - timedelta(minutes=5), NOW + timedelta(minutes=5), "db upgrade")
    rule = AlertRule(maintenance=(window,))
    inside = classify(event(), rule, NOW)
    assert inside.disposition is Disposition.SUPPRESSED
    assert inside.reason == "db upgrade"
    assert classify(event(), rule, NOW + timedelta(minutes=5)).disposition is Disposition.OPEN_INCIDENT
    assert classify(event(), rule, NOW - timedelta(minutes=6)).disposition is Disposition.OPEN_INCIDENT


def test_dedup_steps() -> None:
    open_alert = OpenAlertRef("a1", AlertStatus.TRIGGERED, "i1")
    acked = OpenAlertRef("a1", AlertStatus.ACKNOWLEDGED, "i1")
    assert dedup_step(EventAction.TRIGGER, None) is Step.NEW
    assert dedup_step(EventAction.TRIGGER, open_alert) is Step.BUMP
    assert dedup_step(EventAction.RESOLVE, None) is Step.IGNORE
    assert dedup_step(EventAction.RESOLVE, open_alert) is Step.RESOLVE
    assert dedup_step(EventAction.ACKNOWLEDGE, open_alert) is Step.ACKNOWLEDGE
    assert dedup_step(EventAction.ACKNOWLEDGE, acked) is Step.IGNORE
    assert dedup_step(EventAction.ACKNOWLEDGE, None) is Step.IGNORE
