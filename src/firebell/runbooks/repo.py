"""SQL adapter for runbooks."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.catalog.tables import ServiceRow
from firebell.identity.model import Team
from firebell.infra.sqltypes import all_dicts, first_dict
from firebell.oncall.tables import TeamRow
from firebell.runbooks.tables import RunbookRow

_r = cast(sa.Table, RunbookRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)
_t = cast(sa.Table, TeamRow.__table__)


class SqlRunbookRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _select(self) -> sa.Select[Any]:
        query = sa.select(_r, _s.c.name.label("service"), _t.c.name.label("team"))
        return query.outerjoin(_s, _s.c.id == _r.c.service_id).outerjoin(_t, _t.c.id == _r.c.team_id)

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

    def team_named(self, name: str) -> Team | None:
        return self._team(_t.c.name == name)

    def owner(self, service_id: str | None, team_id: str | None) -> Team | None:
        """The team owning a runbook: its service's `owner_team` (when a team has that name), else its own."""
        if service_id is not None:
            owner_team = sa.select(_s.c.owner_team).where(_s.c.id == service_id).scalar_subquery()
            return self._team(_t.c.name == owner_team)
        return self._team(_t.c.id == team_id) if team_id is not None else None

    def _team(self, where: sa.ColumnElement[bool]) -> Team | None:
        row = self.conn.execute(sa.select(_t.c.id, _t.c.name).where(where)).first()
        return Team(str(row[0]), str(row[1])) if row is not None else None
