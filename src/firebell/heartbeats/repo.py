"""SQL adapter for heartbeat monitors."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.catalog.tables import ServiceRow
from firebell.heartbeats.tables import HeartbeatRow
from firebell.infra.sqltypes import all_dicts, as_utc, first_dict

_hb = cast(sa.Table, HeartbeatRow.__table__)
_svc = cast(sa.Table, ServiceRow.__table__)


class SqlHeartbeatRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(_hb.insert(), values)

    def by_name(self, name: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_hb).where(_hb.c.name == name)))

    def by_integration(self, integration_id: str) -> dict[str, Any] | None:
        query = sa.select(_hb).where(_hb.c.integration_id == integration_id)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return first_dict(self.conn.execute(query))

    def update(self, heartbeat_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_hb.update().where(_hb.c.id == heartbeat_id).values(**values))

    def overdue(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        query = sa.select(_hb).where(_hb.c.next_due_at <= now).order_by(_hb.c.next_due_at).limit(limit)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return all_dicts(self.conn.execute(query))

    def next_due(self) -> datetime | None:
        return as_utc(self.conn.execute(sa.select(sa.func.min(_hb.c.next_due_at))).scalar_one_or_none())

    def listing(self) -> list[dict[str, Any]]:
        query = (
            sa.select(_hb, _svc.c.name.label("service")).join(_svc, _svc.c.id == _hb.c.service_id).order_by(_hb.c.name)
        )
        return all_dicts(self.conn.execute(query))
