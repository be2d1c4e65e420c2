"""The metrics pages: the scorecard with trend charts and per-service bars, and the two reviews."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.engine import Connection

from firebell.kernel.charts import Bar, BarState, Series, Target, bar_chart, line_chart
from firebell.kernel.errors import DomainError
from firebell.kernel.scale import COUNT, PERCENT, SECONDS
from firebell.kernel.severity import Sev
from firebell.metrics import compute, periods, queries, reports
from firebell.metrics.model import DEFINITIONS, RESPONSE_TIMES, Metric, Scope
from firebell.metrics.periods import Period
from firebell.metrics.sql import Bucket
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import UserSession, render

router = APIRouter()

WEEKLY_UP_TO_DAYS = 190  # longer periods are charted by month
CHART_WIDTH = 580  # two side by side on a 1280-pixel screen
PHONE_CHART_WIDTH = 340  # drawn again for a phone's width, whose text a shrunk wide chart would make too small


def _both(wide: Markup, narrow: Markup) -> Markup:
    """Each drawing in its box; the stylesheet shows the one that fits the screen."""
    return Markup('<div class="chart-wide">{}</div><div class="chart-narrow">{}</div>').format(wide, narrow)


def _line(*, title: str, **options: Any) -> dict[str, Any]:
    drawn = (line_chart(title=title, width=width, **options) for width in (CHART_WIDTH, PHONE_CHART_WIDTH))
    return {"title": title, "svg": _both(*drawn)}


def _bar(*, title: str, **options: Any) -> dict[str, Any]:
    drawn = (bar_chart(title=title, width=width, **options) for width in (CHART_WIDTH, PHONE_CHART_WIDTH))
    return {"title": title, "svg": _both(*drawn)}


def _filters(conn: Connection, service: str, team: str, sev: str) -> tuple[Scope, str]:
    try:
        return compute.resolve_scope(conn, service=service or None, team=team or None, sev=sev or None), ""
    except DomainError as exc:
        return Scope(), exc.message


def _choices(conn: Connection) -> dict[str, Any]:
    return {"services": queries.services(conn), "teams": queries.teams(conn), "sevs": [s.value for s in Sev]}


def response_chart(metric: Metric, rows: Sequence[dict[str, Any]]) -> Any:
    """One response time per bucket: SEV-1, SEV-2 and all incidents, with the two targets."""
    definition = DEFINITIONS[metric]
    buckets = [r["bucket"] for r in rows]
    series = [Series(sev.value, tuple(r[metric.value][sev.value] for r in rows)) for sev in (Sev.SEV1, Sev.SEV2)] + [
        Series("all (mean)", tuple(r[metric.value]["mean"] for r in rows))
    ]
    targets = [Target(t.limit, f"{sev} target") for sev, t in definition.by_sev.items()]
    return _line(title=f"{definition.short} per {'week' if _weekly(buckets) else 'month'}", buckets=buckets,
                      series=series, unit=SECONDS, targets=targets)  # fmt: skip


def _weekly(buckets: Sequence[str]) -> bool:
    return bool(buckets) and len(buckets[0]) == 10


def _bars(rows: Sequence[dict[str, Any]], value: Any, verdict: Any = None) -> list[Bar]:
    bars = []
    for row in rows:
        state = verdict(row) if verdict else None
        bars.append(Bar(str(row["label"]), value(row), BarState(state) if state in ("met", "missed") else None))
    return bars


@router.get("/metrics-dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    conn: ReadConn,
    container: ContainerDep,
    session: UserSession,
    start: str = "",
    to: str = "",
    service: str = "",
    team: str = "",
    sev: str = "",
) -> Response:
    now = container.clock.now()
    scope, error = _filters(conn, service, team, sev)
    try:
        period = periods.period(start or None, to or None, now)
    except DomainError as exc:
        period, error = periods.period(None, None, now), "; ".join(filter(None, [error, exc.message]))
    card = compute.scorecard_of(
        conn, period, scope, today=now.date(), stale_after_days=container.settings.runbooks.stale_after_days
    )
    bucket: Bucket = "week" if (period.end - period.start).days <= WEEKLY_UP_TO_DAYS else "month"
    trend_period = (
        period if bucket == "month" or period.weeks >= 8 else Period(period.end - timedelta(weeks=12), period.end)
    )
    trend = compute.trends_of(conn, trend_period, scope, bucket)
    by_service = compute.breakdown_of(conn, period, scope, "service", today=now.date())
    rows = [r for r in by_service["rows"] if r["incidents"] or r.get("alerts")]
    charts = {
        "response": [response_chart(m, trend["rows"]) for m in RESPONSE_TIMES],
        "volume": _line(
            title=f"Incidents and alerts per {bucket}",
            buckets=[r["bucket"] for r in trend["rows"]],
            series=[
                Series("incidents", tuple(float(r["incidents"]) for r in trend["rows"])),
                Series("alerts", tuple(float(r["alerts"]) for r in trend["rows"])),
            ],
            unit=COUNT,
        ),
        "false_positives": _line(
            title=f"False-positive rate per {bucket}",
            buckets=[r["bucket"] for r in trend["rows"]],
            series=[Series("no action needed", tuple(r["false_positive_percent"] for r in trend["rows"]))],
            unit=PERCENT,
            targets=[Target(20, "target 20 %")],
        ),
        "incidents_by_service": _bar(
            title="Incidents per service",
            bars=_bars(rows, lambda r: float(r["incidents"]), lambda r: r["mtbf_hours"]["verdict"]),
            unit=COUNT,
        ),
        "mttr_by_service": _bar(
            title="MTTR (mean) per service", bars=_bars(rows, lambda r: r["mttr"]["mean"]), unit=SECONDS
        ),
        "fp_by_service": _bar(
            title="False positives per service",
            bars=_bars(rows, lambda r: r["false_positives"]["percent"], lambda r: r["false_positives"]["verdict"]),
            unit=PERCENT,
            target=Target(20, "target 20 %"),
        ),
    }
    return render(
        request,
        "metrics.html",
        session,
        card=card,
        charts=charts,
        services_rows=sorted(by_service["rows"], key=lambda r: (-r["incidents"], str(r["label"]))),
        filters={"start": start, "to": to, "service": service, "team": team, "sev": sev},
        error=error,
        bucket=bucket,
        **_choices(conn),
    )


@router.get("/metrics-dashboard/weekly", response_class=HTMLResponse)
def weekly_page(
    request: Request,
    conn: ReadConn,
    container: ContainerDep,
    session: UserSession,
    week: str = "",
    service: str = "",
    team: str = "",
) -> Response:
    now = container.clock.now()
    scope, error = _filters(conn, service, team, "")
    try:
        period = periods.week(week or None, now)
    except DomainError as exc:
        period, error = periods.week(None, now), exc.message
    report = reports.weekly(
        conn, period, scope, today=now.date(), stale_after_days=container.settings.runbooks.stale_after_days
    )
    noisy = _bar(
        title="Noisiest alerts (share needing no action)",
        bars=[
            Bar(f"{r['service']} · {r['alert']}", float(r["alerts"]),
                BarState.MISSED if (r["false_positive_percent"] or 0) > reports.FLAG_ABOVE else BarState.MET)
            for r in report["noisiest"]
        ],
        unit=COUNT,
    )  # fmt: skip
    load = _bar(
        title="Pages per person (after hours in red where over 5)",
        bars=[
            Bar(p["name"], float(p["pages"]), BarState.MISSED if p["after_hours"] >= 5 else BarState.MET)
            for p in report["load"]
        ],
        unit=COUNT,
    )
    previous = periods.week_label((period.start - timedelta(weeks=1)).date())
    following = periods.week_label((period.start + timedelta(weeks=1)).date())
    return render(
        request,
        "metrics_weekly.html",
        session,
        report=report,
        charts={"noisy": noisy, "load": load},
        week=periods.week_label(period.start.date()),
        previous=previous,
        following=following if period.end <= now else "",
        filters={"service": service, "team": team},
        error=error,
        **_choices(conn),
    )


@router.get("/metrics-dashboard/monthly", response_class=HTMLResponse)
def monthly_page(
    request: Request,
    conn: ReadConn,
    container: ContainerDep,
    session: UserSession,
    month: str = "",
    service: str = "",
    team: str = "",
) -> Response:
    now = container.clock.now()
    scope, error = _filters(conn, service, team, "")
    try:
        period = periods.month(month or None, now)
    except DomainError as exc:
        period, error = periods.month(None, now), exc.message
    report = reports.monthly(
        conn, period, scope, today=now.date(), stale_after_days=container.settings.runbooks.stale_after_days
    )
    charts = {
        "trend": _line(
            title="MTTA, MTTI and MTTR (means) by month",
            buckets=[r["month"] for r in report["trend"]],
            series=[
                Series(m.value.upper(), tuple(r[m.value]["mean"] for r in report["trend"])) for m in RESPONSE_TIMES
            ],
            unit=SECONDS,
        ),
        "services": _bar(
            title="Incidents per service",
            bars=[Bar(s["service"], float(s["incidents"])) for s in report["services"]],
            unit=COUNT,
        ),
    }
    first = period.start.date()
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = period.end.strftime("%Y-%m") if period.end <= now else ""
    return render(
        request,
        "metrics_monthly.html",
        session,
        report=report,
        charts=charts,
        month=first.strftime("%Y-%m"),
        previous=previous,
        following=following,
        filters={"service": service, "team": team},
        error=error,
        **_choices(conn),
    )
