"""SQL adapter for alerts and raw payloads, on one connection inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts import daily
from firebell.alerts.model import AlertEvent, AlertStatus, OpenAlertRef
from firebell.alerts.ports import CurrentKey
from firebell.alerts.tables import AlertRow, RawPayloadRow
from firebell.alerts.verdict import JudgedAlert, Verdict
from firebell.infra.driver_sql import DriverSql

_alerts = cast(sa.Table, AlertRow.__table__)
_raw = cast(sa.Table, RawPayloadRow.__table__)


_OPEN = AlertStatus.RESOLVED.value
# The open-dedup lookup up to its keys, in the words of the partial index `uq_alerts_open_dedup`.
_FIND_OPEN = f"SELECT id, status, incident_id, dedup_key FROM alerts WHERE status != '{_OPEN}' AND "  # noqa: S608
_COLUMNS = (
    "id",
    "service_id",
    "integration_id",
    "raw_payload_id",
    "source",
    "dedup_key",
    "status",
    "severity",
    "summary",
    "origin",
    "group_key",
    "labels",
    "details",
    "links",
    "runbook_url",
    "disposition",
    "incident_id",
    "count",
    "occurred_at",
    "first_seen_at",
    "last_seen_at",
    "acknowledged_at",
    "resolved_at",
    "name",
    "join_reason",
)


class SqlAlertRepo:
    """Alerts, written set-at-a-time with driver-level SQL (see infra/driver_sql.py)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.forwarded = 0  # forwards queued through this repository
        self.db = DriverSql(conn)

    def add_raw_many(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["received_at"] = self.db.ts(row["received_at"])
        self.db.executemany(
            "INSERT INTO raw_payloads (id, integration_id, source, received_at, body) "
            "VALUES (:id, :integration_id, :source, :received_at, :body)",
            rows,
        )

    def current_keys(self, integration_ids: Collection[str]) -> dict[str, CurrentKey]:
        ids = list(integration_ids)
        mark = self.db.mark
        query = (
            f"SELECT id, key_digest, forward_to FROM integrations WHERE disabled_at IS NULL "  # noqa: S608
            f"AND id IN ({', '.join([mark] * len(ids))})"
        )
        return {str(r[0]): CurrentKey(str(r[1]), r[2]) for r in self.db.fetch_positional(query, ids)}

    def add_forwards(self, rows: list[dict[str, Any]]) -> None:
        self.forwarded += len(rows)
        ts = self.db.ts
        self.db.executemany(
            "INSERT INTO forwards (id, integration_id, url, method, headers, body, status, attempts, queued_at, "
            "due_at, last_error) VALUES (:id, :integration_id, :url, :method, :headers, :body, 'pending', 0, "
            ":queued_at, :due_at, '')",
            [
                {**row, "headers": orjson.dumps(row["headers"]).decode(), "queued_at": ts(row["queued_at"])}
                | {"due_at": ts(row["queued_at"])}
                for row in rows
            ],
        )

    def find_open_many(self, service_id: str, dedup_keys: Collection[str]) -> list[OpenAlertRef]:
        keys = list(dedup_keys)
        found: list[OpenAlertRef] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            if self.db.sqlite:
                query = f"{_FIND_OPEN}service_id = ? AND dedup_key IN ({', '.join(['?'] * len(chunk))})"
                rows = self.db.fetch_positional(query, [service_id, *chunk])
            else:
                # One statement whatever the batch's size (an array, not a list of marks), planned for
                # its own keys each time: prepared, the server would settle on a generic plan that reads
                # every open alert of the service (25 ms a batch at a million alerts, against 0.15 ms).
                rows = self.db.fetch_positional(
                    f"{_FIND_OPEN}service_id = %s AND dedup_key = ANY(%s)", [service_id, chunk], planned_each_time=True
                )
            found.extend(OpenAlertRef(r[0], AlertStatus(r[1]), r[2], r[3]) for r in rows)
        return found

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        ts = self.db.ts
        values = [
            (
                r["id"],
                r["service_id"],
                r["integration_id"],
                r["raw_payload_id"],
                r["source"],
                r["dedup_key"],
                r["status"],
                r["severity"],
                r["summary"],
                r["origin"],
                r["group_key"],
                *(r["encoded"] or encode_fixed_fields(r)),
                r["runbook_url"],
                r["disposition"],
                r["incident_id"],
                r["count"],
                ts(r["occurred_at"]),
                ts(r["first_seen_at"]),
                ts(r["last_seen_at"]),
                ts(r["acknowledged_at"]),
                ts(r["resolved_at"]),
                r["name"],
                r["join_reason"],
            )
            for r in rows
        ]
        self.db.insert_rows("alerts", _COLUMNS, values)
        daily.add_fired(self.db, rows)

    def update_many(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            for name in ("b_last_seen_at", "b_acknowledged_at", "b_resolved_at"):
                row[name] = self.db.ts(row[name])
        self.db.executemany(
            "UPDATE alerts SET count = count + :count_delta, last_seen_at = :b_last_seen_at, "
            "raw_payload_id = COALESCE(:b_raw_payload_id, raw_payload_id), summary = COALESCE(:b_summary, summary), "
            "status = :b_status, acknowledged_at = COALESCE(:b_acknowledged_at, acknowledged_at), "
            "resolved_at = COALESCE(:b_resolved_at, resolved_at) WHERE id = :b_id",
            rows,
        )

    def dedup_key_of(self, service_id: str, alert_id: str) -> str | None:
        query = sa.select(_alerts.c.dedup_key).where(
            _alerts.c.id == alert_id, _alerts.c.service_id == service_id, _alerts.c.status != AlertStatus.RESOLVED.value
        )
        return self.conn.execute(query).scalar_one_or_none()

    def count_open_in_incident(self, incident_id: str) -> int:
        query = sa.select(sa.func.count()).where(
            _alerts.c.incident_id == incident_id, _alerts.c.status != AlertStatus.RESOLVED.value
        )
        return int(self.conn.execute(query).scalar_one())

    # --- verdicts -------------------------------------------------------------------------------

    def judged_alert(self, alert_id: str) -> JudgedAlert | None:
        found = self._judged(_alerts.c.id == alert_id)
        return found[0] if found else None

    def judged_alerts_of_incident(self, incident_id: str) -> list[JudgedAlert]:
        return self._judged(_alerts.c.incident_id == incident_id)

    def _judged(self, where: sa.ColumnElement[bool]) -> list[JudgedAlert]:
        c = _alerts.c
        query = (
            sa.select(c.id, c.name, c.summary, c.incident_id, c.verdict).where(where).order_by(c.first_seen_at, c.id)
        )
        return [
            JudgedAlert(alert_id, name or summary, incident_id, Verdict(verdict) if verdict else None)
            for alert_id, name, summary, incident_id, verdict in self.conn.execute(query).tuples()
        ]

    def set_verdict(self, alert_ids: Collection[str], values: dict[str, object]) -> None:
        ids = list(alert_ids)
        for start in range(0, len(ids), 500):
            self.conn.execute(_alerts.update().where(_alerts.c.id.in_(ids[start : start + 500])).values(**values))
        daily.recount_alerts(self.conn, ids)


def encode_fixed_fields(event: AlertEvent | Mapping[str, Any]) -> tuple[str, str, str]:
    """An alert's labels, details and links as stored: JSON text (the intake writer's `encoded`)."""
    if isinstance(event, AlertEvent):
        labels, details, links = event.labels, event.details, event.links
    else:
        labels, details, links = event["labels"], event["details"], event["links"]
    return (
        orjson.dumps(labels if type(labels) is dict else dict(labels)).decode(),
        orjson.dumps(details if type(details) is dict else dict(details)).decode(),
        orjson.dumps([{"href": link.href, "text": link.text} for link in links]).decode(),
    )
