"""Storage of paging timers: the durable clock of unresolved escalation and acknowledgement timeouts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.infra.sqltypes import all_dicts, as_utc
from firebell.paging.tables import PagingTimerRow

_timers = cast(sa.Table, PagingTimerRow.__table__)
PENDING = "pending"


class SqlTimerRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def add_once(self, values: dict[str, Any]) -> bool:
        """Add a timer unless the incident already has one of this kind for this severity."""
        exists = sa.select(_timers.c.id).where(
            _timers.c.incident_id == values["incident_id"],
            _timers.c.kind == values["kind"],
            _timers.c.sev == values["sev"],
        )
        if values["kind"] == "ack_timeout":  # one pending at a time; an unresolved rule fires once
            exists = exists.where(_timers.c.state == PENDING)
        if self.conn.execute(exists.limit(1)).first() is not None:
            return False
        self.conn.execute(_timers.insert(), values)
        return True

    def cancel(self, incident_id: str, kind: str, now: datetime) -> int:
        statement = (
            _timers.update()
            .where(_timers.c.incident_id == incident_id, _timers.c.kind == kind, _timers.c.state == PENDING)
            .values(state="cancelled", done_at=now)
        )
        return int(self.conn.execute(statement).rowcount or 0)

    def next_due(self) -> datetime | None:
        query = sa.select(sa.func.min(_timers.c.due_at)).where(_timers.c.state == PENDING)
        return as_utc(self.conn.execute(query).scalar_one_or_none())

    def claim_due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        query = (
            sa.select(_timers)
            .where(_timers.c.state == PENDING, _timers.c.due_at <= now)
            .order_by(_timers.c.due_at)
            .limit(limit)
        )
        if self.postgres:
            query = query.with_for_update(skip_locked=True)
        return all_dicts(self.conn.execute(query))

    def finish(self, timer_id: str, state: str, now: datetime) -> None:
        self.conn.execute(_timers.update().where(_timers.c.id == timer_id).values(state=state, done_at=now))

    def of_incident(self, incident_id: str) -> list[dict[str, Any]]:
        query = sa.select(_timers).where(_timers.c.incident_id == incident_id).order_by(_timers.c.due_at)
        return all_dicts(self.conn.execute(query))
