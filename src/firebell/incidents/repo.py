"""SQL adapter for incidents and their timeline entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.incidents.state import OPEN_STATUSES
from firebell.incidents.tables import IncidentEventRow, IncidentRow
from firebell.infra.driver_sql import DriverSql
from firebell.infra.sqltypes import first_dict
from firebell.kernel.ids import new_id

_inc = cast(sa.Table, IncidentRow.__table__)
_ev = cast(sa.Table, IncidentEventRow.__table__)
_OPEN = [s.value for s in OPEN_STATUSES]
_OPEN_SQL = ", ".join(f"'{s}'" for s in _OPEN)


class SqlIncidentRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, incident_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_inc).where(_inc.c.id == incident_id)))

    def latest_open_in_group(self, service_id: str, group_key: str) -> dict[str, Any] | None:
        # On the intake hot path (once per batch and group), hence driver-level SQL.
        db = DriverSql(self.conn)
        query = (
            "SELECT id, group_key, opened_at, sev FROM incidents WHERE service_id = :service_id "  # noqa: S608
            f"AND group_key = :group_key AND status IN ({_OPEN_SQL}) ORDER BY opened_at DESC LIMIT 1"
        )
        rows = db.execute(query, {"service_id": service_id, "group_key": group_key})
        if not rows:
            return None
        row = rows[0]
        return {"id": row[0], "group_key": row[1], "opened_at": db.read_ts(row[2]), "sev": row[3]}

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
