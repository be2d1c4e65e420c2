"""The metrics a team lead reads: the scorecard, a breakdown by service, team or severity, and the
trends. Reads only; every figure comes from `queries` and is judged by `scorecard`."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy.engine import Connection

from firebell.kernel.errors import ValidationFailed
from firebell.kernel.severity import Sev
from firebell.metrics import queries, scorecard
from firebell.metrics.model import DEFINITIONS, RESPONSE_TIMES, Metric, Ratio, Scope, Stat
from firebell.metrics.periods import Period
from firebell.metrics.sql import Bucket
from firebell.runbooks.queries import catalog_coverage

Breakdown = Literal["service", "team", "severity"]


def resolve_scope(conn: Connection, *, service: str | None, team: str | None, sev: str | None) -> Scope:
    """The scope named by a service (name), a team (a services' owning team) and a severity."""
    known = queries.services(conn)
    ids: tuple[str, ...] | None = None
    words: list[str] = []
    if service:
        found = [s for s in known if s["name"] == service.strip() or s["id"] == service.strip()]
        if not found:
            raise ValidationFailed.field("service", f"no service named {service!r}")
        ids = (found[0]["id"],)
        words.append(f"service {found[0]['name']}")
    if team:
        members = tuple(s["id"] for s in known if s["team"].lower() == team.strip().lower())
        if not members:
            raise ValidationFailed.field("team", f"no service is owned by a team named {team!r}")
        ids = tuple(i for i in ids if i in members) if ids is not None else members
        words.append(f"team {team.strip()}")
    level = None
    if sev:
        try:
            level = Sev.parse(sev)
        except ValueError as error:
            raise ValidationFailed.field("sev", str(error)) from None
        words.append(level.value)
    return Scope(ids, level, ", ".join(words) or "all services")


def scope_json(scope: Scope, names: dict[str, str]) -> dict[str, Any]:
    """The scope as the answers say it; `names` maps service ids to names."""
    return {
        "label": scope.label,
        "services": None if scope.service_ids is None else [names.get(i, i) for i in scope.service_ids],
        "sev": scope.sev.value if scope.sev else None,
    }


def period_json(period: Period) -> dict[str, Any]:
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "label": period.label(),
        "weeks": round(period.weeks, 2),
    }


def scorecard_of(
    conn: Connection, period: Period, scope: Scope, *, today: date, stale_after_days: int
) -> dict[str, Any]:
    """Every metric over the period and scope, each against its target."""
    figures: list[dict[str, Any]] = []
    names = queries.service_names(conn)
    summary = queries.response_summary(conn, period, scope)
    for metric in RESPONSE_TIMES:
        stats = summary[metric]
        figures.append(scorecard.response_time(metric, stats.get(queries.ALL, Stat.empty()), stats))
    counts = queries.incident_counts(conn, period, scope).get(queries.ALL, queries.Counts())
    per_service = {k: c.incidents for k, c in queries.incident_counts(conn, period, scope, "service").items()}
    for service_id in scope.service_ids or list(names):
        per_service.setdefault(service_id, 0)
    per_service.pop("", None)
    figures.append(scorecard.mtbf(period, counts.incidents, per_service))
    recurrence = queries.recurrences(conn, period, scope).get(queries.ALL, Ratio(0, 0))
    figures.append(scorecard.ratio(Metric.RECURRENCE, recurrence, "recurring", "incidents"))
    items = queries.action_items(conn, period, scope, today).get(queries.ALL, queries.ItemCounts())
    figures.append(
        scorecard.ratio(
            Metric.ACTION_ITEMS,
            Ratio(items.on_time, items.due),
            "on_time",
            "due",
            late=items.late,
            overdue=items.overdue,
        )
    )
    figures.append(_coverage(conn, scope, names, today, stale_after_days))
    alerts = queries.alert_counts(conn, period, scope).get(queries.ALL, Ratio(0, 0))
    teams = queries.teams_in_scope(conn, scope)
    figures.append(
        scorecard.per_week(Metric.ALERT_VOLUME, alerts.whole, period.weeks, teams, alerts=alerts.whole, teams=teams)
    )
    figures.append(scorecard.ratio(Metric.FALSE_POSITIVES, alerts, "no_action", "alerts"))
    figures.append(_after_hours(conn, period, scope))
    return {
        "period": period_json(period),
        "scope": scope_json(scope, names),
        "incidents": {"opened": counts.incidents, "open": counts.open, "unacknowledged": counts.unacknowledged},
        "metrics": figures,
    }


def _coverage(
    conn: Connection, scope: Scope, names: dict[str, str], today: date, stale_after_days: int
) -> dict[str, Any]:
    found = catalog_coverage(conn, today=today, stale_after_days=stale_after_days)
    wanted = None if scope.service_ids is None else {names[i] for i in scope.service_ids if i in names}
    rows = [s for s in found.services if wanted is None or s.service in wanted]
    covered = sum(1 for s in rows if s.state.value in ("passing", "failing"))
    return scorecard.ratio(
        Metric.RUNBOOK_COVERAGE,
        Ratio(covered, len(rows)),
        "covered",
        "services",
        lacking=[{"service": s.service, "state": s.state.value} for s in rows if s.state.value in ("missing", "stale")],
    )


def _after_hours(conn: Connection, period: Period, scope: Scope) -> dict[str, Any]:
    people = queries.pages_by_person(conn, period, scope)
    weeks = period.weeks
    busiest = max(people, key=lambda p: (p["after_hours"], p["pages"], p["name"]), default=None)
    value = busiest["after_hours"] / weeks if busiest and weeks > 0 else (0.0 if weeks > 0 else None)
    total = sum(p["after_hours"] for p in people)
    return scorecard.judged(
        Metric.AFTER_HOURS,
        value,
        after_hours_pages=total,
        people_paged=len(people),
        mean_per_person=round(total / len(people) / weeks, 2) if people and weeks > 0 else None,
        busiest=busiest["name"] if busiest else None,
    )


def breakdown_of(conn: Connection, period: Period, scope: Scope, by: Breakdown, *, today: date) -> dict[str, Any]:
    """The main figures per service, team or severity, each row judged where a target applies."""
    dim: queries.Dim = "sev" if by == "severity" else by
    times = {m: queries.response_times(conn, m, period, scope, dim) for m in RESPONSE_TIMES}
    counts = queries.incident_counts(conn, period, scope, dim)
    recurrence = queries.recurrences(conn, period, scope, dim)
    items = queries.action_items(conn, period, scope, today, dim)
    alerts = queries.alert_counts(conn, period, scope, dim) if by != "severity" else {}
    names = queries.service_names(conn)
    keys = set(counts) | set(alerts)
    if by == "service":
        keys |= set(scope.service_ids or names)
    elif by == "severity":
        keys |= {s.value for s in Sev}
    rows = []
    for key in keys:
        row_counts = counts.get(key, queries.Counts())
        label = names.get(key, key) if by == "service" else (key or "(no team)" if by == "team" else key)
        sev = Sev(key) if by == "severity" else None
        row: dict[str, Any] = {"key": key, "label": label, "incidents": row_counts.incidents, "open": row_counts.open}
        for metric, found in times.items():
            stat = found.get(key, Stat.empty())
            target = DEFINITIONS[metric].target_for(sev)
            row[metric.value] = {
                **scorecard.stat_json(stat),
                "verdict": (target.judge(stat.mean).value if target else None),
            }
        hours = period.hours
        mtbf = hours / row_counts.incidents if row_counts.incidents else hours
        mtbf_target = DEFINITIONS[Metric.MTBF].target
        row["mtbf_hours"] = {
            "value": round(mtbf, 1),
            "verdict": mtbf_target.judge(mtbf).value if mtbf_target else None,
        }
        rec = recurrence.get(key, Ratio(0, 0))
        row["recurrence"] = _ratio_json(Metric.RECURRENCE, rec)
        done = items.get(key, queries.ItemCounts())
        row["action_items"] = _ratio_json(Metric.ACTION_ITEMS, Ratio(done.on_time, done.due))
        if by != "severity":
            counted = alerts.get(key, Ratio(0, 0))
            row["alerts"] = counted.whole
            row["alerts_per_week"] = round(counted.whole / period.weeks, 2) if period.weeks > 0 else None
            row["false_positives"] = _ratio_json(Metric.FALSE_POSITIVES, counted)
        rows.append(row)
    rows.sort(key=lambda r: (r["key"] if by == "severity" else "", -r["incidents"], str(r["label"])))
    return {"period": period_json(period), "scope": scope_json(scope, names), "by": by, "rows": rows}


def _ratio_json(metric: Metric, found: Ratio) -> dict[str, Any]:
    target = DEFINITIONS[metric].target
    return {
        "part": found.part,
        "whole": found.whole,
        "percent": found.percent,
        "verdict": target.judge(found.percent).value if target else None,
    }


def trends_of(conn: Connection, period: Period, scope: Scope, bucket: Bucket) -> dict[str, Any]:
    """Per week or month: incidents, the mean response times (all, SEV-1, SEV-2), alerts, false
    positives and after-hours pages, for the trend charts (medians and p90 are in the scorecard
    and the breakdowns)."""
    means = queries.trend_means(conn, period, scope, bucket)
    alerts = queries.alert_counts(conn, period, scope, bucket)
    after = queries.after_hours_by(conn, period, scope, bucket)
    keys = sorted({b for b, _sev in means} | set(alerts) | set(after))
    rows = []
    for key in keys:
        per_sev = {sev: found for (b, sev), found in means.items() if b == key}
        row: dict[str, Any] = {"bucket": key, "incidents": sum(found[0].count for found in per_sev.values())}
        for index, metric in enumerate(queries.SPANS, start=1):
            parts = [found[index] for found in per_sev.values() if found[index].count]
            n = sum(p.count for p in parts)
            mean = sum(p.count * (p.mean or 0.0) for p in parts) / n if n else None
            row[metric.value] = scorecard.stat_json(Stat(n, None if mean is None else round(mean, 3), None, None))
            for sev in (Sev.SEV1, Sev.SEV2):
                found = per_sev.get(sev.value)
                row[metric.value][sev.value] = found[index].mean if found and found[index].count else None
        counted = alerts.get(key, Ratio(0, 0))
        row["alerts"] = counted.whole
        row["false_positive_percent"] = counted.percent
        pages, people = after.get(key, (0, 0))
        row["after_hours_pages"] = pages
        row["after_hours_per_person"] = round(pages / people, 2) if people else None
        rows.append(row)
    scope_shown = scope_json(scope, queries.service_names(conn))
    return {"period": period_json(period), "scope": scope_shown, "bucket": bucket, "rows": rows}
