"""Read side of alerts: filtered, newest-first listings for the API, CLI and UI."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.model import AlertStatus
from firebell.alerts.redact import redact_keys
from firebell.alerts.tables import AlertRow, RawPayloadRow
from firebell.alerts.verdict import Verdict
from firebell.catalog.tables import ServiceRow
from firebell.incidents.tables import IncidentRow
from firebell.kernel.errors import NotFound, ValidationFailed

_a = cast(sa.Table, AlertRow.__table__)
_s = cast(sa.Table, ServiceRow.__table__)
_i = cast(sa.Table, IncidentRow.__table__)
_r = cast(sa.Table, RawPayloadRow.__table__)

STATUS_FILTERS = {"open", *(s.value for s in AlertStatus)}
VERDICT_FILTERS = {"unset", *(v.value for v in Verdict)}  # "unset": nobody said yet


@dataclass(frozen=True, slots=True)
class AlertCursor:
    """A place in the newest-first listing: the (last seen, id) of the alert beside it. The order is
    total (the id breaks ties of alerts seen at the same instant), so paging from a cursor shows each
    alert once, however many arrive meanwhile."""

    seen: datetime
    id: str

    @classmethod
    def of(cls, alert: dict[str, Any]) -> AlertCursor:
        return cls(alert["last_seen_at"], str(alert["id"]))

    def token(self) -> str:
        text = f"{self.seen.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str, *, field: str) -> AlertCursor:
        """The cursor a link carried, or ValidationFailed naming `field`."""
        problem = ValidationFailed.field(field, "not a page of this listing: start again from the newest alerts")
        if not token or len(token) > CURSOR_CHARS:
            raise problem
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            seen_text, alert_id = text.split("|")
            seen = datetime.fromisoformat(seen_text)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise problem from None
        if seen.tzinfo is None or not alert_id or not alert_id.isascii() or not alert_id.isprintable():
            raise problem
        return cls(seen, alert_id)


CURSOR_CHARS = 200  # far longer than any cursor this module writes


def list_alerts(
    conn: Connection,
    *,
    status: str | None = None,
    service: str | None = None,
    limit: int = 100,
    offset: int = 0,
    incident_id: str | None = None,
    verdict: str | None = None,
    alert_id: str | None = None,
    before: AlertCursor | None = None,
    after: AlertCursor | None = None,
) -> list[dict[str, Any]]:
    """Alerts newest first (by last seen, then id); with `before`, only those older than the cursor;
    with `after`, only those newer, and then oldest first (the ones nearest the cursor)."""
    query = (
        sa.select(
            _a.c.id,
            _a.c.service_id,
            _s.c.name.label("service"),
            _a.c.source,
            _a.c.dedup_key,
            _a.c.status,
            _a.c.severity,
            _a.c.summary,
            _a.c.origin,
            _a.c.disposition,
            _a.c.incident_id,
            _i.c.number.label("incident_number"),
            _a.c.join_reason,
            _a.c.count,
            _a.c.labels,
            _a.c.details,
            _a.c.links,
            _a.c.runbook_url,
            _a.c.first_seen_at,
            _a.c.last_seen_at,
            _a.c.resolved_at,
            _a.c.verdict,
            _a.c.verdict_by,
            _a.c.verdict_at,
        )
        .join(_s, _s.c.id == _a.c.service_id)
        .outerjoin(_i, _i.c.id == _a.c.incident_id)
        .order_by(*((_a.c.last_seen_at.asc(), _a.c.id.asc()) if after else (_a.c.last_seen_at.desc(), _a.c.id.desc())))
        .limit(limit)
        .offset(offset)
    )
    if before:
        query = query.where(
            sa.or_(_a.c.last_seen_at < before.seen, sa.and_(_a.c.last_seen_at == before.seen, _a.c.id < before.id))
        )
    if after:
        query = query.where(
            sa.or_(_a.c.last_seen_at > after.seen, sa.and_(_a.c.last_seen_at == after.seen, _a.c.id > after.id))
        )
    if status:
        if status not in STATUS_FILTERS:
            raise ValidationFailed.field("status", f"use one of {', '.join(sorted(STATUS_FILTERS))}")
        if status == "open":
            # Written as the partial index `ix_alerts_open_seen` says it, so the planner can use it.
            query = query.where(_a.c.status != sa.literal_column(f"'{AlertStatus.RESOLVED.value}'"))
        else:
            query = query.where(_a.c.status == status)
    if service:
        query = query.where(_s.c.name == service)
    if incident_id:
        query = query.where(_a.c.incident_id == incident_id)
    if alert_id:
        query = query.where(_a.c.id == alert_id)
    if verdict:
        if verdict not in VERDICT_FILTERS:
            raise ValidationFailed.field("verdict", f"use one of {', '.join(sorted(VERDICT_FILTERS))}")
        query = query.where(_a.c.verdict.is_(None) if verdict == "unset" else _a.c.verdict == verdict)
    return [dict(row) for row in conn.execute(query).mappings()]


@dataclass(frozen=True, slots=True)
class AlertPage:
    """One page of the listing, newest first, and the cursors of the pages beside it (None: none)."""

    alerts: list[dict[str, Any]]
    newer: AlertCursor | None  # list `after` it; see `newest` for the first page
    older: AlertCursor | None  # list `before` it
    newest: bool  # this is the first page: nothing newer when it was read


def page_of_alerts(
    conn: Connection,
    *,
    size: int,
    before: AlertCursor | None = None,
    after: AlertCursor | None = None,
    status: str | None = None,
    service: str | None = None,
    verdict: str | None = None,
    incident_id: str | None = None,
) -> AlertPage:
    """`size` alerts older than `before`, or the `size` just newer than `after`, or the newest. A
    page reached going newer that would be short is the first page, so walking back ends where the
    walk began."""
    if before and after:
        raise ValidationFailed.field("after", "give before or after, not both")
    if after:
        rows = list_alerts(
            conn, after=after, limit=size + 1, status=status, service=service, verdict=verdict, incident_id=incident_id
        )
        if len(rows) > size:
            page = rows[:size][::-1]
            return AlertPage(page, newer=AlertCursor.of(page[0]), older=AlertCursor.of(page[-1]), newest=False)
        before = None
    rows = list_alerts(
        conn, before=before, limit=size + 1, status=status, service=service, verdict=verdict, incident_id=incident_id
    )
    page, more = rows[:size], len(rows) > size
    newer = AlertCursor.of(page[0]) if page and before else None
    older = AlertCursor.of(page[-1]) if more else None
    return AlertPage(page, newer=newer, older=older, newest=before is None)


def get_alert(conn: Connection, alert_id: str) -> dict[str, Any]:
    """One alert as the listings show it, or NotFound."""
    found = list_alerts(conn, alert_id=alert_id, limit=1)
    if not found:
        raise NotFound(f"alert {alert_id} not found", details=[{"field": "alert_id"}])
    return found[0]


def raw_payload(conn: Connection, alert_id: str) -> dict[str, Any] | None:
    """The payload an alert came in (as received, possibly with other alerts of its batch), or None
    once retention removed it."""
    query = (
        sa.select(_r.c.id, _r.c.source, _r.c.received_at, _r.c.body)
        .select_from(_a.join(_r, _r.c.id == _a.c.raw_payload_id))
        .where(_a.c.id == alert_id)
    )
    row = conn.execute(query).mappings().first()
    # Payloads stored before keys were taken out at intake are shown without them too.
    return {**row, "body": redact_keys(row["body"])} if row else None


def count_alerts(conn: Connection, *, incident_id: str) -> int:
    """How many alerts an incident has (its page shows only the most recent)."""
    query = sa.select(sa.func.count()).select_from(_a).where(_a.c.incident_id == incident_id)
    return int(conn.execute(query).scalar_one())
