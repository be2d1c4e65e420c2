"""Read side of alerts: filtered, newest-first listings for the API, CLI and UI."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.model import AlertStatus
from firebell.alerts.redact import redact_keys
from firebell.alerts.tables import AlertRow, RawPayloadRow
from firebell.alerts.verdict import Verdict
from firebell.catalog.tables import ServiceRow
from firebell.incidents.tables import IncidentRow
from firebell.kernel.errors import NotFound, ValidationFailed

_a = cast(sa.Table, AlertRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)
_i = cast(sa.Table, IncidentRow.__table__)
_r = cast(sa.Table, RawPayloadRow.__table__)

STATUS_FILTERS = {"open", *(s.value for s in AlertStatus)}
VERDICT_FILTERS = {"unset", *(v.value for v in Verdict)}  # "unset": nobody said yet


def list_alerts(
    conn: Connection,
    *,
    status: str | None = None,
    service: str | None = None,
    limit: int = 100,
    offset: int = 0,
    incident_id: str | None = None,
    verdict: str | None = None,
    alert_id: str | None = None,
) -> list[dict[str, Any]]:
    query = (
        sa.select(
            _a.c.id,
            _a.c.service_id,
            _s.c.name.label("service"),
            _a.c.source,
            _a.c.dedup_key,
            _a.c.status,
            _a.c.severity,
            _a.c.summary,
            _a.c.origin,
            _a.c.disposition,
            _a.c.incident_id,
            _i.c.number.label("incident_number"),
            _a.c.join_reason,
            _a.c.count,
            _a.c.labels,
            _a.c.details,
            _a.c.links,
            _a.c.runbook_url,
            _a.c.first_seen_at,
            _a.c.last_seen_at,
            _a.c.resolved_at,
            _a.c.verdict,
            _a.c.verdict_by,
            _a.c.verdict_at,
        )
        .join(_s, _s.c.id == _a.c.service_id)
        .outerjoin(_i, _i.c.id == _a.c.incident_id)
        .order_by(_a.c.last_seen_at.desc(), _a.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if status:
        if status not in STATUS_FILTERS:
            raise ValidationFailed.field("status", f"use one of {', '.join(sorted(STATUS_FILTERS))}")
        if status == "open":
            # Written as the partial index `ix_alerts_open_seen` says it, so the planner can use it.
            query = query.where(_a.c.status != sa.literal_column(f"'{AlertStatus.RESOLVED.value}'"))
        else:
            query = query.where(_a.c.status == status)
    if service:
        query = query.where(_s.c.name == service)
    if incident_id:
        query = query.where(_a.c.incident_id == incident_id)
    if alert_id:
        query = query.where(_a.c.id == alert_id)
    if verdict:
        if verdict not in VERDICT_FILTERS:
            raise ValidationFailed.field("verdict", f"use one of {', '.join(sorted(VERDICT_FILTERS))}")
        query = query.where(_a.c.verdict.is_(None) if verdict == "unset" else _a.c.verdict == verdict)
    return [dict(row) for row in conn.execute(query).mappings()]


def get_alert(conn: Connection, alert_id: str) -> dict[str, Any]:
    """One alert as the listings show it, or NotFound."""
    found = list_alerts(conn, alert_id=alert_id, limit=1)
    if not found:
        raise NotFound(f"alert {alert_id} not found", details=[{"field": "alert_id"}])
    return found[0]


def raw_payload(conn: Connection, alert_id: str) -> dict[str, Any] | None:
    """The payload an alert came in (as received, possibly with other alerts of its batch), or None
    once retention removed it."""
    query = (
        sa.select(_r.c.id, _r.c.source, _r.c.received_at, _r.c.body)
        .select_from(_a.join(_r, _r.c.id == _a.c.raw_payload_id))
        .where(_a.c.id == alert_id)
    )
    row = conn.execute(query).mappings().first()
    # Payloads stored before keys were taken out at intake are shown without them too.
    return {**row, "body": redact_keys(row["body"])} if row else None


def count_alerts(conn: Connection, *, incident_id: str) -> int:
    """How many alerts an incident has (its page shows only the most recent)."""
    query = sa.select(sa.func.count()).select_from(_a).where(_a.c.incident_id == incident_id)
    return int(conn.execute(query).scalar_one())
