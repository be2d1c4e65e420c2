"""SQL adapter for action items."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.actionitems.tables import ActionItemRow
from firebell.identity.tables import UserRow
from firebell.incidents.tables import IncidentRow
from firebell.infra.sqltypes import first_dict

_ai = cast(sa.Table, ActionItemRow.__table__)
_u = cast(sa.Table, UserRow.__table__)
_inc = cast(sa.Table, IncidentRow.__table__)

_CLOSED = ("done", "wont_do")


def _view() -> sa.Select[Any]:
    """Items with their owner's name and handle and their incident's number and title."""
    return (
        sa.select(
            _ai,
            sa.func.coalesce(sa.func.nullif(_u.c.display_name, ""), _u.c.email).label("owner"),
            _u.c.handle.label("owner_handle"),
            _u.c.email.label("owner_email"),
            _inc.c.number.label("incident_number"),
            _inc.c.title.label("incident_title"),
        )
        .outerjoin(_u, _u.c.id == _ai.c.owner_id)
        .join(_inc, _inc.c.id == _ai.c.incident_id)
    )


class SqlActionItemRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def next_number(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(_ai.c.number), 0))).scalar_one()) + 1

    def insert(self, values: dict[str, Any]) -> None:
        self.conn.execute(_ai.insert(), values)

    def update(self, item_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_ai.update().where(_ai.c.id == item_id).values(**values))

    def get(self, number: int) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(_view().where(_ai.c.number == number)))

    def listing(
        self,
        *,
        incident_id: str | None = None,
        owner_id: str | None = None,
        status: str | None = None,
        open_only: bool = False,
        overdue_on: date | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Items, open ones first by due date, then the rest newest first."""
        query = _view().limit(limit)
        if incident_id is not None:
            query = query.where(_ai.c.incident_id == incident_id)
        if owner_id is not None:
            query = query.where(_ai.c.owner_id == owner_id)
        if status is not None:
            query = query.where(_ai.c.status == status)
        if open_only or overdue_on is not None:
            query = query.where(_ai.c.status.not_in(_CLOSED))
        if overdue_on is not None:
            query = query.where(_ai.c.due_date < overdue_on)
        closed_last = sa.case((_ai.c.status.in_(_CLOSED), 1), else_=0)
        query = query.order_by(closed_last, _ai.c.due_date.is_(None), _ai.c.due_date, _ai.c.number)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def to_remind(self, today: date) -> list[dict[str, Any]]:
        """Open items past their due date, with an owner, not yet reminded about this due date."""
        query = _view().where(
            _ai.c.status.not_in(_CLOSED),
            _ai.c.due_date < today,
            _ai.c.owner_id.is_not(None),
            sa.or_(_ai.c.reminded_for.is_(None), _ai.c.reminded_for != _ai.c.due_date),
        )
        return [dict(r) for r in self.conn.execute(query.order_by(_ai.c.number).limit(200)).mappings()]

    def mark_reminded(self, item_id: str, due: date) -> bool:
        """Record the reminder for `due`; False when another process did it first."""
        result = self.conn.execute(
            _ai.update()
            .where(
                _ai.c.id == item_id,
                _ai.c.status.not_in(_CLOSED),
                _ai.c.due_date == due,
                sa.or_(_ai.c.reminded_for.is_(None), _ai.c.reminded_for != due),
            )
            .values(reminded_for=due)
        )
        return result.rowcount == 1

    def completion_rows(self) -> list[tuple[str, date | None, Any]]:
        query = sa.select(_ai.c.status, _ai.c.due_date, _ai.c.completed_at)
        return [(str(s), d, c) for s, d, c in self.conn.execute(query).tuples()]
