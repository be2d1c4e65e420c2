"""Reading the audit log: newest first, filtered, paged by id."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.audit.tables import AuditRow

_audit = cast(sa.Table, AuditRow.__table__)


def entries(
    conn: Connection,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Entries matching every filter given, newest first; `before_id` continues a page."""
    query = sa.select(_audit)
    if entity:
        query = query.where(_audit.c.entity == entity)
    if entity_id:
        query = query.where(_audit.c.entity_id == entity_id)
    if actor:
        query = query.where(_audit.c.actor == actor)
    if since is not None:
        query = query.where(_audit.c.at >= since)
    if until is not None:
        query = query.where(_audit.c.at < until)
    if before_id is not None:
        query = query.where(_audit.c.id < before_id)
    rows = conn.execute(query.order_by(_audit.c.id.desc()).limit(limit)).mappings()
    return [dict(row) for row in rows]


def entities(conn: Connection) -> list[str]:
    """The tables that have entries, for the filter's choices."""
    values: list[Any] = list(conn.execute(sa.select(sa.distinct(_audit.c.entity)).order_by(_audit.c.entity)).scalars())
    return [str(e) for e in values]
