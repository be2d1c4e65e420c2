"""Opsgenie's alert CSV export (the alert list's Export to CSV) as alert records. Pure.

Columns read, by any of these names, in any case:
- the id: `Id` or `AlertId`, else `TinyId`; `Alias` is the dedup key (else the id);
- `Message`: the summary (required); the name is the `alertname` tag if the tags carry one, else
  the message;
- `Priority` P1..P5: the severity critical, error, warning, info, info (see history.model);
- the service: `Service`, else the first of `Teams` (comma-separated);
- `CreatedAt` (required), `UpdatedAt` or `LastOccurredAt`: first and last seen;
- `Status` (open, closed), `Acknowledged` (true/false), `Count`;
- `AcknowledgedAt` and `ClosedAt`, else `AckTime` and `CloseTime` (milliseconds after creation, as
  Opsgenie's report gives them). A closed alert without a close time was closed when last updated;
  an alert still open in the export is stored resolved at its last update (history is not paged);
- `Tags` (`key:value` tags become labels, others a `tags` label), `Source` (the origin), `Entity`.
"""

from __future__ import annotations

from datetime import tzinfo

from firebell.history.fields import Row, RowError
from firebell.history.model import AlertRecord, service_slug, severity_of_priority

ID = ("id", "alertid", "alert_id", "tinyid", "tiny_id")
CREATED = ("createdat", "created_at", "created")
UPDATED = ("lastoccurredat", "last_occurred_at", "updatedat", "updated_at")
TEAMS = ("teams", "team", "owner_teams")


def _labels(row: Row) -> dict[str, str]:
    labels: dict[str, str] = {}
    plain: list[str] = []
    for tag in (t.strip() for t in row.text("tags").split(",")):
        key, sep, value = tag.partition(":")
        if sep and key.strip() and value.strip():
            labels[key.strip()[:100]] = value.strip()[:500]
        elif tag:
            plain.append(tag)
    if plain:
        labels["tags"] = ", ".join(plain)[:500]
    for key, label in (("entity", "entity"), ("teams", "teams")):
        if row.text(key):
            labels[label] = row.text(key)[:500]
    return labels


def _severity(row: Row) -> str:
    text = row.text("priority")
    if not text:
        return "warning"  # Opsgenie's default priority, P3
    found = severity_of_priority(text)
    if found is None:
        raise RowError(row.name("priority"), f"{text!r} is not a priority P1..P5")
    return found


def alert(row: Row, zone: tzinfo, default_service: str) -> AlertRecord:
    """One alert of the export."""
    created = row.instant(*CREATED, zone=zone, required=True)
    assert created is not None  # noqa: S101 - required
    updated = row.instant(*UPDATED, zone=zone) or created
    acknowledged = row.instant("acknowledgedat", "acknowledged_at", zone=zone)
    if acknowledged is None and (span := row.seconds("acktime", "ack_time", scale=1000)) is not None:
        acknowledged = created + span
    closed = row.instant("closedat", "closed_at", zone=zone)
    if closed is None and (span := row.seconds("closetime", "close_time", scale=1000)) is not None:
        closed = created + span
    status = row.text("status").lower()
    if status and status not in ("open", "closed", "resolved"):
        raise RowError(row.name("status"), f"{status!r} is not open or closed")
    row.flag("acknowledged")  # checked: a value that is neither true nor false is a mistake in the file
    first_team = row.text(*TEAMS).split(",")[0]
    service = service_slug(row.text("service", "services") or first_team) or default_service
    if not service:
        raise RowError(row.name(*TEAMS), "is missing: name a team or service, or give a default service")
    labels = _labels(row)
    summary = row.text("message", required=True)
    external_id = row.text(*ID, required=True)
    last_seen = max(updated, closed or updated, created)
    return AlertRecord(
        line=row.line,
        external_id=external_id,
        service=service,
        summary=summary,
        name=labels.get("alertname") or summary,
        severity=_severity(row),
        first_seen_at=created,
        last_seen_at=last_seen,
        resolved_at=closed or last_seen,
        acknowledged_at=acknowledged,
        count=row.count("count"),
        dedup_key=row.text("alias") or external_id,
        origin=row.text("source"),
        labels=labels,
        raw=row.raw(),
    )
