"""SQL adapter for stored playbooks and the playbooks attached to incidents."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from firebell.infra.sqltypes import all_dicts, first_dict
from firebell.playbooks.tables import IncidentPlaybookRow, PlaybookRow

_p = cast(sa.Table, PlaybookRow.__table__)
_ip = cast(sa.Table, IncidentPlaybookRow.__table__)


class SqlPlaybookRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stored(self) -> list[dict[str, Any]]:
        return all_dicts(self.conn.execute(sa.select(_p).order_by(_p.c.key)))

    def get(self, key: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_p).where(_p.c.key == key)))

    def save(self, values: dict[str, Any]) -> None:
        updated = self.conn.execute(_p.update().where(_p.c.key == values["key"]).values(**values)).rowcount
        if not updated:
            self.conn.execute(_p.insert(), values)

    def delete(self, key: str) -> int:
        return int(self.conn.execute(_p.delete().where(_p.c.key == key)).rowcount or 0)

    def attachments(self, incident_id: str) -> list[dict[str, Any]]:
        """The incident's playbooks in the order they were attached."""
        query = sa.select(_ip).where(_ip.c.incident_id == incident_id).order_by(_ip.c.attached_at, _ip.c.id)
        return all_dicts(self.conn.execute(query))

    def attach(self, values: dict[str, Any]) -> bool:
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        statement = insert(_ip).on_conflict_do_nothing(index_elements=["incident_id", "playbook_key"])
        # RETURNING, not rowcount: some drivers report -1 for a single insert that did nothing.
        return self.conn.execute(statement.returning(_ip.c.id), values).first() is not None
