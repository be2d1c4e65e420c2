"""SQL adapter for incidents and their timeline entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.incidents.state import OPEN_STATUSES
from firebell.incidents.tables import IncidentEventRow, IncidentRow
from firebell.infra.sqltypes import all_dicts, first_dict
from firebell.kernel.ids import new_id

_inc = cast(sa.Table, IncidentRow.__table__)
_ev = cast(sa.Table, IncidentEventRow.__table__)
_OPEN = [s.value for s in OPEN_STATUSES]


class SqlIncidentRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, incident_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_inc).where(_inc.c.id == incident_id)))

    def get_by_number(self, number: int) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_inc).where(_inc.c.number == number)))

    def latest_open_in_group(self, service_id: str, group_key: str) -> dict[str, Any] | None:
        query = (
            sa.select(_inc.c.id, _inc.c.group_key, _inc.c.opened_at, _inc.c.sev)
            .where(
                _inc.c.service_id == service_id,
                _inc.c.group_key == group_key,
                _inc.c.status.in_(_OPEN),
            )
            .order_by(_inc.c.opened_at.desc())
            .limit(1)
        )
        return first_dict(self.conn.execute(query))

    def next_number(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(_inc.c.number), 0))).scalar_one()) + 1

    def insert(self, values: dict[str, Any]) -> None:
        self.conn.execute(_inc.insert(), values)

    def update(self, incident_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_inc.update().where(_inc.c.id == incident_id).values(**values))

    def add_event(
        self,
        incident_id: str,
        at: datetime,
        kind: str,
        message: str,
        actor: str = "firebell",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.conn.execute(
            _ev.insert(),
            {
                "id": new_id(),
                "incident_id": incident_id,
                "at": at,
                "kind": kind,
                "actor": actor,
                "message": message,
                "data": data or {},
            },
        )

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        query = sa.select(_ev).where(_ev.c.incident_id == incident_id).order_by(_ev.c.at, _ev.c.id)
        return all_dicts(self.conn.execute(query))
