"""The weekly alert-hygiene review and the monthly incident retrospective, as the playbook's
continuous-improvement process runs them. Read-only: built from `queries` and `compute`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from firebell.kernel.severity import Sev
from firebell.metrics import compute, queries, scorecard
from firebell.metrics.model import DEFINITIONS, RESPONSE_TIMES, Metric, Ratio, Scope
from firebell.metrics.periods import Period, months_back
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import schedule_from_row

FLAG_ABOVE = 20.0  # percent of an alert's firings needing no action: tune it or remove it
NOISIEST = 10
TREND_MONTHS = 6


def flagged_alerts(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts that needed no action more than 20 % of the time, worst first, each with its advice."""
    found = []
    for row in rows:
        rate = Ratio(row["no_action"], row["alerts"]).percent
        if rate is not None and rate > FLAG_ABOVE:
            advice = "remove it" if rate >= 80 else "tune its threshold or routing"
            found.append({**row, "false_positive_percent": rate, "advice": advice})
    return sorted(found, key=lambda r: (-r["false_positive_percent"], -r["alerts"], r["service"], r["alert"]))


def weekly(conn: Connection, period: Period, scope: Scope, *, today: date, stale_after_days: int) -> dict[str, Any]:
    """The week's alert-hygiene review: alerts to tune or remove, the noisiest alerts, problems that
    keep coming back, and the on-call load per person, per shift and across each team."""
    by_name = queries.alerts_by_name(conn, period, scope)
    for row in by_name:
        row["false_positive_percent"] = Ratio(row["no_action"], row["alerts"]).percent
    card = compute.scorecard_of(conn, period, scope, today=today, stale_after_days=stale_after_days)
    figures = {f["metric"]: f for f in card["metrics"]}
    load = queries.load_by_person(conn, period, scope)
    return {
        "kind": "weekly",
        "title": f"Alert hygiene review, week of {period.start:%Y-%m-%d}",
        "period": card["period"],
        "scope": card["scope"],
        "summary": {
            "alerts": figures[Metric.FALSE_POSITIVES]["alerts"],
            "no_action": figures[Metric.FALSE_POSITIVES]["no_action"],
            "incidents": card["incidents"]["opened"],
            "pages": sum(p["pages"] for p in load),
            "after_hours_pages": sum(p["after_hours"] for p in load),
        },
        "targets": [figures[m] for m in (Metric.ALERT_VOLUME, Metric.FALSE_POSITIVES, Metric.AFTER_HOURS)],
        "flagged": flagged_alerts(by_name),
        "noisiest": by_name[:NOISIEST],
        "recurring": queries.recurring_problems(conn, period, scope),
        "load": load,
        "fairness": _fairness(conn, load),
        "shifts": _shifts(conn, period, scope),
    }


def _fairness(conn: Connection, load: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rotation (each schedule's participants) and per team with members: how evenly the
    period's pages fell on its people; a member who was not paged counts as 0."""
    pages = {p["user_id"]: p["pages"] for p in load}
    oncall = SqlOncallRepo(conn)
    groups: list[tuple[str, str, list[str]]] = []
    for row in oncall.schedules():
        members = list(dict.fromkeys(str(u) for layer in row["layers"] for u in layer.get("participants", [])))
        groups.append(("rotation", str(row["name"]), members))
    for team in oncall.teams():
        groups.append(("team", str(team["name"]), oncall.team_members(str(team["id"]))))
    found = []
    for kind, name, members in groups:
        if not members:
            continue
        names = {str(u["id"]): str(u.get("display_name") or u.get("handle") or u["id"]) for u in oncall.users(members)}
        found.append(
            {
                "group": name,
                "kind": kind,
                **scorecard.fairness([pages.get(m, 0) for m in members]),
                "members": [{"name": names.get(m, m), "pages": pages.get(m, 0)} for m in members],
            }
        )
    return found


def _shifts(conn: Connection, period: Period, scope: Scope) -> list[dict[str, Any]]:
    """Each schedule's shifts in the period, with the pages the person on call received during them."""
    oncall = SqlOncallRepo(conn)
    found = []
    for row in oncall.schedules():
        schedule = schedule_from_row(row, oncall.overrides(str(row["id"])))
        shifts = [s for s in schedule.final_shifts(period.start, period.end) if s.user is not None]
        counts = queries.pages_during(conn, [(str(s.user), s.start, s.end) for s in shifts], scope)
        people = {str(u["id"]): u for u in oncall.users(sorted({str(s.user) for s in shifts}))}
        rows: list[dict[str, Any]] = [
            {
                "person": str(people.get(str(s.user), {}).get("display_name") or s.user),
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "pages": n,
            }
            for s, n in zip(shifts, counts, strict=True)
        ]
        found.append(
            {
                "schedule": row["name"],
                "shifts": rows,
                "most_pages": max((r["pages"] for r in rows), default=0),
                "over_target": [r for r in rows if r["pages"] >= 20],
            }
        )
    return found


def monthly(conn: Connection, period: Period, scope: Scope, *, today: date, stale_after_days: int) -> dict[str, Any]:
    """The month's retrospective: its incidents, the MTTA / MTTI / MTTR trend over six months,
    common causes, the services affected, and action-item completion."""
    card = compute.scorecard_of(conn, period, scope, today=today, stale_after_days=stale_after_days)
    figures = {f["metric"]: f for f in card["metrics"]}
    trend = compute.trends_of(conn, months_back(period, TREND_MONTHS), scope, "month")
    services = compute.breakdown_of(conn, period, scope, "service", today=today)
    by_sev = queries.incident_counts(conn, period, scope, "sev")
    incidents = queries.incidents_of(conn, period, scope)
    return {
        "kind": "monthly",
        "title": f"Incident retrospective, {period.start:%B %Y}",
        "period": card["period"],
        "scope": card["scope"],
        "summary": card["incidents"],
        "incidents": incidents,
        "by_severity": [
            {"sev": sev.value, "incidents": by_sev.get(sev.value, queries.Counts()).incidents} for sev in Sev
        ],
        "response_times": [figures[m] for m in RESPONSE_TIMES],
        "trend": [
            {"month": r["bucket"], "incidents": r["incidents"], **{m.value: r[m.value] for m in RESPONSE_TIMES}}
            for r in trend["rows"]
        ],
        "common_causes": queries.recurring_problems(conn, period, scope, limit=10) or _common_titles(incidents),
        "services": [
            {
                "service": r["label"],
                "incidents": r["incidents"],
                "mttr": r["mttr"]["mean"],
                "recurrence_percent": r["recurrence"]["percent"],
            }
            for r in services["rows"]
            if r["incidents"]
        ],
        "action_items": figures[Metric.ACTION_ITEMS],
        "targets": [figures[m] for m in DEFINITIONS],
    }


def _common_titles(incidents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without recurrences, the causes seen more than once this month (by service and title)."""
    seen: dict[tuple[str, str], int] = {}
    for row in incidents:
        key = (row["service"], str(row["title"]).split("] ", 1)[-1])
        seen[key] = seen.get(key, 0) + 1
    return [
        {"service": s, "key": t, "incidents": n, "recurrences": 0}
        for (s, t), n in sorted(seen.items(), key=lambda kv: -kv[1])
        if n > 1
    ][:10]
