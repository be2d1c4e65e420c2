"""Firebell's own history format, as CSV with a header line or as JSON lines (one object a line,
with the same names as keys). Pure.

One record a row; `kind` says which:
- both: `kind` (incident or alert), `id` (required, unique per kind in the file), `service`;
- an incident: `title`, `sev` (SEV-1..SEV-4, default SEV-3), `status` (default: from the last time
  given), `opened_at` (required), `acknowledged_at`, `identified_at`, `resolved_at`, `closed_at`;
- an alert: `summary` (or `title`), `alert_name` (default: the summary), `severity` (critical,
  error, warning, info; default warning), `opened_at` (when it first fired; required),
  `last_seen_at`, `acknowledged_at`, `resolved_at`, `count`, `no_action` (true: a false positive,
  false: actionable, empty: not said) and `incident_id`: the id of the incident it belongs to, in
  this file or imported before.
"""

from __future__ import annotations

from datetime import tzinfo

from firebell.history.fields import Row, RowError
from firebell.history.model import (
    ALERT_SEVERITIES,
    INCIDENT_STATUSES,
    AlertRecord,
    IncidentRecord,
    Record,
    service_slug,
    status_from_times,
)
from firebell.kernel.severity import Sev

TIMES = ("acknowledged_at", "identified_at", "resolved_at", "closed_at")


def _service(row: Row, default_service: str) -> str:
    service = service_slug(row.text("service")) or default_service
    if not service:
        raise RowError(row.name("service"), "is missing: name the service, or give a default service")
    return service


def _incident(row: Row, zone: tzinfo, default_service: str) -> IncidentRecord:
    opened_at = row.instant("opened_at", zone=zone, required=True)
    assert opened_at is not None  # noqa: S101 - required
    times = {name: row.instant(name, zone=zone) for name in TIMES}
    status = row.text("status").lower() or status_from_times(times)
    if status not in INCIDENT_STATUSES:
        raise RowError(row.name("status"), f"{status!r} is not one of {', '.join(INCIDENT_STATUSES)}")
    for needed in ("resolved", "closed"):
        if status == needed and times[f"{needed}_at"] is None:
            raise RowError(row.name(f"{needed}_at"), f"is missing for a {needed} incident")
    if status not in ("resolved", "closed") and times["resolved_at"] is not None:
        raise RowError(row.name("status"), f"is {status}, yet resolved_at is set")
    sev_text = row.text("sev")
    try:
        sev = Sev.parse(sev_text) if sev_text else Sev.SEV3
    except ValueError as exc:
        raise RowError(row.name("sev"), str(exc)) from None
    return IncidentRecord(
        line=row.line,
        external_id=row.text("id", required=True),
        service=_service(row, default_service),
        title=row.text("title", "summary", required=True),
        sev=sev,
        status=status,
        opened_at=opened_at,
        **times,
    )


def _verdict(row: Row) -> str | None:
    said = row.flag("no_action")
    return None if said is None else ("no_action" if said else "actionable")


def _alert(row: Row, zone: tzinfo, default_service: str) -> AlertRecord:
    first_seen = row.instant("opened_at", "first_seen_at", zone=zone, required=True)
    assert first_seen is not None  # noqa: S101 - required
    resolved = row.instant("resolved_at", zone=zone)
    last_seen = row.instant("last_seen_at", zone=zone) or resolved or first_seen
    severity = row.text("severity").lower() or "warning"
    if severity not in ALERT_SEVERITIES:
        raise RowError(row.name("severity"), f"{severity!r} is not one of {', '.join(ALERT_SEVERITIES)}")
    summary = row.text("summary", "title", required=True)
    external_id = row.text("id", required=True)
    return AlertRecord(
        line=row.line,
        external_id=external_id,
        service=_service(row, default_service),
        summary=summary,
        name=row.text("alert_name", "alertname", "name") or summary,
        severity=severity,
        first_seen_at=first_seen,
        last_seen_at=last_seen,
        resolved_at=resolved or last_seen,
        acknowledged_at=row.instant("acknowledged_at", zone=zone),
        count=row.count("count"),
        dedup_key=external_id,
        origin="firebell import",
        verdict=_verdict(row),
        incident_id=row.text("incident_id") or None,
        raw=row.raw(),
    )


def record(row: Row, zone: tzinfo, default_service: str) -> Record:
    """One incident or alert of the file."""
    kind = row.text("kind", required=True).lower()
    if kind == "incident":
        return _incident(row, zone, default_service)
    if kind == "alert":
        return _alert(row, zone, default_service)
    raise RowError(row.name("kind"), f"{kind!r} is not incident or alert")
