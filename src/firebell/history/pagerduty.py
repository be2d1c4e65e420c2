"""PagerDuty's incident CSV export (Incidents > Download CSV, or the Analytics incident export) as
incident records. Pure.

Columns read, by any of these names, in any case (spaces or underscores):
- the id: `id` (PagerDuty's incident id, e.g. PABC123), else `incident_id`, else `incident_number`;
- the title: `title`, `description` or `summary`;
- the service: `service_name` or `service`;
- `urgency` (high, low) and `priority` or `priority_name` (P1..P5): the severity (see history.model);
- `status` (triggered, acknowledged, resolved);
- `created_on` or `created_at`: when it opened (required);
- `acknowledged_on`, `acknowledged_at`, `first_acknowledged_on` or `first_ack_on`; else
  `created_on` plus `seconds_to_first_ack`;
- `resolved_on` or `resolved_at`; else `created_on` plus `seconds_to_resolve`.
Other columns (assignees, escalation policy, team, ...) are not read.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from firebell.history.fields import Row, RowError
from firebell.history.model import IncidentRecord, service_slug, sev_of_priority, sev_of_urgency
from firebell.kernel.severity import Sev

ID = ("id", "incident_id", "incident_number", "number")
TITLE = ("title", "description", "summary")
SERVICE = ("service_name", "service")
CREATED = ("created_on", "created_at")
ACKNOWLEDGED = ("acknowledged_on", "acknowledged_at", "first_acknowledged_on", "first_ack_on", "first_ack_at")
RESOLVED = ("resolved_on", "resolved_at")
PRIORITY = ("priority", "priority_name", "priority_summary")
_STATUS = {"triggered": "detected", "acknowledged": "acknowledged", "resolved": "resolved"}


def _after(start: datetime, span: timedelta | None) -> datetime | None:
    return None if span is None else start + span


def _sev(row: Row) -> Sev:
    priority = row.text(*PRIORITY)
    if priority:
        found = sev_of_priority(priority)
        if found is None:
            raise RowError(row.name(*PRIORITY), f"{priority!r} is not a priority P1..P5")
        return found
    urgency = row.text("urgency")
    if urgency:
        found = sev_of_urgency(urgency)
        if found is None:
            raise RowError(row.name("urgency"), f"{urgency!r} is not an urgency: use high or low")
        return found
    return Sev.SEV3


def _status(row: Row, resolved_at: datetime | None, acknowledged_at: datetime | None) -> str:
    text = row.text("status").lower()
    if not text:
        return "resolved" if resolved_at else ("acknowledged" if acknowledged_at else "detected")
    if text not in _STATUS:
        raise RowError(row.name("status"), f"{text!r} is not triggered, acknowledged or resolved")
    if text == "resolved" and resolved_at is None:
        raise RowError(row.name(*RESOLVED), "is missing for a resolved incident")
    return _STATUS[text]


def incident(row: Row, zone: tzinfo, default_service: str) -> IncidentRecord:
    """One incident of the export."""
    opened_at = row.instant(*CREATED, zone=zone, required=True)
    assert opened_at is not None  # noqa: S101 - required
    acknowledged_at = row.instant(*ACKNOWLEDGED, zone=zone) or _after(opened_at, row.seconds("seconds_to_first_ack"))
    resolved_at = row.instant(*RESOLVED, zone=zone) or _after(opened_at, row.seconds("seconds_to_resolve"))
    status = _status(row, resolved_at, acknowledged_at)
    service = service_slug(row.text(*SERVICE)) or default_service
    if not service:
        raise RowError(row.name(*SERVICE), "is missing: name the service, or give a default service")
    return IncidentRecord(
        line=row.line,
        external_id=row.text(*ID, required=True),
        service=service,
        title=row.text(*TITLE, required=True),
        sev=_sev(row),
        status=status,
        opened_at=opened_at,
        acknowledged_at=acknowledged_at,
        resolved_at=resolved_at if status == "resolved" else None,
    )
