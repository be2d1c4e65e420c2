"""SQL adapter for change events."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.catalog.tables import ServiceRow
from firebell.changes.tables import ChangeEventRow

_c = cast(sa.Table, ChangeEventRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)


class SqlChangeRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(_c.insert(), values)

    def listing(
        self,
        *,
        service_ids: Collection[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
        change_id: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Changes newest first, with their service's name."""
        query = (
            sa.select(_c, _s.c.name.label("service"))
            .join(_s, _s.c.id == _c.c.service_id)
            .order_by(_c.c.at.desc(), _c.c.id.desc())
            .limit(limit)
        )
        if service_ids is not None:
            query = query.where(_c.c.service_id.in_(list(service_ids)))
        if since is not None:
            query = query.where(_c.c.at >= since)
        if until is not None:
            query = query.where(_c.c.at <= until)
        if kind is not None:
            query = query.where(_c.c.kind == kind)
        if change_id is not None:
            query = query.where(_c.c.id == change_id)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def dependencies(self) -> dict[str, list[str]]:
        """Every service's dependencies (ids)."""
        return {str(i): list(d or []) for i, d in self.conn.execute(sa.select(_s.c.id, _s.c.dependencies)).tuples()}
