"""Storage of the Opsgenie-compatible Alert API: alerts found and searched as it names them, their
tiny ids and notes, and the status of each request."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.normalize import fit_key
from firebell.alerts.opsgenie import SORTS, Term, severity_of
from firebell.alerts.tables import AlertRow, OpsgenieNoteRow, OpsgenieRequestRow, OpsgenieTinyIdRow
from firebell.catalog.tables import IntegrationRow
from firebell.kernel.ids import new_id

_alerts = cast(sa.Table, AlertRow.__table__)
_requests = cast(sa.Table, OpsgenieRequestRow.__table__)
_tiny = cast(sa.Table, OpsgenieTinyIdRow.__table__)
_notes = cast(sa.Table, OpsgenieNoteRow.__table__)
_integrations = cast(sa.Table, IntegrationRow.__table__)

_COLUMNS = [
    _alerts.c[name]
    for name in (
        "id",
        "service_id",
        "integration_id",
        "incident_id",
        "dedup_key",
        "status",
        "severity",
        "summary",
        "origin",
        "source",
        "labels",
        "details",
        "count",
        "first_seen_at",
        "last_seen_at",
        "acknowledged_at",
        "resolved_at",
    )
]


class SqlOpsgenieRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- alerts ---------------------------------------------------------------------------------

    def find(self, service_id: str, identifier: str, identifier_type: str) -> dict[str, Any] | None:
        """The service's alert an identifier names: by id, by tiny id, or by alias (the open alert
        with that alias, else the one last seen)."""
        query = sa.select(*_COLUMNS).where(_alerts.c.service_id == service_id)
        if identifier_type == "id":
            query = query.where(_alerts.c.id == identifier)
        elif identifier_type == "tiny":
            if not identifier.isdigit() or len(identifier) > 18:
                return None
            query = query.join(_tiny, _tiny.c.alert_id == _alerts.c.id).where(_tiny.c.tiny_id == int(identifier))
        else:
            open_first = sa.case((_alerts.c.status == "resolved", 1), else_=0)
            query = query.where(_alerts.c.dedup_key == fit_key(identifier)).order_by(
                open_first, _alerts.c.last_seen_at.desc(), _alerts.c.id.desc()
            )
        row = self.conn.execute(query.limit(1)).mappings().first()
        return dict(row) if row is not None else None

    def _filtered(self, service_id: str, terms: list[Term]) -> sa.Select[Any]:
        query = sa.select(*_COLUMNS).where(_alerts.c.service_id == service_id)
        for term in terms:
            value = term.value
            if term.field == "status":
                query = query.where((_alerts.c.status == "resolved") == (value == "closed"))
            elif term.field == "acknowledged":
                query = query.where(_alerts.c.acknowledged_at.is_not(None) == (value == "true"))
            elif term.field == "priority":
                query = query.where(_alerts.c.severity == severity_of(value).value)
                kept = _alerts.c.details["priority"].as_string()
                if value == "P5":
                    query = query.where(kept == "P5")
                elif value == "P4":
                    query = query.where(sa.or_(kept.is_(None), kept != "P5"))
            elif term.field == "tag":
                exact = _alerts.c.labels[value].as_string() == "true"
                name, _, wanted = value.partition(":")
                query = query.where(sa.or_(exact, _alerts.c.labels[name].as_string() == wanted) if wanted else exact)
            elif term.field == "alias":
                query = query.where(_alerts.c.dedup_key == fit_key(value))
            elif term.field == "id":
                query = query.where(_alerts.c.id == value)
            elif term.field == "tinyId":
                tiny = sa.select(_tiny.c.alert_id).where(_tiny.c.tiny_id == int(value[:18]))
                query = query.where(_alerts.c.id.in_(tiny))
            elif term.field == "message":
                escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                query = query.where(sa.func.lower(_alerts.c.summary).like(f"%{escaped}%", escape="\\"))
            elif term.field == "entity":
                query = query.where(_alerts.c.labels["entity"].as_string() == value)
            elif term.field == "source":
                query = query.where(_alerts.c.origin == value)
        return query

    def search(
        self, service_id: str, terms: list[Term], *, sort: str, order: str, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        column = _alerts.c[SORTS[sort]]
        ordering = [column.desc(), _alerts.c.id.desc()] if order == "desc" else [column.asc(), _alerts.c.id.asc()]
        query = self._filtered(service_id, terms).order_by(*ordering).offset(offset).limit(limit)
        return [dict(row) for row in self.conn.execute(query).mappings()]

    def count(self, service_id: str, terms: list[Term]) -> int:
        inner = self._filtered(service_id, terms).subquery()
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one())

    def update(self, alert_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_alerts.update().where(_alerts.c.id == alert_id).values(**values))

    def delete(self, alert_id: str) -> None:
        self.conn.execute(_notes.delete().where(_notes.c.alert_id == alert_id))
        self.conn.execute(_tiny.delete().where(_tiny.c.alert_id == alert_id))
        self.conn.execute(_alerts.delete().where(_alerts.c.id == alert_id))

    def tiny_ids(self, alert_ids: Collection[str]) -> dict[str, int]:
        """Each alert's tiny id, given now to those that have none (in the caller's write transaction,
        which runs alone, so two requests never number one alert twice)."""
        ids = list(alert_ids)
        if not ids:
            return {}
        known = dict(
            self.conn.execute(sa.select(_tiny.c.alert_id, _tiny.c.tiny_id).where(_tiny.c.alert_id.in_(ids))).all()
        )
        for alert_id in ids:
            if alert_id not in known:
                result = self.conn.execute(_tiny.insert().values(alert_id=alert_id))
                key = result.inserted_primary_key
                known[alert_id] = int(key[0]) if key is not None else 0
        return {str(k): int(v) for k, v in known.items()}

    def integration(self, integration_id: str) -> dict[str, str]:
        row = self.conn.execute(
            sa.select(_integrations.c.id, _integrations.c.name).where(_integrations.c.id == integration_id)
        ).first()
        name = str(row[1]) if row is not None else ""
        return {"id": integration_id, "name": name, "type": "API"}

    # --- notes ----------------------------------------------------------------------------------

    def add_note(self, alert_id: str, note: str, owner: str, at: datetime) -> None:
        values = {"id": new_id(), "alert_id": alert_id, "note": note, "owner": owner, "created_at": at}
        self.conn.execute(_notes.insert().values(**values))

    def notes(self, alert_id: str, *, after: str, order: str, limit: int) -> list[dict[str, Any]]:
        """Notes oldest first (order asc) or newest first, from after the note whose id is `after`."""
        query = sa.select(_notes).where(_notes.c.alert_id == alert_id)
        if after:
            query = query.where(_notes.c.id > after if order == "asc" else _notes.c.id < after)
        query = query.order_by(_notes.c.id.asc() if order == "asc" else _notes.c.id.desc()).limit(limit)
        return [dict(row) for row in self.conn.execute(query).mappings()]

    # --- request statuses -----------------------------------------------------------------------

    def record(self, values: dict[str, Any]) -> None:
        self.conn.execute(_requests.insert().values(**values))

    def request(self, service_id: str, request_id: str) -> dict[str, Any] | None:
        query = sa.select(_requests).where(_requests.c.id == request_id, _requests.c.service_id == service_id)
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row is not None else None
