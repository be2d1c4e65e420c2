"""The response times and recurrence flags kept on incident rows, recomputed set-at-a-time for rows
written in bulk (the schema upgrade, an imported history, generated data). Incidents opened and moved
one by one keep them up to date as they go (incidents.service)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts import daily
from firebell.incidents.recurrence import RECURRENCE_WINDOW
from firebell.incidents.tables import IncidentRow
from firebell.metrics import sql

_inc = cast(sa.Table, IncidentRow.__table__)


def refresh(conn: Connection, *, since: datetime | None = None) -> None:
    """Recompute the spans of the incidents opened since `since` (all when None), the recurrence
    flags of those and of any opened up to 90 days after them, and the daily alert counts."""
    daily.recount(conn, since=since)
    response = sql.earliest(
        conn, _inc.c.acknowledged_at, _inc.c.investigating_at, _inc.c.identified_at, _inc.c.resolving_at
    )
    spans = _inc.update().values(
        seconds_to_ack=sql.seconds_between(conn, _inc.c.opened_at, response),
        seconds_to_identify=sql.seconds_between(conn, response, _inc.c.identified_at),
        seconds_to_resolve=sql.seconds_between(conn, _inc.c.opened_at, _inc.c.resolved_at),
    )
    conn.execute(spans.where(_inc.c.opened_at >= since) if since is not None else spans)
    previous = (
        sa.func.lag(_inc.c.opened_at)
        .over(partition_by=(_inc.c.service_id, _inc.c.recurrence_key), order_by=_inc.c.opened_at)
        .label("previous")
    )
    where = [_inc.c.recurrence_key != "", _inc.c.drill_id.is_(None)]
    if since is not None:
        where.append(_inc.c.opened_at >= since - RECURRENCE_WINDOW)
    windowed = sa.select(_inc.c.id, _inc.c.opened_at, previous).where(*where).subquery("w")
    gap = sql.seconds_between(conn, windowed.c.previous, windowed.c.opened_at)
    recurring = sa.select(windowed.c.id).where(
        windowed.c.previous.is_not(None), gap <= RECURRENCE_WINDOW.total_seconds()
    )
    flags = _inc.update().values(recurs=sa.case((_inc.c.id.in_(recurring), True), else_=False))
    conn.execute(flags.where(_inc.c.opened_at >= since) if since is not None else flags)
