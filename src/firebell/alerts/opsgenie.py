"""The Opsgenie Alert API's view of Firebell's alerts: priorities, tags, queries and the alert
document, as Opsgenie's published Alert API reference describes them. No I/O.

Opsgenie's fields map onto an alert like this: message is the summary, alias the dedup key, tags the
labels (a tag is a label whose value is "true"; another label reads as the tag "name:value"), the
priority the severity (P1 critical, P2 error, P3 warning, P4 and P5 info, the exact one kept in
details), custom properties `details["details"]`, the description `details["description"]`, and
what has no column of its own (owner, snooze) lives in `details` beside them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firebell.alerts.model import AlertSeverity
from firebell.kernel.errors import ValidationFailed

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
_SEVERITY = {
    "P1": AlertSeverity.CRITICAL,
    "P2": AlertSeverity.ERROR,
    "P3": AlertSeverity.WARNING,
    "P4": AlertSeverity.INFO,
    "P5": AlertSeverity.INFO,
}
_PRIORITY = {
    AlertSeverity.CRITICAL.value: "P1",
    AlertSeverity.ERROR.value: "P2",
    AlertSeverity.WARNING.value: "P3",
    AlertSeverity.INFO.value: "P4",
}
MAX_TAGS = 50


def severity_of(priority: str) -> AlertSeverity:
    return _SEVERITY[priority]


def priority_of(severity: str, details: Mapping[str, Any]) -> str:
    """The priority the sender gave (kept in details), else the one its severity reads as."""
    kept = details.get("priority")
    if isinstance(kept, str) and kept in _SEVERITY and _SEVERITY[kept].value == severity:
        return kept
    return _PRIORITY.get(severity, "P3")


def tags_of(labels: Mapping[str, Any]) -> list[str]:
    return [name if value == "true" else f"{name}:{value}" for name, value in labels.items() if name != "entity"]


def with_tags(labels: Mapping[str, Any], tags: list[str]) -> dict[str, Any]:
    out = dict(labels)
    for tag in tags:
        if tag not in out and len(tags_of(out)) < MAX_TAGS:
            out[tag] = "true"
    return out


def without_tags(labels: Mapping[str, Any], tags: list[str]) -> dict[str, Any]:
    gone = set(tags)
    return {
        name: value
        for name, value in labels.items()
        if not (name in gone and value == "true") and f"{name}:{value}" not in gone
    }


def split_list(text: str | None, field: str) -> list[str]:
    """Opsgenie's comma-separated query parameter (`tags=a,b`, `keys=a,b`); at least one item."""
    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    if not items:
        raise ValidationFailed.field(field, "name at least one, separated by commas")
    return items


# --- Queries -------------------------------------------------------------------------------------

FIELDS = ("status", "acknowledged", "priority", "tag", "tags", "alias", "message", "tinyId", "id", "entity", "source")
_TERM = re.compile(r"^\s*([A-Za-z]+)\s*(?::|=)\s*(.+?)\s*$")
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Term:
    field: str  # as in FIELDS, `tags` read as `tag`
    value: str


def parse_query(text: str | None) -> list[Term]:
    """The terms of an Opsgenie search query joined by AND: `status: open AND tag: prod`.

    Supported are the common fields (FIELDS); OR, NOT and wildcards are refused naming the query, as
    a query Firebell cannot answer exactly must not be answered loosely.
    """
    if not text or not text.strip():
        return []
    terms = []
    for part in _AND.split(text.strip()):
        match = _TERM.match(part)
        if match is None or re.search(r"\s(OR|NOT)\s|[*()]", f" {part} "):
            raise ValidationFailed.field("query", f"cannot read '{part}': use field: value terms joined by AND")
        field, value = match.group(1), match.group(2).strip().strip('"')
        if field not in FIELDS:
            raise ValidationFailed.field("query", f"unknown field {field}; use one of {', '.join(FIELDS)}")
        if field == "status" and value not in ("open", "closed"):
            raise ValidationFailed.field("query", "status is open or closed")
        if field == "acknowledged" and value not in ("true", "false"):
            raise ValidationFailed.field("query", "acknowledged is true or false")
        if field == "priority" and value not in PRIORITIES:
            raise ValidationFailed.field("query", "priority is one of P1 to P5")
        if field == "tinyId" and not value.isdigit():
            raise ValidationFailed.field("query", "tinyId is a number")
        terms.append(Term("tag" if field == "tags" else field, value))
    return terms


SORTS = {"createdAt": "first_seen_at", "updatedAt": "last_seen_at", "lastOccurredAt": "last_seen_at", "count": "count"}


# --- The alert document --------------------------------------------------------------------------


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _text_details(details: Mapping[str, Any]) -> dict[str, str]:
    own = details.get("details")
    if isinstance(own, Mapping):
        return {str(k): v if isinstance(v, str) else str(v) for k, v in own.items()}
    annotations = details.get("annotations")  # an Alertmanager alert's annotations read as its details
    if isinstance(annotations, Mapping):
        return {str(k): str(v) for k, v in annotations.items()}
    return {}


def updated_at(row: Mapping[str, Any]) -> datetime:
    stamps: list[datetime] = [s for s in (row["last_seen_at"], row["acknowledged_at"], row["resolved_at"]) if s]
    return max(stamps)


def alert_document(
    row: Mapping[str, Any], tiny_id: int, integration: Mapping[str, str], *, full: bool, now: datetime
) -> dict[str, Any]:
    """An alert as Opsgenie's get-alert (full) and list-alerts answers show it."""
    details: Mapping[str, Any] = row["details"] or {}
    labels: Mapping[str, Any] = row["labels"] or {}
    snoozed_until = details.get("snoozedUntil")
    until = datetime.fromisoformat(snoozed_until) if isinstance(snoozed_until, str) else None
    document: dict[str, Any] = {
        "id": row["id"],
        "tinyId": str(tiny_id),
        "alias": row["dedup_key"],
        "message": row["summary"],
        "status": "closed" if row["status"] == "resolved" else "open",
        "acknowledged": row["status"] == "acknowledged" or row["acknowledged_at"] is not None,
        "isSeen": row["acknowledged_at"] is not None,
        "tags": tags_of(labels),
        "snoozed": until is not None and until > now,
        "count": row["count"],
        "lastOccurredAt": _stamp(row["last_seen_at"]),
        "createdAt": _stamp(row["first_seen_at"]),
        "updatedAt": _stamp(updated_at(row)),
        "source": row["origin"] or row["source"],
        "owner": str(details.get("owner", "")),
        "priority": priority_of(row["severity"], details),
        "responders": [],
        "integration": dict(integration),
        "report": {"ackTime": 0, "closeTime": 0, "acknowledgedBy": "", "closedBy": ""},
    }
    if until is not None:
        document["snoozedUntil"] = _stamp(until)
    if row["acknowledged_at"] is not None:
        document["report"]["ackTime"] = int((row["acknowledged_at"] - row["first_seen_at"]).total_seconds() * 1000)
    if row["resolved_at"] is not None:
        document["report"]["closeTime"] = int((row["resolved_at"] - row["first_seen_at"]).total_seconds() * 1000)
    if full:
        document["actions"] = []
        document["entity"] = str(labels.get("entity", ""))
        document["description"] = str(details.get("description", ""))
        document["details"] = _text_details(details)
    return document
