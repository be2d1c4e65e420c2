"""SQL adapter for alerts and raw payloads, on one connection inside the caller's transaction."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.model import AlertEvent, AlertStatus, OpenAlertRef
from firebell.alerts.tables import AlertRow, RawPayloadRow

_alerts = cast(sa.Table, AlertRow.__table__)
_raw = cast(sa.Table, RawPayloadRow.__table__)

_FIND_OPEN = (
    sa.select(_alerts.c.id, _alerts.c.status, _alerts.c.incident_id)
    .where(
        _alerts.c.service_id == sa.bindparam("service_id"),
        _alerts.c.dedup_key == sa.bindparam("dedup_key"),
        _alerts.c.status != AlertStatus.RESOLVED.value,
    )
    .limit(1)
)


class SqlAlertRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_raw(self, *, raw_id: str, integration_id: str, source: str, body: str, at: datetime) -> None:
        self.conn.execute(
            _raw.insert(),
            {"id": raw_id, "integration_id": integration_id, "source": source, "body": body, "received_at": at},
        )

    def find_open(self, service_id: str, dedup_key: str) -> OpenAlertRef | None:
        row = self.conn.execute(_FIND_OPEN, {"service_id": service_id, "dedup_key": dedup_key}).first()
        if row is None:
            return None
        return OpenAlertRef(alert_id=row.id, status=AlertStatus(row.status), incident_id=row.incident_id)

    def bump(self, alert_id: str, event: AlertEvent, raw_id: str, at: datetime) -> None:
        self.conn.execute(
            _alerts.update()
            .where(_alerts.c.id == alert_id)
            .values(
                count=_alerts.c.count + 1,
                last_seen_at=at,
                raw_payload_id=raw_id,
                summary=event.summary[:1024],
            )
        )

    def set_status(self, alert_id: str, status: str, at: datetime) -> None:
        values: dict[str, Any] = {"status": status, "last_seen_at": at}
        if status == AlertStatus.RESOLVED:
            values["resolved_at"] = at
        elif status == AlertStatus.ACKNOWLEDGED:
            values["acknowledged_at"] = at
        self.conn.execute(_alerts.update().where(_alerts.c.id == alert_id).values(**values))

    def add(
        self,
        *,
        alert_id: str,
        service_id: str,
        integration_id: str,
        raw_id: str,
        source: str,
        event: AlertEvent,
        group_key: str,
        disposition: str,
        incident_id: str | None,
        at: datetime,
    ) -> None:
        self.conn.execute(
            _alerts.insert(),
            {
                "id": alert_id,
                "service_id": service_id,
                "integration_id": integration_id,
                "raw_payload_id": raw_id,
                "source": source,
                "dedup_key": event.dedup_key,
                "status": AlertStatus.TRIGGERED.value,
                "severity": event.severity.value,
                "summary": event.summary[:1024],
                "origin": event.origin[:255],
                "group_key": group_key[:1024],
                "labels": dict(event.labels),
                "details": dict(event.details),
                "links": [asdict(link) for link in event.links],
                "runbook_url": event.runbook_url,
                "disposition": disposition,
                "incident_id": incident_id,
                "count": 1,
                "occurred_at": event.occurred_at,
                "first_seen_at": at,
                "last_seen_at": at,
            },
        )

    def dedup_key_of(self, service_id: str, alert_id: str) -> str | None:
        query = sa.select(_alerts.c.dedup_key).where(_alerts.c.id == alert_id, _alerts.c.service_id == service_id)
        return self.conn.execute(query).scalar_one_or_none()

    def count_open_in_incident(self, incident_id: str) -> int:
        query = sa.select(sa.func.count()).where(
            _alerts.c.incident_id == incident_id, _alerts.c.status != AlertStatus.RESOLVED.value
        )
        return int(self.conn.execute(query).scalar_one())
