"""Metrics and reports through a server's API: `firebell metrics`, `firebell report weekly|monthly`."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any
from urllib.parse import urlencode

import typer
from rich.table import Table

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, app, errors, fail, out
from firebell.metrics.model import Unit, format_value

URL = "http://127.0.0.1:8080"
report_app = typer.Typer(help="The weekly alert-hygiene review and the monthly retrospective.", no_args_is_help=True)
app.add_typer(report_app, name="report")

FromOpt = Annotated[
    str | None, typer.Option("--from", help="start: YYYY-MM-DD or an ISO datetime (default 30 days ago)")
]
ToOpt = Annotated[str | None, typer.Option("--to", help="end: YYYY-MM-DD (included) or an ISO datetime (default now)")]
ServiceOpt = Annotated[str | None, typer.Option("--service", help="only this service")]
TeamOpt = Annotated[str | None, typer.Option("--team", help="only the services this team owns")]
SevOpt = Annotated[str | None, typer.Option("--sev", help="only this severity (SEV-1..SEV-4)")]
FormatOpt = Annotated[str, typer.Option("--format", help="text, json or csv")]
MARK = {
    "met": "[green]met[/]",
    "missed": "[red]missed[/]",
    "no target": "[dim]no target[/]",
    "no data": "[dim]no data[/]",
}


def _query(**params: str | None) -> str:
    found = {k: v for k, v in params.items() if v}
    return ("?" + urlencode(found)) if found else ""


def _fmt(value: Any, unit: str) -> str:
    return format_value(value, Unit(unit)) if value is not None else "–"


@app.command("metrics")
def metrics(
    start: FromOpt = None,
    to: ToOpt = None,
    service: ServiceOpt = None,
    team: TeamOpt = None,
    sev: SevOpt = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV")] = False,
    url: UrlOpt = URL,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Every metric over a period against its target: MTTA, MTTI, MTTR (mean, median, p90 per
    severity), MTBF, recurrence, action items on time, runbook coverage, alert volume, false
    positives and after-hours pages."""
    query = _query(**{"from": start, "to": to, "service": service, "team": team, "sev": sev})
    with errors():
        api = Api(url, token)
        if as_csv:
            sys.stdout.write(api.text(f"/api/v1/metrics/export{query}"))
            return
        card = api.request("GET", f"/api/v1/metrics{query}")
    if as_json:
        sys.stdout.write(json.dumps(card, indent=2) + "\n")
        return
    print_scorecard(card)


def print_scorecard(card: dict[str, Any]) -> None:
    period, counts = card["period"], card["incidents"]
    title = f"{card['scope']['label']}, {period['label']} ({period['weeks']} weeks)"
    table = Table(title=title, header_style="bold")
    for name in ("metric", "value", "median", "p90", "n", "target", "verdict"):
        table.add_column(name, justify="right" if name in ("value", "median", "p90", "n") else "left")
    for figure in card["metrics"]:
        unit = figure["unit"]
        if "overall" in figure:
            overall = figure["overall"]
            table.add_row(
                figure["short"], _fmt(overall["mean"], unit), _fmt(overall["median"], unit),
                _fmt(overall["p90"], unit), str(overall["count"]), "", MARK[figure["verdict"]],
            )  # fmt: skip
            for row in figure["by_sev"]:
                if row["count"] or row["target"] is not None:
                    table.add_row(
                        f"  {row['sev']}", _fmt(row["mean"], unit), _fmt(row["median"], unit), _fmt(row["p90"], unit),
                        str(row["count"]), row["target_text"], MARK[row["verdict"]],
                    )  # fmt: skip
        else:
            table.add_row(
                figure["title"], figure["display"], "", "", "", figure["target_text"], MARK[figure["verdict"]]
            )
    out.print(table)
    out.print(
        f"{counts['opened']} incidents opened, {counts['open']} still open, "
        f"{counts['unacknowledged']} resolved without an acknowledgement",
        highlight=False,
    )


def _report(kind: str, params: dict[str, str | None], fmt: str, url: str, token: str) -> None:
    if fmt not in ("text", "json", "csv"):
        raise fail(f"--format: {fmt!r} is not one of text, json, csv")
    query = _query(**params)
    with errors():
        api = Api(url, token)
        if fmt == "csv":
            sep = "&" if query else "?"
            sys.stdout.write(api.text(f"/api/v1/reports/{kind}{query}{sep}format=csv"))
            return
        body = api.request("GET", f"/api/v1/reports/{kind}{query}")
    if fmt == "json":
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    out.print(f"[bold]{body['title']}[/] ({body['scope']['label']}, {body['period']['label']})")
    (print_weekly if kind == "weekly" else print_monthly)(body)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    if not rows:
        out.print(f"{title}: none", highlight=False)
        return
    table = Table(title=title, header_style="bold", title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    out.print(table)


def _targets(figures: list[dict[str, Any]]) -> None:
    _table(
        "Targets",
        ["metric", "value", "target", "verdict"],
        [[f["short"], f["display"], f["target_text"], MARK[f["verdict"]]] for f in figures],
    )


def print_weekly(body: dict[str, Any]) -> None:
    s = body["summary"]
    out.print(
        f"{s['alerts']} alerts ({s['no_action']} needed no action), {s['incidents']} incidents, "
        f"{s['pages']} pages ({s['after_hours_pages']} after hours)",
        highlight=False,
    )
    _targets(body["targets"])
    _table(
        "Tune or remove (more than 20 % needed no action)",
        ["service", "alert", "fired", "no action", "%", "advice"],
        [
            [r["service"], r["alert"], r["alerts"], r["no_action"], r["false_positive_percent"], r["advice"]]
            for r in body["flagged"]
        ],
    )
    _table(
        "Noisiest alerts",
        ["service", "alert", "fired", "no action", "%"],
        [
            [r["service"], r["alert"], r["alerts"], r["no_action"], r["false_positive_percent"]]
            for r in body["noisiest"]
        ],
    )
    _table(
        "Coming back (open a ticket)",
        ["service", "problem", "incidents", "recurrences"],
        [[r["service"], r["key"], r["incidents"], r["recurrences"]] for r in body["recurring"]],
    )
    _table(
        "On-call load",
        ["person", "pages", "after hours", "incidents", "hours interrupted"],
        [[p["name"], p["pages"], p["after_hours"], p["incidents"], p["hours_interrupted"]] for p in body["load"]],
    )
    _table(
        "Fairness across each rotation and team",
        ["rotation or team", "people", "pages", "busiest / even share", "gini"],
        [
            [f"{f['group']} ({f['kind']})", f["people"], f["pages"], f["busiest_over_even"] or "–", f["gini"] or "–"]
            for f in body["fairness"]
        ],
    )


def print_monthly(body: dict[str, Any]) -> None:
    s = body["summary"]
    out.print(f"{s['opened']} incidents, {s['open']} still open", highlight=False)
    _targets(body["targets"])
    _table(
        "Trend (means)",
        ["month", "incidents", "MTTA", "MTTI", "MTTR"],
        [
            [r["month"], r["incidents"], *(_fmt(r[m]["mean"], "seconds") for m in ("mtta", "mtti", "mttr"))]
            for r in body["trend"]
        ],
    )
    _table(
        "Common causes",
        ["service", "problem", "incidents", "recurrences"],
        [[c["service"], c["key"], c["incidents"], c["recurrences"]] for c in body["common_causes"]],
    )
    _table(
        "Services affected",
        ["service", "incidents", "MTTR", "recurrence %"],
        [
            [r["service"], r["incidents"], _fmt(r["mttr"], "seconds"), r["recurrence_percent"] or 0]
            for r in body["services"]
        ],
    )
    items = body["action_items"]
    out.print(
        f"Action items done on time: {items['display']} ({items['on_time']} of {items['due']} due)", highlight=False
    )
    _table(
        "Incidents",
        ["#", "sev", "service", "title", "MTTR"],
        [[i["number"], i["sev"], i["service"], i["title"], _fmt(i["ttr"], "seconds")] for i in body["incidents"]],
    )


@report_app.command("weekly")
def weekly(
    week: Annotated[str | None, typer.Option(help="an ISO week (2026-W47) or a date in it; default last week")] = None,
    service: ServiceOpt = None,
    team: TeamOpt = None,
    fmt: FormatOpt = "text",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Alerts to tune or remove, the noisiest alerts, recurring problems, on-call load and fairness."""
    _report("weekly", {"week": week, "service": service, "team": team}, fmt, url, token)


@report_app.command("monthly")
def monthly(
    month: Annotated[str | None, typer.Option(help="a month (2026-10); default last month")] = None,
    service: ServiceOpt = None,
    team: TeamOpt = None,
    fmt: FormatOpt = "text",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """The month's incidents, MTTA / MTTI / MTTR trends, common causes, services and action items."""
    _report("monthly", {"month": month, "service": service, "team": team}, fmt, url, token)
