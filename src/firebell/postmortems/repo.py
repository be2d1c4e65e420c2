"""SQL adapter for postmortems and their sign-offs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.identity.tables import UserRow
from firebell.incidents.tables import IncidentRow
from firebell.infra.sqltypes import first_dict
from firebell.postmortems.tables import PostmortemRow, SignOffRow

_pm = cast(sa.Table, PostmortemRow.__table__)
_so = cast(sa.Table, SignOffRow.__table__)
_u = cast(sa.Table, UserRow.__table__)
_inc = cast(sa.Table, IncidentRow.__table__)
_owner = _u.alias("owner")

_NAME = sa.func.coalesce(sa.func.nullif(_u.c.display_name, ""), _u.c.email)


def _listing() -> sa.Select[Any]:
    return (
        sa.select(
            _pm,
            _inc.c.number.label("incident_number"),
            _inc.c.title.label("incident_title"),
            _inc.c.sev.label("sev"),
            _inc.c.resolved_at.label("resolved_at"),
            _inc.c.opened_at.label("opened_at"),
            sa.func.coalesce(sa.func.nullif(_owner.c.display_name, ""), _owner.c.email).label("owner"),
            _owner.c.handle.label("owner_handle"),
        )
        .join(_inc, _inc.c.id == _pm.c.incident_id)
        .outerjoin(_owner, _owner.c.id == _pm.c.owner_id)
    )


class SqlPostmortemRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def for_incident(self, incident_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(_listing().where(_pm.c.incident_id == incident_id)))

    def insert(self, values: dict[str, Any]) -> bool:
        """Write a new postmortem; False when the incident already has one (another writer won)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(_pm.insert(), values)
        except sa.exc.IntegrityError:
            return False
        return True

    def update(self, postmortem_id: str, values: dict[str, Any], *, version: int | None = None) -> bool:
        """Apply `values`; with `version`, only if nobody changed it since (False otherwise)."""
        query = _pm.update().where(_pm.c.id == postmortem_id)
        if version is not None:
            query = query.where(_pm.c.version == version)
        return self.conn.execute(query.values(**values)).rowcount == 1

    def signoffs(self, postmortem_id: str) -> list[dict[str, Any]]:
        query = (
            sa.select(_so, _NAME.label("name"), _u.c.handle)
            .join(_u, _u.c.id == _so.c.user_id)
            .where(_so.c.postmortem_id == postmortem_id)
            .order_by(_so.c.signed_at)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def add_signoff(self, values: dict[str, Any]) -> None:
        self.conn.execute(
            _so.delete().where(_so.c.postmortem_id == values["postmortem_id"], _so.c.role == values["role"])
        )
        self.conn.execute(_so.insert(), values)

    def clear_signoffs(self, postmortem_id: str) -> int:
        return self.conn.execute(_so.delete().where(_so.c.postmortem_id == postmortem_id)).rowcount

    def listing(self, *, status: str | None = None, overdue_at: datetime | None = None) -> list[dict[str, Any]]:
        query = _listing()
        if status is not None:
            query = query.where(_pm.c.status == status)
        if overdue_at is not None:
            query = query.where(_pm.c.status != "final", _pm.c.due_at < overdue_at)
        order = sa.case((_pm.c.status == "final", 1), else_=0)
        query = query.order_by(order, _pm.c.due_at.is_(None), _pm.c.due_at, _inc.c.number.desc()).limit(500)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def needing_draft(self, *, resolved_since: datetime, severities: list[str]) -> list[dict[str, Any]]:
        """Resolved incidents of the given severities without a postmortem, recently resolved (older
        ones, such as imported history, are left alone)."""
        query = (
            sa.select(_inc.c.id, _inc.c.number)
            .outerjoin(_pm, _pm.c.incident_id == _inc.c.id)
            .where(
                _pm.c.id.is_(None),
                _inc.c.drill_id.is_(None),  # a drill is practice: nothing to learn from in a postmortem
                _inc.c.resolved_at.is_not(None),
                _inc.c.resolved_at >= resolved_since,
                _inc.c.sev.in_(severities),
            )
            .order_by(_inc.c.resolved_at)
            .limit(100)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def next_due(self) -> datetime | None:
        """The earliest due date of a postmortem that is not final and not yet reminded."""
        query = (
            sa.select(_pm.c.due_at)
            .where(_pm.c.status != "final", _pm.c.reminded_at.is_(None), _pm.c.due_at.is_not(None))
            .order_by(_pm.c.due_at)
            .limit(1)
        )
        return self.conn.execute(query).scalar_one_or_none()

    def to_remind(self, now: datetime, again_before: datetime) -> list[dict[str, Any]]:
        """Postmortems past due and not final, never reminded or last reminded before `again_before`."""
        query = _listing().where(
            _pm.c.status != "final",
            _pm.c.due_at < now,
            sa.or_(_pm.c.reminded_at.is_(None), _pm.c.reminded_at < again_before),
        )
        return [dict(r) for r in self.conn.execute(query.limit(200)).mappings()]

    def mark_reminded(self, postmortem_id: str, now: datetime, again_before: datetime) -> bool:
        result = self.conn.execute(
            _pm.update()
            .where(
                _pm.c.id == postmortem_id,
                _pm.c.status != "final",
                sa.or_(_pm.c.reminded_at.is_(None), _pm.c.reminded_at < again_before),
            )
            .values(reminded_at=now)
        )
        return result.rowcount == 1
