"""The metric reads: set-based SQL over incidents, alerts, pages and action items.

Every figure is computed by the database over the period's rows (window functions for the median and
the 90th percentile, LAG for recurrences); Python only receives one row per group. Drill incidents
(and their pages) are practice and never counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.actionitems.tables import ActionItemRow
from firebell.alerts.tables import AlertDayRow, AlertRow
from firebell.catalog.tables import ServiceRow
from firebell.identity.tables import UserRow
from firebell.incidents.tables import IncidentRow
from firebell.infra.sqltypes import UTCDateTime
from firebell.metrics import sql
from firebell.metrics.model import Metric, Ratio, Scope, Stat, percentile_ranks
from firebell.metrics.periods import Period
from firebell.metrics.sql import Bucket
from firebell.paging.tables import PageRow

_inc = IncidentRow.__table__
_alerts = AlertRow.__table__
_days = AlertDayRow.__table__
_svc = ServiceRow.__table__
_pages = PageRow.__table__
_items = ActionItemRow.__table__
_users = UserRow.__table__

Dim = Literal["all", "sev", "service", "team", "week", "month"]
ALL = ""  # the key of the single group when nothing is grouped


# --- scope -------------------------------------------------------------------------------------


def services(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(_svc.c.id, _svc.c.name, _svc.c.owner_team).order_by(_svc.c.name))
    return [{"id": r[0], "name": r[1], "team": r[2] or ""} for r in rows]


def service_names(conn: Connection) -> dict[str, str]:
    return {s["id"]: s["name"] for s in services(conn)}


def teams(conn: Connection) -> list[str]:
    rows = conn.execute(sa.select(sa.distinct(_svc.c.owner_team)).where(_svc.c.owner_team != ""))
    return sorted(str(r[0]) for r in rows)


def _scoped(column: Any, scope: Scope) -> list[sa.ColumnElement[bool]]:
    if scope.service_ids is None:
        return []
    return [column.in_(scope.service_ids)] if scope.service_ids else [sa.false()]


def _incidents_in(
    period: Period, scope: Scope, *, sev: bool = True, opened: Any = None, service: Any = None
) -> list[sa.ColumnElement[bool]]:
    opened = _inc.c.opened_at if opened is None else opened
    where = [opened >= period.start, opened < period.end, _inc.c.drill_id.is_(None)]
    where += _scoped(_inc.c.service_id if service is None else service, scope)
    if sev and scope.sev is not None:
        where.append(_inc.c.sev == scope.sev.value)
    return where


def _key(conn: Connection, dim: Dim, timestamp: Any) -> tuple[sa.ColumnElement[Any], bool]:
    """The grouping expression for `dim` and whether it needs the services join."""
    if dim == "sev":
        return _inc.c.sev, False
    if dim == "service":
        return sa.func.coalesce(_inc.c.service_id, ""), False
    if dim == "team":
        return sa.func.coalesce(_svc.c.owner_team, ""), True
    if dim in ("week", "month"):
        return sql.bucket(conn, timestamp, dim), False
    return sa.literal(ALL), False


def _source(needs_services: bool) -> Any:
    return _inc.outerjoin(_svc, _svc.c.id == _inc.c.service_id) if needs_services else _inc


# --- response times ----------------------------------------------------------------------------


SPANS = {
    Metric.MTTA: _inc.c.seconds_to_ack,
    Metric.MTTI: _inc.c.seconds_to_identify,
    Metric.MTTR: _inc.c.seconds_to_resolve,
}


def response_times(
    conn: Connection, metric: Metric, period: Period, scope: Scope, dim: Dim = "all", *, per_sev: bool = False
) -> dict[str, Stat]:
    """Count, mean, median and p90 (seconds) of one response time, per group, over the incidents
    opened in the period that have both ends of the span. With `per_sev`, groups are split by
    severity too and keyed `group|SEV-n`."""
    seconds = SPANS[metric]
    if sql.is_sqlite(conn) and dim in ("all", "sev") and not per_sev:
        return _by_rank(conn, seconds, period, scope, dim)
    key, join = _key(conn, dim, _inc.c.opened_at)
    if per_sev:
        key = key + "|" + _inc.c.sev
    if not sql.is_sqlite(conn):
        # PostgreSQL's ordered-set aggregates: percentile_cont(0.5) is the median as defined (the
        # mean of the middle two), percentile_disc(0.9) the nearest-rank 90th percentile.
        aggregated = (
            sa.select(key, *_distribution(seconds))
            .select_from(_source(join))
            .where(*_incidents_in(period, scope), seconds.is_not(None))
            .group_by(key)
        )
        return {str(row[0]): _stat(row[1:]) for row in _rows(conn, aggregated)}
    spans = (
        sa.select(key.label("k"), seconds.label("s"))
        .select_from(_source(join))
        .where(*_incidents_in(period, scope), seconds.is_not(None))
        .subquery("d")
    )
    ranked = sa.select(
        spans.c.k,
        spans.c.s,
        sa.func.row_number().over(partition_by=spans.c.k, order_by=spans.c.s).label("rn"),
        sa.func.count().over(partition_by=spans.c.k).label("n"),
    ).subquery("r")
    middle: sa.ColumnElement[bool] = sa.literal_column("r.rn IN ((r.n + 1) / 2, (r.n + 2) / 2)")
    upper: sa.ColumnElement[bool] = sa.literal_column("r.rn * 10 >= r.n * 9")
    query = sa.select(
        ranked.c.k,
        sa.func.max(ranked.c.n),
        sa.func.avg(ranked.c.s),
        sa.func.avg(sa.case((middle, ranked.c.s))),
        sa.func.min(sa.case((upper, ranked.c.s))),
    ).group_by(ranked.c.k)
    found: dict[str, Stat] = {}
    for k, n, mean, median, p90 in _rows(conn, query):
        found[str(k)] = Stat(int(n), _f(mean), _f(median), _f(p90))
    return found


def _distribution(seconds: Any) -> list[sa.ColumnElement[Any]]:
    return [
        sa.func.count(seconds),
        sa.func.avg(seconds),
        sa.func.percentile_cont(0.5).within_group(seconds),
        sa.func.percentile_disc(0.9).within_group(seconds),
    ]


def _stat(values: Sequence[Any]) -> Stat:
    n, mean, median, p90 = values
    return Stat(int(n), _f(mean), _f(median), _f(p90))


def response_summary(conn: Connection, period: Period, scope: Scope) -> dict[Metric, dict[str, Stat]]:
    """Each response time over all the scope's incidents (key ALL) and per severity."""
    if not sql.is_sqlite(conn):
        # One pass for all three, per severity and over all (the grouping set with no severity).
        columns = [c for m in SPANS for c in _distribution(SPANS[m])]
        query = (
            sa.select(_inc.c.sev, *columns)
            .where(*_incidents_in(period, scope))
            .group_by(sa.literal_column("GROUPING SETS ((incidents.sev), ())"))
        )
        summary: dict[Metric, dict[str, Stat]] = {m: {} for m in SPANS}
        for row in _rows(conn, query):
            key = ALL if row[0] is None else str(row[0])
            for index, metric in enumerate(SPANS):
                stat = _stat(row[1 + 4 * index : 5 + 4 * index])
                if stat.count:
                    summary[metric][key] = stat
        return summary
    # One pass for the counts and means of all three (the whole is the sum of the severities), then
    # the values at the wanted ranks.
    where = _walkable(conn, period, scope)
    columns = [c for m in SPANS for c in (sa.func.count(SPANS[m]), sa.func.avg(SPANS[m]))]
    in_period = _incidents_in(period, scope)  # counted through the covering index
    counted = _rows(conn, sa.select(_inc.c.sev, *columns).where(*in_period).group_by(_inc.c.sev))
    found: dict[Metric, dict[str, Stat]] = {m: {} for m in SPANS}
    for index, metric in enumerate(SPANS):
        groups = {str(row[0]): (int(row[1 + 2 * index]), row[2 + 2 * index]) for row in counted}
        total = sum(n for n, _ in groups.values())
        mean = sum(n * float(avg) for n, avg in groups.values() if n) / total if total else None
        seconds = SPANS[metric]
        for key, (n, avg) in [*groups.items(), (ALL, (total, mean))]:
            if n:
                group = [*where, seconds.is_not(None)] + ([_inc.c.sev == key] if key != ALL else [])
                found[metric][key] = _ranked(conn, seconds, group, n, avg)
    return found


def _walkable(conn: Connection, period: Period, scope: Scope) -> list[sa.ColumnElement[bool]]:
    """The period's incidents, said so that a long period is read through the span's own index."""
    if sql.is_sqlite(conn) and period.end - period.start > WALK_INDEX_AFTER:
        # `+column` keeps SQLite from choosing the opened_at range or a service's rows (and a sort
        # of them all) over the span's own index, which yields the values in order.
        return _incidents_in(
            period,
            scope,
            opened=sa.literal_column("+incidents.opened_at", UTCDateTime()),
            service=sa.literal_column("+incidents.service_id", sa.String()),
        )
    return _incidents_in(period, scope)


def _ranked(conn: Connection, seconds: Any, where: list[sa.ColumnElement[bool]], n: int, mean: Any) -> Stat:
    (low, high), upper = percentile_ranks(n)
    values: dict[int, float] = {}
    for rank, count in ((low, high - low + 1), (upper, 1)):
        if rank in values:
            continue
        query = sa.select(seconds).where(*where).order_by(seconds).limit(count).offset(rank - 1)
        fetched: list[Any] = list(conn.execute(query).scalars())
        for offset, value in enumerate(fetched):
            values[rank + offset] = float(value)
    return Stat(n, _f(mean), _f((values[low] + values[high]) / 2), _f(values[upper]))


def _by_rank(conn: Connection, seconds: Any, period: Period, scope: Scope, dim: Dim) -> dict[str, Stat]:
    """The same figures for a few groups, by fetching the values at the wanted ranks: both databases
    walk the span's own index (ix_incidents_<span>) in order and stop at the rank, rather than sort
    every value of a long period for a window function; for short periods they sort the few rows."""
    where = [*_walkable(conn, period, scope), seconds.is_not(None)]
    key = _inc.c.sev if dim == "sev" else sa.literal(ALL)
    in_period = [*_incidents_in(period, scope), seconds.is_not(None)]
    counted = sa.select(key, sa.func.count(), sa.func.avg(seconds)).where(*in_period).group_by(key)
    found: dict[str, Stat] = {}
    for k, n, mean in _rows(conn, counted):
        group = [*where, _inc.c.sev == k] if dim == "sev" else where
        found[str(k)] = _ranked(conn, seconds, group, int(n), mean)
    return found


# Beyond this, a period holds so many incidents that walking the span's index beats sorting them.
WALK_INDEX_AFTER = timedelta(days=120)


def _sum_of(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(query)]


def _f(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def trend_means(conn: Connection, period: Period, scope: Scope, bucket: Bucket) -> dict[tuple[str, str], list[Stat]]:
    """Per (bucket, severity), in one pass: incidents (as a Stat's count) and each response time's
    count and mean, in SPANS order."""
    key = sql.bucket(conn, _inc.c.opened_at, bucket)
    columns = [c for m in SPANS for c in (sa.func.count(SPANS[m]), sa.func.avg(SPANS[m]))]
    query = (
        sa.select(key, _inc.c.sev, sa.func.count(), *columns)
        .where(*_incidents_in(period, scope))
        .group_by(key, _inc.c.sev)
    )
    found: dict[tuple[str, str], list[Stat]] = {}
    for row in _rows(conn, query):
        stats = [Stat(int(row[2]), None, None, None)]
        stats += [Stat(int(row[3 + 2 * i]), _f(row[4 + 2 * i]), None, None) for i in range(len(SPANS))]
        found[(str(row[0]), str(row[1]))] = stats
    return found


@dataclass(frozen=True, slots=True)
class Counts:
    incidents: int = 0
    open: int = 0  # not resolved yet
    unacknowledged: int = 0  # resolved without anyone responding (auto-resolved, or ignored)


def incident_counts(conn: Connection, period: Period, scope: Scope, dim: Dim = "all") -> dict[str, Counts]:
    key, join = _key(conn, dim, _inc.c.opened_at)
    unanswered = sa.and_(_inc.c.seconds_to_ack.is_(None), _inc.c.resolved_at.is_not(None))
    query = (
        sa.select(
            key,
            sa.func.count(),
            _sum_of(_inc.c.resolved_at.is_(None)),
            _sum_of(unanswered),
        )
        .select_from(_source(join))
        .where(*_incidents_in(period, scope))
        .group_by(key)
    )
    return {str(k): Counts(int(n), int(o or 0), int(u or 0)) for k, n, o, u in _rows(conn, query)}


# --- recurrence --------------------------------------------------------------------------------


def recurrences(conn: Connection, period: Period, scope: Scope, dim: Dim = "all") -> dict[str, Ratio]:
    """Per group: incidents that recur (another incident of the service with the same key opened in
    the 90 days before; kept on the row as `recurs`) over the incidents with a key."""
    key, join = _key(conn, dim, _inc.c.opened_at)
    query = (
        sa.select(key, _sum_of(_inc.c.recurs), sa.func.count())
        .select_from(_source(join))
        .where(*_incidents_in(period, scope), _inc.c.recurrence_key != "")
        .group_by(key)
    )
    return {str(k): Ratio(int(part or 0), int(whole)) for k, part, whole in _rows(conn, query)}


def _in_period(column: Any, period: Period) -> list[sa.ColumnElement[bool]]:
    return [column >= period.start, column < period.end]


def recurring_problems(conn: Connection, period: Period, scope: Scope, limit: int = 10) -> list[dict[str, Any]]:
    """The problems that came back most often in the period: service, key, incidents, recurrences."""
    recurred = _sum_of(_inc.c.recurs)
    query = (
        sa.select(_svc.c.name, _inc.c.recurrence_key, sa.func.count(), recurred)
        .select_from(_inc.outerjoin(_svc, _svc.c.id == _inc.c.service_id))
        .where(*_incidents_in(period, scope), _inc.c.recurrence_key != "")
        .group_by(_svc.c.name, _inc.c.recurrence_key)
        .having(recurred > 0)
        .order_by(recurred.desc(), sa.func.count().desc(), _inc.c.recurrence_key)
        .limit(limit)
    )
    return [
        {"service": name or "", "key": key, "incidents": int(n), "recurrences": int(r or 0)}
        for name, key, n, r in _rows(conn, query)
    ]


# --- alerts ------------------------------------------------------------------------------------


def _alerts_in(period: Period, scope: Scope) -> list[sa.ColumnElement[bool]]:
    return [*_in_period(_alerts.c.first_seen_at, period), *_scoped(_alerts.c.service_id, scope)]


def alert_counts(conn: Connection, period: Period, scope: Scope, dim: Dim = "all") -> dict[str, Ratio]:
    """Per group: alerts marked "no action needed" over all alerts fired in the period. Whole UTC
    days are read from the daily counts; the part-days at either end from the alerts themselves."""
    first, last = _whole_days(period)
    found: dict[str, list[int]] = {}
    if first < last:
        _add(found, _day_counts(conn, first, last, scope, dim))
        edges = [Period(period.start, _midnight(first)), Period(_midnight(last), period.end)]
    else:
        edges = [period]
    for edge in edges:
        if edge.start < edge.end:
            _add(found, _fired_counts(conn, edge, scope, dim))
    return {k: Ratio(part, whole) for k, (part, whole) in found.items()}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _whole_days(period: Period) -> tuple[date, date]:
    """[first, last): the UTC days that lie wholly inside the period."""
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    first = start.date() if start == _midnight(start.date()) else start.date() + timedelta(days=1)
    return first, end.date()


def _add(found: dict[str, list[int]], rows: list[tuple[Any, ...]]) -> None:
    for key, part, whole in rows:
        entry = found.setdefault(str(key), [0, 0])
        entry[0] += int(part or 0)
        entry[1] += int(whole or 0)


def _day_counts(conn: Connection, first: date, last: date, scope: Scope, dim: Dim) -> list[tuple[Any, ...]]:
    source: Any = _days
    if dim == "team":
        key: Any = sa.func.coalesce(_svc.c.owner_team, "")
        source = _days.join(_svc, _svc.c.id == _days.c.service_id)
    elif dim == "service":
        key = _days.c.service_id
    elif dim in ("week", "month"):
        key = sql.date_bucket(conn, _days.c.day, dim)
    else:
        key = sa.literal(ALL)
    query = (
        sa.select(key, sa.func.sum(_days.c.no_action), sa.func.sum(_days.c.alerts))
        .select_from(source)
        .where(_days.c.day >= first, _days.c.day < last, *_scoped(_days.c.service_id, scope))
        .group_by(key)
    )
    return _rows(conn, query)


def _fired_counts(conn: Connection, period: Period, scope: Scope, dim: Dim) -> list[tuple[Any, ...]]:
    source: Any = _alerts
    if dim == "team":
        key: Any = sa.func.coalesce(_svc.c.owner_team, "")
        source = _alerts.join(_svc, _svc.c.id == _alerts.c.service_id)
    elif dim == "service":
        key = _alerts.c.service_id
    elif dim in ("week", "month"):
        key = sql.bucket(conn, _alerts.c.first_seen_at, dim)
    else:
        key = sa.literal(ALL)
    query = (
        sa.select(key, _sum_of(_alerts.c.verdict == "no_action"), sa.func.count())
        .select_from(source)
        .where(*_alerts_in(period, scope))
        .group_by(key)
    )
    return _rows(conn, query)


def alerts_by_name(conn: Connection, period: Period, scope: Scope) -> list[dict[str, Any]]:
    """Every (service, alert name) that fired in the period: how often, and how often it needed no
    action, noisiest first."""
    no_action = sa.func.sum(sa.case((_alerts.c.verdict == "no_action", 1), else_=0))
    judged = sa.func.count(_alerts.c.verdict)
    counted = (
        sa.select(
            _alerts.c.service_id,
            _alerts.c.name,
            sa.func.count().label("n"),
            no_action.label("no_action"),
            judged.label("judged"),
        )
        .where(*_alerts_in(period, scope))
        .group_by(_alerts.c.service_id, _alerts.c.name)
        .subquery("c")
    )
    query = (
        sa.select(_svc.c.name, counted.c.name, counted.c.n, counted.c.no_action, counted.c.judged)
        .select_from(counted.join(_svc, _svc.c.id == counted.c.service_id))
        .order_by(counted.c.n.desc(), _svc.c.name, counted.c.name)
    )
    return [
        {"service": s, "alert": a, "alerts": int(n), "no_action": int(na or 0), "judged": int(j or 0)}
        for s, a, n, na, j in _rows(conn, query)
    ]


def teams_in_scope(conn: Connection, scope: Scope) -> int:
    """On-call teams the scope's alerts go to: the owning teams of its services (a service without
    one counts as its own team)."""
    query = sa.select(
        sa.func.count(sa.distinct(sa.case((_svc.c.owner_team != "", _svc.c.owner_team), else_=_svc.c.id)))
    ).where(*_scoped(_svc.c.id, scope))
    return int(conn.execute(query).scalar_one() or 0)


# --- pages -------------------------------------------------------------------------------------


def _pages_in(period: Period, scope: Scope) -> list[sa.ColumnElement[bool]]:
    """Pages in the period whose incident is in scope; drills' pages never count. A semi-join
    rather than a join: the pages are read from their own index."""
    where = [*_in_period(_pages.c.paged_at, period)]
    if scope.service_ids is None and scope.sev is None:
        drills = sa.select(_inc.c.id).where(_inc.c.drill_id.is_not(None))
        where.append(_pages.c.incident_id.not_in(drills))
        return where
    wanted = sa.select(_inc.c.id).where(_inc.c.drill_id.is_(None), *_scoped(_inc.c.service_id, scope))
    if scope.sev is not None:
        wanted = wanted.where(_inc.c.sev == scope.sev.value)
    where.append(_pages.c.incident_id.in_(wanted))
    return where


def load_by_person(conn: Connection, period: Period, scope: Scope) -> list[dict[str, Any]]:
    """Per person paged in the period: pages, after-hours pages, incidents, and hours interrupted
    (distinct clock hours with at least one page)."""
    after = sa.func.sum(sa.case((_pages.c.after_hours, 1), else_=0))
    paged = (
        sa.select(
            _pages.c.user_id,
            sa.func.count().label("pages"),
            after.label("after_hours"),
            sa.func.count(sa.distinct(_pages.c.incident_id)).label("incidents"),
            sa.func.count(sa.distinct(sql.hour(conn, _pages.c.paged_at))).label("hours"),
        )
        .where(*_pages_in(period, scope))
        .group_by(_pages.c.user_id)
        .subquery("p")
    )
    query = (
        sa.select(
            paged.c.user_id,
            _users.c.display_name,
            _users.c.handle,
            _users.c.timezone,
            paged.c.pages,
            paged.c.after_hours,
            paged.c.incidents,
            paged.c.hours,
        )
        .select_from(paged.join(_users, _users.c.id == paged.c.user_id))
        .order_by(paged.c.pages.desc(), _users.c.display_name)
    )
    return [
        {
            "user_id": uid,
            "name": name or handle or uid,
            "handle": handle or "",
            "timezone": zone,
            "pages": int(p),
            "after_hours": int(a or 0),
            "incidents": int(i),
            "hours_interrupted": int(h),
        }
        for uid, name, handle, zone, p, a, i, h in _rows(conn, query)
    ]


def pages_by_person(conn: Connection, period: Period, scope: Scope) -> list[dict[str, Any]]:
    """Per person paged in the period: pages and after-hours pages (the light half of
    `load_by_person`, read from the pages' own index)."""
    paged = (
        sa.select(
            _pages.c.user_id,
            sa.func.count().label("pages"),
            _sum_of(_pages.c.after_hours).label("after_hours"),
        )
        .where(*_pages_in(period, scope))
        .group_by(_pages.c.user_id)
        .subquery("p")
    )
    query = sa.select(
        paged.c.user_id, _users.c.display_name, _users.c.handle, paged.c.pages, paged.c.after_hours
    ).select_from(paged.join(_users, _users.c.id == paged.c.user_id))
    return [
        {"user_id": uid, "name": name or handle or uid, "pages": int(p), "after_hours": int(a or 0)}
        for uid, name, handle, p, a in _rows(conn, query)
    ]


def after_hours_by(conn: Connection, period: Period, scope: Scope, dim: Dim) -> dict[str, tuple[int, int]]:
    """Per time bucket: (after-hours pages, distinct people paged)."""
    key = sql.bucket(conn, _pages.c.paged_at, "month" if dim == "month" else "week")
    query = (
        sa.select(
            key,
            sa.func.sum(sa.case((_pages.c.after_hours, 1), else_=0)),
            sa.func.count(sa.distinct(_pages.c.user_id)),
        )
        .where(*_pages_in(period, scope))
        .group_by(key)
    )
    return {str(k): (int(a or 0), int(p)) for k, a, p in _rows(conn, query)}


def pages_during(conn: Connection, shifts: Sequence[tuple[str, datetime, datetime]], scope: Scope) -> list[int]:
    """Pages each (user, start, end) shift's person received during it, in the order given."""
    if not shifts:
        return []
    counts: list[int] = []
    for user_id, start, end in shifts:
        query = sa.select(sa.func.count()).where(_pages.c.user_id == user_id, *_pages_in(Period(start, end), scope))
        counts.append(int(conn.execute(query).scalar_one()))
    return counts


# --- action items ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemCounts:
    due: int = 0  # done, or past their due date
    on_time: int = 0
    late: int = 0
    overdue: int = 0


def action_items(
    conn: Connection, period: Period, scope: Scope, today: date, dim: Dim = "all"
) -> dict[str, ItemCounts]:
    """Action items due in the period (their incident in scope), as `actionitems.model.completion`
    counts them: done on or before the due date, done late, or still open past it. Items dropped as
    won't-do and items not yet due are left out."""
    done = _items.c.status == "done"
    on_time = sa.and_(
        done, _items.c.completed_at.is_not(None), sql.day(conn, _items.c.completed_at) <= _items.c.due_date
    )
    late = sa.and_(done, _items.c.completed_at.is_not(None), sql.day(conn, _items.c.completed_at) > _items.c.due_date)
    overdue = sa.and_(_items.c.status.in_(("open", "in_progress")), _items.c.due_date < today)
    if dim == "team":
        key: Any = sa.func.coalesce(_svc.c.owner_team, "")
    elif dim == "service":
        key = sa.func.coalesce(_inc.c.service_id, "")
    elif dim in ("week", "month"):
        key = sa.func.substr(sa.cast(_items.c.due_date, sa.String), 1, 7) if dim == "month" else sa.literal(ALL)
    else:
        key = sa.literal(ALL)
    where = [
        _items.c.due_date >= period.start.date(),
        _items.c.due_date < _day_after(period.end),
        _inc.c.drill_id.is_(None),
        *_scoped(_inc.c.service_id, scope),
    ]
    if scope.sev is not None:
        where.append(_inc.c.sev == scope.sev.value)
    query = (
        sa.select(key, _sum_of(on_time), _sum_of(late), _sum_of(overdue))
        .select_from(
            _items.join(_inc, _inc.c.id == _items.c.incident_id).outerjoin(_svc, _svc.c.id == _inc.c.service_id)
        )
        .where(*where)
        .group_by(key)
    )
    found: dict[str, ItemCounts] = {}
    for k, ok, lt, od in _rows(conn, query):
        ok, lt, od = int(ok or 0), int(lt or 0), int(od or 0)
        found[str(k)] = ItemCounts(ok + lt + od, ok, lt, od)
    return found


def _day_after(end: datetime) -> date:
    """The first date not in a period ending at `end` (a date column compares whole days)."""
    return end.date() if end.time() == datetime.min.time() else end.date() + timedelta(days=1)


# --- listings for the reports ------------------------------------------------------------------


def incidents_of(conn: Connection, period: Period, scope: Scope, limit: int = 500) -> list[dict[str, Any]]:
    """The period's incidents, oldest first, with their response times in seconds."""
    query = (
        sa.select(
            _inc.c.number,
            _inc.c.title,
            _inc.c.sev,
            _inc.c.status,
            _svc.c.name,
            _inc.c.opened_at,
            _inc.c.seconds_to_ack,
            _inc.c.seconds_to_identify,
            _inc.c.seconds_to_resolve,
        )
        .select_from(_inc.outerjoin(_svc, _svc.c.id == _inc.c.service_id))
        .where(*_incidents_in(period, scope))
        .order_by(_inc.c.opened_at)
        .limit(limit)
    )
    return [
        {
            "number": int(n),
            "title": t,
            "sev": s,
            "status": st,
            "service": svc or "",
            "opened_at": o,
            "tta": _f(a),
            "tti": _f(i),
            "ttr": _f(r),
        }
        for n, t, s, st, svc, o, a, i, r in _rows(conn, query)
    ]


# --- Prometheus --------------------------------------------------------------------------------


def histogram(
    conn: Connection, metric: Metric, period: Period, buckets: Sequence[float]
) -> list[tuple[str, str, list[int], int, float]]:
    """Per (service name, severity): how many spans were at most each bucket's bound, the count and
    the sum in seconds, over the incidents opened in the period."""
    seconds = SPANS[metric]
    spans = (
        sa.select(sa.func.coalesce(_svc.c.name, "").label("service"), _inc.c.sev.label("sev"), seconds.label("s"))
        .select_from(_inc.outerjoin(_svc, _svc.c.id == _inc.c.service_id))
        .where(*_incidents_in(period, Scope()), seconds.is_not(None))
        .subquery("d")
    )
    columns = [_sum_of(spans.c.s <= bound) for bound in buckets]
    query = sa.select(
        spans.c.service, spans.c.sev, *columns, sa.func.count(), sa.func.coalesce(sa.func.sum(spans.c.s), 0)
    ).group_by(spans.c.service, spans.c.sev)
    found = []
    for row in _rows(conn, query):
        service, sev, *counts, n, total = row
        found.append((str(service), str(sev), [int(c or 0) for c in counts], int(n), round(float(total), 3)))
    return found


def open_incidents(conn: Connection) -> list[tuple[str, str, int]]:
    """Incidents open now, per service name and severity (drills left out)."""
    name = sa.func.coalesce(_svc.c.name, "")
    query = (
        sa.select(name, _inc.c.sev, sa.func.count())
        .select_from(_inc.outerjoin(_svc, _svc.c.id == _inc.c.service_id))
        .where(_inc.c.status.not_in(("resolved", "closed")), _inc.c.drill_id.is_(None))
        .group_by(name, _inc.c.sev)
    )
    return [(str(s), str(v), int(n)) for s, v, n in _rows(conn, query)]
