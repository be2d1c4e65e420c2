"""SQL adapter for runbooks."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.catalog.tables import ServiceRow
from firebell.infra.sqltypes import all_dicts, first_dict
from firebell.runbooks.tables import RunbookRow

_r = cast(sa.Table, RunbookRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)


class SqlRunbookRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _select(self) -> sa.Select[Any]:
        return sa.select(_r, _s.c.name.label("service")).outerjoin(_s, _s.c.id == _r.c.service_id)

    def get(self, runbook_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(self._select().where(_r.c.id == runbook_id)))

    def by_service(self, service_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(self._select().where(_r.c.service_id == service_id)))

    def by_source(self, source_path: str) -> dict[str, Any] | None:
        """The runbook of no service imported from this path, if any."""
        query = self._select().where(_r.c.source_path == source_path, _r.c.service_id.is_(None))
        return first_dict(self.conn.execute(query.order_by(_r.c.created_at)))

    def listing(self) -> list[dict[str, Any]]:
        """Every runbook with its service's name, by title."""
        return all_dicts(self.conn.execute(self._select().order_by(_r.c.title, _r.c.id)))

    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(_r.insert(), values)

    def update(self, runbook_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_r.update().where(_r.c.id == runbook_id).values(**values))
