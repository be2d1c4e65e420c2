"""SQL adapter for the status page: components, public incidents and maintenances, their updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.incidents.tables import IncidentRow
from firebell.infra.sqltypes import all_dicts, first_dict
from firebell.statuspage.model import IncidentStatus, MaintenanceStatus
from firebell.statuspage.tables import StatusComponentRow, StatusIncidentRow, StatusUpdateRow

_c = cast(sa.Table, StatusComponentRow.__table__)
_i = cast(sa.Table, StatusIncidentRow.__table__)
_u = cast(sa.Table, StatusUpdateRow.__table__)
_internal = cast(sa.Table, IncidentRow.__table__)

INCIDENT = "incident"
MAINTENANCE = "maintenance"


class SqlStatusPageRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- components ---------------------------------------------------------------------------

    def components(self) -> list[dict[str, Any]]:
        return all_dicts(self.conn.execute(sa.select(_c).order_by(_c.c.position, _c.c.name)))

    def component(self, component_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_c).where(_c.c.id == component_id)))

    def component_by_name(self, name: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_c).where(_c.c.name == name)))

    def next_position(self) -> int:
        highest = self.conn.execute(sa.select(sa.func.max(_c.c.position))).scalar_one_or_none()
        return int(highest) + 1 if highest is not None else 0

    def add_component(self, values: dict[str, Any]) -> None:
        self.conn.execute(_c.insert(), values)

    def update_component(self, component_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_c.update().where(_c.c.id == component_id).values(**values))

    def delete_component(self, component_id: str) -> None:
        self.conn.execute(_c.delete().where(_c.c.id == component_id))

    # --- public incidents and maintenances ----------------------------------------------------

    def incident(self, incident_id: str, kind: str = INCIDENT) -> dict[str, Any] | None:
        query = sa.select(_i).where(_i.c.id == incident_id, _i.c.kind == kind)
        return first_dict(self.conn.execute(query))

    def incident_for_internal(self, internal_incident_id: str) -> dict[str, Any] | None:
        """The public incident reporting on an internal one; on PostgreSQL the internal incident's row
        is locked first, so two first publications of it cannot both open a public incident."""
        if self.conn.dialect.name == "postgresql":
            lock = sa.select(_internal.c.id).where(_internal.c.id == internal_incident_id).with_for_update()
            self.conn.execute(lock)
        return first_dict(self.conn.execute(sa.select(_i).where(_i.c.internal_incident_id == internal_incident_id)))

    def linked_incident(self, internal_incident_id: str) -> dict[str, Any] | None:
        """The public incident reporting on an internal one, for reading (no lock)."""
        return first_dict(self.conn.execute(sa.select(_i).where(_i.c.internal_incident_id == internal_incident_id)))

    def add_incident(self, values: dict[str, Any]) -> None:
        self.conn.execute(_i.insert(), values)

    def update_incident(self, incident_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_i.update().where(_i.c.id == incident_id).values(**values))

    def open_incidents(self) -> list[dict[str, Any]]:
        """Unresolved public incidents, newest first."""
        query = (
            sa.select(_i)
            .where(_i.c.kind == INCIDENT, _i.c.status != IncidentStatus.RESOLVED.value)
            .order_by(_i.c.created_at.desc(), _i.c.id.desc())
        )
        return all_dicts(self.conn.execute(query))

    def incidents(
        self, kind: str = INCIDENT, *, resolved_since: datetime | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Newest first; with `resolved_since`, only those resolved (or completed) since then."""
        query = sa.select(_i).where(_i.c.kind == kind)
        if resolved_since is not None:
            query = query.where(_i.c.resolved_at >= resolved_since)
        query = query.order_by(_i.c.created_at.desc(), _i.c.id.desc()).limit(limit)
        return all_dicts(self.conn.execute(query))

    def maintenances_not_completed(self) -> list[dict[str, Any]]:
        """Maintenances not marked completed, soonest first (the clock decides which are over)."""
        query = (
            sa.select(_i)
            .where(_i.c.kind == MAINTENANCE, _i.c.status != MaintenanceStatus.COMPLETED.value)
            .order_by(_i.c.scheduled_for, _i.c.id)
        )
        return all_dicts(self.conn.execute(query))

    # --- updates ------------------------------------------------------------------------------

    def add_update(self, values: dict[str, Any]) -> None:
        self.conn.execute(_u.insert(), values)

    def updates_of(self, incident_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Each incident's published updates, newest first."""
        found: dict[str, list[dict[str, Any]]] = {incident_id: [] for incident_id in incident_ids}
        if not incident_ids:
            return found
        query = (
            sa.select(_u)
            .where(_u.c.status_incident_id.in_(incident_ids))
            .order_by(_u.c.created_at.desc(), _u.c.id.desc())
        )
        for row in all_dicts(self.conn.execute(query)):
            found[row["status_incident_id"]].append(row)
        return found

    def recent_updates(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest published updates of every incident and maintenance, with their incident's name."""
        query = (
            sa.select(_u, _i.c.name.label("incident_name"), _i.c.kind.label("kind"))
            .join(_i, _i.c.id == _u.c.status_incident_id)
            .order_by(_u.c.created_at.desc(), _u.c.id.desc())
            .limit(limit)
        )
        return all_dicts(self.conn.execute(query))
