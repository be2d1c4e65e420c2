"""SQL adapter for alerts and raw payloads, on one connection inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.model import AlertStatus, OpenAlertRef
from firebell.alerts.tables import AlertRow, RawPayloadRow
from firebell.infra.sqltypes import UTCDateTime

_alerts = cast(sa.Table, AlertRow.__table__)
_raw = cast(sa.Table, RawPayloadRow.__table__)


_UPDATE = (
    _alerts.update()
    .where(_alerts.c.id == sa.bindparam("b_id"))
    .values(
        count=_alerts.c.count + sa.bindparam("count_delta"),
        last_seen_at=sa.bindparam("b_last_seen_at"),
        raw_payload_id=sa.func.coalesce(sa.bindparam("b_raw_payload_id"), _alerts.c.raw_payload_id),
        summary=sa.func.coalesce(sa.bindparam("b_summary"), _alerts.c.summary),
        status=sa.bindparam("b_status"),
        acknowledged_at=sa.func.coalesce(
            sa.bindparam("b_acknowledged_at", type_=UTCDateTime()), _alerts.c.acknowledged_at
        ),
        resolved_at=sa.func.coalesce(sa.bindparam("b_resolved_at", type_=UTCDateTime()), _alerts.c.resolved_at),
    )
)


class SqlAlertRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_raw_many(self, rows: list[dict[str, Any]]) -> None:
        self.conn.execute(_raw.insert(), rows)

    def find_open_many(self, service_id: str, dedup_keys: Collection[str]) -> list[OpenAlertRef]:
        keys = list(dedup_keys)
        found: list[OpenAlertRef] = []
        for start in range(0, len(keys), 500):
            query = sa.select(_alerts.c.id, _alerts.c.status, _alerts.c.incident_id, _alerts.c.dedup_key).where(
                _alerts.c.service_id == service_id,
                _alerts.c.dedup_key.in_(keys[start : start + 500]),
                _alerts.c.status != AlertStatus.RESOLVED.value,
            )
            found.extend(
                OpenAlertRef(r.id, AlertStatus(r.status), r.incident_id, r.dedup_key) for r in self.conn.execute(query)
            )
        return found

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        self.conn.execute(_alerts.insert(), rows)

    def update_many(self, rows: list[dict[str, Any]]) -> None:
        self.conn.execute(_UPDATE, rows)

    def dedup_key_of(self, service_id: str, alert_id: str) -> str | None:
        query = sa.select(_alerts.c.dedup_key).where(_alerts.c.id == alert_id, _alerts.c.service_id == service_id)
        return self.conn.execute(query).scalar_one_or_none()

    def count_open_in_incident(self, incident_id: str) -> int:
        query = sa.select(sa.func.count()).where(
            _alerts.c.incident_id == incident_id, _alerts.c.status != AlertStatus.RESOLVED.value
        )
        return int(self.conn.execute(query).scalar_one())
