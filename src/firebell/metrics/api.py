"""The metrics API: the scorecard, breakdowns, trends, the weekly and monthly reports, and exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.engine import Connection

from firebell.bootstrap import Container
from firebell.metrics import compute, export, periods, reports
from firebell.metrics.model import DEFINITIONS
from firebell.web.deps import ContainerDep, ReadConn, Reader

router = APIRouter(prefix="/api/v1", tags=["metrics"])

From = Annotated[str | None, Query(alias="from", description="start: a date (YYYY-MM-DD) or an ISO datetime")]
To = Annotated[str | None, Query(description="end: a date (included whole) or an ISO datetime; default now")]
Service = Annotated[str | None, Query(description="only this service (its name)")]
Team = Annotated[str | None, Query(description="only the services this team owns")]
SevQ = Annotated[str | None, Query(description="only this severity (SEV-1..SEV-4)")]
Format = Annotated[Literal["json", "csv"], Query(description="json or csv")]

TREND_DAYS = {"week": 26 * 7, "month": 366}


def _scope(conn: Connection, service: str | None, team: str | None, sev: str | None) -> Any:
    return compute.resolve_scope(conn, service=service, team=team, sev=sev)


def _stale(container: Container) -> int:
    return container.settings.runbooks.stale_after_days


def _out(body: dict[str, Any], rows: list[dict[str, Any]], fmt: str, name: str) -> Any:
    if fmt == "csv":
        return PlainTextResponse(
            export.to_csv(rows),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    return JSONResponse(jsonable_encoder(body))


@router.get("/metrics/definitions", summary="What each metric measures, and its target")
def definitions(_caller: Reader) -> list[dict[str, Any]]:
    return [
        {
            "metric": d.metric.value,
            "title": d.title,
            "meaning": d.meaning,
            "unit": d.unit.value,
            "target": d.target.describe(d.unit) if d.target else None,
            "by_sev": {sev.value: t.describe(d.unit) for sev, t in d.by_sev.items()},
        }
        for d in DEFINITIONS.values()
    ]


@router.get("/metrics", summary="Every metric over a period, against its target")
def scorecard(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    start: From = None,
    to: To = None,
    service: Service = None,
    team: Team = None,
    sev: SevQ = None,
) -> Any:
    """By default the last 30 days of all services. Response times are judged per severity on the
    mean, with the median and 90th percentile beside it."""
    now = container.clock.now()
    period = periods.period(start, to, now)
    scope = _scope(conn, service, team, sev)
    return compute.scorecard_of(conn, period, scope, today=now.date(), stale_after_days=_stale(container))


@router.get("/metrics/export", summary="The scorecard as CSV or JSON rows")
def export_scorecard(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    start: From = None,
    to: To = None,
    service: Service = None,
    team: Team = None,
    sev: SevQ = None,
    format: Format = "csv",
) -> Any:
    now = container.clock.now()
    card = compute.scorecard_of(
        conn, periods.period(start, to, now), _scope(conn, service, team, sev), today=now.date(),
        stale_after_days=_stale(container),
    )  # fmt: skip
    rows = export.scorecard_rows(card)
    if format == "csv":
        return PlainTextResponse(
            export.to_csv(rows, export.SCORECARD_COLUMNS),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="firebell-metrics.csv"'},
        )
    return rows


@router.get("/metrics/breakdown", summary="The main figures per service, team or severity")
def breakdown(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    by: Annotated[Literal["service", "team", "severity"], Query(description="service, team or severity")] = "service",
    start: From = None,
    to: To = None,
    service: Service = None,
    team: Team = None,
    sev: SevQ = None,
    format: Format = "json",
) -> Any:
    now = container.clock.now()
    body = compute.breakdown_of(
        conn, periods.period(start, to, now), _scope(conn, service, team, sev), by, today=now.date()
    )
    return _out(body, export.report_rows(body), format, f"firebell-breakdown-{by}")


@router.get("/metrics/trends", summary="Response times, incidents and alerts per week or month")
def trends(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    bucket: Annotated[Literal["week", "month"], Query(description="week or month")] = "week",
    start: From = None,
    to: To = None,
    service: Service = None,
    team: Team = None,
    sev: SevQ = None,
    format: Format = "json",
) -> Any:
    """By default the last 26 weeks, or the last 12 months."""
    now = container.clock.now()
    period = periods.period(start, to, now, default_days=TREND_DAYS[bucket])
    body = compute.trends_of(conn, period, _scope(conn, service, team, sev), bucket)
    return _out(body, export.report_rows(body), format, f"firebell-trends-{bucket}")


@router.get("/reports/weekly", summary="The weekly alert-hygiene review")
def weekly(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    week: Annotated[str | None, Query(description="an ISO week (2026-W47) or a date in it; default last week")] = None,
    service: Service = None,
    team: Team = None,
    format: Format = "json",
) -> Any:
    now = container.clock.now()
    body = reports.weekly(
        conn, periods.week(week, now), _scope(conn, service, team, None), today=now.date(),
        stale_after_days=_stale(container),
    )  # fmt: skip
    return _out(body, export.report_rows(body), format, f"firebell-weekly-{body['period']['from'][:10]}")


@router.get("/reports/monthly", summary="The monthly incident retrospective")
def monthly(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    month: Annotated[str | None, Query(description="a month (2026-10); default last month")] = None,
    service: Service = None,
    team: Team = None,
    format: Format = "json",
) -> Any:
    now = container.clock.now()
    body = reports.monthly(
        conn, periods.month(month, now), _scope(conn, service, team, None), today=now.date(),
        stale_after_days=_stale(container),
    )  # fmt: skip
    return _out(body, export.report_rows(body), format, f"firebell-monthly-{body['period']['from'][:7]}")
