"""SQL adapter for drills, and the facts a paging drill's report reads from the pipeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.tables import AlertRow
from firebell.catalog.tables import ServiceRow
from firebell.drills.model import Status, Step
from firebell.drills.tables import DrillRow
from firebell.identity.tables import UserRow
from firebell.incidents.tables import IncidentRow
from firebell.infra.sqltypes import as_utc, first_dict
from firebell.paging.tables import DeliveryRow, EscalationRow, PageRow

_d = cast(sa.Table, DrillRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)
_a = cast(sa.Table, AlertRow.__table__)
_i = cast(sa.Table, IncidentRow.__table__)
_e = cast(sa.Table, EscalationRow.__table__)
_p = cast(sa.Table, PageRow.__table__)
_del = cast(sa.Table, DeliveryRow.__table__)
_u = cast(sa.Table, UserRow.__table__)


def _view() -> sa.Select[Any]:
    return (
        sa.select(_d, _s.c.name.label("service"), _i.c.number.label("incident_number"))
        .join(_s, _s.c.id == _d.c.service_id)
        .outerjoin(_i, _i.c.id == _d.c.incident_id)
    )


class SqlDrillRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def next_number(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(_d.c.number), 0))).scalar_one()) + 1

    def insert(self, values: dict[str, Any]) -> None:
        self.conn.execute(_d.insert(), values)

    def update(self, drill_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_d.update().where(_d.c.id == drill_id).values(**values))

    def get(self, number: int) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(_view().where(_d.c.number == number)))

    def by_id(self, drill_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(_view().where(_d.c.id == drill_id)))

    def listing(self, limit: int = 200) -> list[dict[str, Any]]:
        query = _view().order_by(_d.c.number.desc()).limit(limit)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def running_participants(self, drill_id: str, service_id: str) -> list[str] | None:
        """The people a running paging drill of this service may page; None when it is not one."""
        row = self.conn.execute(
            sa.select(_d.c.participants).where(
                _d.c.id == drill_id, _d.c.service_id == service_id, _d.c.status == Status.RUNNING.value
            )
        ).first()
        return None if row is None else [str(u) for u in row[0] or []]

    def incident_of(self, drill: dict[str, Any]) -> dict[str, Any] | None:
        """The incident the drill's alert opened (its id is stored when intake opens it)."""
        if not drill["incident_id"]:
            return None
        return first_dict(self.conn.execute(sa.select(_i).where(_i.c.id == drill["incident_id"])))

    def stamps(self, drill: dict[str, Any], incident: dict[str, Any] | None) -> dict[Step, datetime | None]:
        """When the drill's alert reached each step of the pipeline."""
        accepted = self.conn.execute(
            sa.select(sa.func.min(_a.c.first_seen_at)).where(
                _a.c.service_id == drill["service_id"], _a.c.dedup_key == drill["dedup_key"]
            )
        ).scalar_one_or_none()
        found: dict[Step, datetime | None] = {Step.FIRED: drill["fired_at"], Step.ACCEPTED: as_utc(accepted)}
        if incident is None:
            return found
        incident_id = incident["id"]
        started = self.conn.execute(sa.select(sa.func.min(_e.c.started_at)).where(_e.c.incident_id == incident_id))
        paged = self.conn.execute(sa.select(sa.func.min(_p.c.paged_at)).where(_p.c.incident_id == incident_id))
        sent = self.conn.execute(
            sa.select(sa.func.min(_del.c.finished_at)).where(
                _del.c.incident_id == incident_id, _del.c.status == "sent", _del.c.page_id.is_not(None)
            )
        )
        found |= {
            Step.INCIDENT: incident["opened_at"],
            Step.ESCALATION: as_utc(started.scalar_one_or_none()),
            Step.PAGED: as_utc(paged.scalar_one_or_none()),
            Step.NOTIFIED: as_utc(sent.scalar_one_or_none()),
            Step.ACKNOWLEDGED: incident["acknowledged_at"],
            Step.RESOLVED: incident["resolved_at"],
        }
        return found

    def notified(self, incident_id: str) -> list[dict[str, Any]]:
        """Each page of the drill's incident: who, when, and each delivery's channel and outcome."""
        query = (
            sa.select(
                _p.c.user_id,
                _p.c.level,
                _p.c.paged_at,
                sa.func.coalesce(sa.func.nullif(_u.c.display_name, ""), _u.c.email).label("name"),
                _del.c.channel,
                _del.c.status,
                _del.c.finished_at,
                _del.c.last_error,
            )
            .join(_u, _u.c.id == _p.c.user_id)
            .outerjoin(_del, _del.c.page_id == _p.c.id)
            .where(_p.c.incident_id == incident_id)
            .order_by(_p.c.paged_at, _u.c.email)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def people_names(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        query = sa.select(_u.c.id, sa.func.coalesce(sa.func.nullif(_u.c.display_name, ""), _u.c.email)).where(
            _u.c.id.in_(ids)
        )
        return {str(i): str(n) for i, n in self.conn.execute(query)}
