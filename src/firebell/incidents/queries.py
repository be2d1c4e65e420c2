"""Read side of incidents: listings and the detail view."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.tables import AlertRow
from firebell.catalog.tables import ServiceRow
from firebell.incidents.state import OPEN_STATUSES, IncidentStatus
from firebell.incidents.tables import IncidentEventRow, IncidentRow
from firebell.incidents.targets import TARGETS, acknowledgement, format_span
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.kernel.severity import Sev

_i = cast(sa.Table, IncidentRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)
_a = cast(sa.Table, AlertRow.__table__)
_e = cast(sa.Table, IncidentEventRow.__table__)

STATUS_FILTERS = {"open", *(s.value for s in IncidentStatus)}


def _base() -> sa.Select[Any]:
    alert_count = sa.select(sa.func.count()).where(_a.c.incident_id == _i.c.id).correlate(_i).scalar_subquery()
    return sa.select(
        _i.c.id,
        _i.c.number,
        _i.c.title,
        _i.c.status,
        _i.c.sev,
        _i.c.service_id,
        _s.c.name.label("service"),
        _i.c.runbook_url,
        _i.c.opened_at,
        _i.c.acknowledged_at,
        _i.c.resolved_at,
        _i.c.closed_at,
        alert_count.label("alert_count"),
    ).outerjoin(_s, _s.c.id == _i.c.service_id)


def list_incidents(
    conn: Connection,
    *,
    status: str | None = None,
    service: str | None = None,
    sev: str | None = None,
    limit: int = 100,
    offset: int = 0,
    worst_first: bool = False,
) -> list[dict[str, Any]]:
    """Incidents newest first; `worst_first` puts SEV-1 before SEV-2 and so on (then newest first),
    which is how an on-call board reads."""
    order = [_i.c.opened_at.desc(), _i.c.number.desc()]
    if worst_first:
        order.insert(0, _i.c.sev.asc())  # "SEV-1" < "SEV-2" < ... as text
    query = _base().order_by(*order).limit(limit).offset(offset)
    if status:
        if status not in STATUS_FILTERS:
            raise ValidationFailed.field("status", f"use one of {', '.join(sorted(STATUS_FILTERS))}")
        if status == "open":
            query = query.where(_i.c.status.in_([s.value for s in OPEN_STATUSES]))
        else:
            query = query.where(_i.c.status == status)
    if service:
        query = query.where(_s.c.name == service)
    if sev:
        query = query.where(_i.c.sev == sev)
    return [dict(row) for row in conn.execute(query).mappings()]


def get_incident(conn: Connection, ref: str) -> dict[str, Any]:
    """Find an incident by id or by its number."""
    query = _base()
    query = query.where(_i.c.number == int(ref)) if ref.isdigit() else query.where(_i.c.id == ref)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"incident {ref} not found")
    return dict(row)


def timeline(conn: Connection, incident_id: str) -> list[dict[str, Any]]:
    query = sa.select(_e).where(_e.c.incident_id == incident_id).order_by(_e.c.at, _e.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def target_view(incident: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The playbook's response targets for the incident's severity, and where it stands on them."""
    sev = Sev(incident["sev"])
    targets = TARGETS[sev]
    ack = acknowledgement(sev, incident["opened_at"], incident["acknowledged_at"], now)
    return {
        "acknowledge_within": format_span(targets.acknowledge),
        "acknowledge": ack.standing.value,
        "acknowledge_by": format_span(ack.by),
        "assemble_within": format_span(targets.assemble) if targets.assemble else None,
        "update_every": format_span(targets.update_every) if targets.update_every else None,
        "postmortem": targets.postmortem.value,
        "postmortem_within": format_span(targets.postmortem_within) if targets.postmortem_within else None,
    }
