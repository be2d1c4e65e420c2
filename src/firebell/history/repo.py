"""SQL adapter for imported history: which records are in already, and the new rows written in
bulk (multi-row INSERT on SQLite, COPY on PostgreSQL; see infra/driver_sql.py) inside the caller's
transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts import daily
from firebell.alerts.tables import AlertRow
from firebell.incidents.tables import IncidentRow
from firebell.infra.driver_sql import DriverSql
from firebell.metrics.derived import refresh

_inc = cast(sa.Table, IncidentRow.__table__)
_alerts = cast(sa.Table, AlertRow.__table__)

_INCIDENT_DEFAULTS: dict[str, Any] = {
    "runbook_url": None,
    "investigating_at": None,
    "resolving_at": None,
    "declared_by": "",
    "impact": "",
    "affected_service_ids": [],
    "war_room": "",
    "drill_id": None,
}
_ALERT_DEFAULTS: dict[str, Any] = {"links": [], "runbook_url": None, "occurred_at": None}
_JSON = {"affected_service_ids", "data", "labels", "details", "links", "body"}
_TIMES = {
    "opened_at",
    "acknowledged_at",
    "identified_at",
    "resolved_at",
    "closed_at",
    "investigating_at",
    "resolving_at",
    "at",
    "received_at",
    "first_seen_at",
    "last_seen_at",
    "occurred_at",
    "verdict_at",
}


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqlHistoryRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.db = DriverSql(conn)

    def incident_refs(self, prefix: str) -> dict[str, str]:
        """external_ref -> incident id, for the incidents imported from one source."""
        query = sa.select(_inc.c.external_ref, _inc.c.id).where(_inc.c.external_ref.like(_like(prefix), escape="\\"))
        return {str(ref): str(i) for ref, i in self.conn.execute(query).tuples()}

    def alert_refs(self, prefix: str) -> set[str]:
        query = sa.select(_alerts.c.external_ref).where(_alerts.c.external_ref.like(_like(prefix), escape="\\"))
        return {str(row[0]) for row in self.conn.execute(query)}

    def next_incident_number(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(_inc.c.number), 0))).scalar_one()) + 1

    def _insert(self, table: str, rows: Sequence[Mapping[str, Any]], defaults: Mapping[str, Any]) -> None:
        if not rows:
            return
        columns = [*rows[0], *(c for c in defaults if c not in rows[0])]
        as_json = [i for i, c in enumerate(columns) if c in _JSON]
        as_time = [i for i, c in enumerate(columns) if c in _TIMES]
        ts, dumps = self.db.ts, orjson.dumps
        values: list[list[Any]] = []
        for row in rows:  # one pass, no call per value: a history file can hold 100,000 records
            found = [row[c] if c in row else defaults[c] for c in columns]
            for i in as_json:
                found[i] = dumps(found[i]).decode()
            for i in as_time:
                found[i] = ts(found[i])
            values.append(found)
        self.db.insert_rows(table, columns, values)

    def add_incidents(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._insert("incidents", rows, _INCIDENT_DEFAULTS)

    def refresh_derived(self, since: datetime) -> None:
        refresh(self.conn, since=since)

    def add_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._insert("incident_events", rows, {})

    def add_raw_payloads(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._insert("raw_payloads", rows, {})

    def add_alerts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._insert("alerts", rows, _ALERT_DEFAULTS)
        if rows:
            fired = [row["first_seen_at"] for row in rows]
            daily.recount(self.conn, since=min(fired), until=max(fired))
