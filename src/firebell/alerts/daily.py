"""The daily alert counts (table `alert_days`): added to as the intake writes alerts, recounted for
the days whose verdicts change and for histories written in bulk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.tables import AlertDayRow, AlertRow
from firebell.infra.driver_sql import DriverSql

_days = cast(sa.Table, AlertDayRow.__table__)
_alerts = cast(sa.Table, AlertRow.__table__)


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


# Written once: on the intake path every batch runs it, and building an ON CONFLICT statement with
# SQLAlchemy cost more than the write itself. Both databases take this form (SQLite 3.24 and later).
ADD_FIRED_SQL = (
    "INSERT INTO alert_days (day, service_id, alerts, no_action) VALUES (:day, :service_id, :alerts, 0) "
    "ON CONFLICT (day, service_id) DO UPDATE SET alerts = alert_days.alerts + excluded.alerts"
)


def add_fired(db: DriverSql, rows: Iterable[Mapping[str, Any]]) -> None:
    """Count newly written alerts (each with `service_id` and `first_seen_at`) into their days."""
    counts = Counter((utc_day(r["first_seen_at"]), str(r["service_id"])) for r in rows)
    if not counts:
        return
    # A date column holds ISO text on SQLite (as sa.Date stores it) and a date on PostgreSQL.
    values = [{"day": d.isoformat() if db.sqlite else d, "service_id": s, "alerts": n} for (d, s), n in counts.items()]
    db.executemany(ADD_FIRED_SQL, values)


def _day_of(conn: Connection, column: Any) -> sa.ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return sa.func.date(column)
    return sa.cast(sa.func.timezone("UTC", column), sa.Date)


def recount(conn: Connection, *, since: datetime | None = None, until: datetime | None = None) -> None:
    """Count the days from the alerts themselves: those touching [since, until) (all when None)."""
    first = utc_day(since) if since is not None else None
    last = utc_day(until) + timedelta(days=1) if until is not None else None
    delete = _days.delete()
    where: list[sa.ColumnElement[bool]] = []
    if first is not None:
        delete = delete.where(_days.c.day >= first)
        where.append(_alerts.c.first_seen_at >= datetime.combine(first, datetime.min.time(), UTC))
    if last is not None:
        delete = delete.where(_days.c.day < last)
        where.append(_alerts.c.first_seen_at < datetime.combine(last, datetime.min.time(), UTC))
    conn.execute(delete)
    day = _day_of(conn, _alerts.c.first_seen_at)
    no_action = sa.func.sum(sa.case((_alerts.c.verdict == "no_action", 1), else_=0))
    counted = (
        sa.select(day, _alerts.c.service_id, sa.func.count(), no_action)
        .where(*where)
        .group_by(day, _alerts.c.service_id)
    )
    conn.execute(_days.insert().from_select(["day", "service_id", "alerts", "no_action"], counted))


def recount_alerts(conn: Connection, alert_ids: Collection[str]) -> None:
    """Recount the days the given alerts fired on (after their verdicts changed)."""
    ids = list(alert_ids)
    days: set[date] = set()
    for start in range(0, len(ids), 500):
        query = sa.select(_alerts.c.first_seen_at).where(_alerts.c.id.in_(ids[start : start + 500]))
        fired: list[datetime] = list(conn.execute(query).scalars())
        days |= {utc_day(_aware(at)) for at in fired}
    for day in sorted(days):
        at = datetime.combine(day, datetime.min.time(), UTC)
        recount(conn, since=at, until=at)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
