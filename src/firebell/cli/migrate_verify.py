"""`firebell migrate verify opsgenie|pagerduty`: who is on call in the source tool and in Firebell, compared.

The source side is a vendor of firebell.migrate.timelines.VENDORS; Firebell's side is read
over its REST API: `GET /api/v1/oncall` (the schedules), `GET /api/v1/users` (ids to emails) and each
schedule's `GET /api/v1/schedules/{name}/shifts?from=&to=`. Exit 0 when they agree, 1 otherwise.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import typer

from firebell.cli.main import errors, fail, out
from firebell.cli.migrate import migrate_app

if TYPE_CHECKING:
    from firebell.cli.client import Api
    from firebell.migrate.timelines import Listed, Timelines
    from firebell.migrate.verify import Shift

FirebellUrl = Annotated[str, typer.Option("--firebell-url", envvar="FIREBELL_URL", help="Firebell's server URL")]
FirebellToken = Annotated[
    str,
    typer.Option("--firebell-token", envvar="FIREBELL_TOKEN", help="a Firebell API token (read)", show_default=False),
]


@migrate_app.command("verify")
def verify(
    source: Annotated[str, typer.Argument(help="the tool moved from: opsgenie, pagerduty or grafana-oncall")],
    api_url: Annotated[
        str, typer.Option(help="the tool's API (default: its public one; Grafana OnCall: required)", show_default=False)
    ] = "",
    api_key: Annotated[str, typer.Option(help="Opsgenie: an API key (or OPSGENIE_API_KEY)", show_default=False)] = "",
    token: Annotated[
        str,
        typer.Option(
            help="PagerDuty: a REST API key (or PAGERDUTY_TOKEN); Grafana OnCall: a token (or GRAFANA_ONCALL_TOKEN)",
            show_default=False,
        ),
    ] = "",
    weeks: Annotated[int, typer.Option(min=1, max=26, help="how many weeks ahead to compare")] = 4,
    start: Annotated[str, typer.Option(help="from this ISO 8601 instant with its offset (default: now)")] = "",
    schedule: Annotated[list[str] | None, typer.Option("--schedule", help="only this schedule (repeatable)")] = None,
    firebell_url: FirebellUrl = "",
    firebell_token: FirebellToken = "",
) -> None:
    """Before cutover: compare who is on call at every handoff in the source tool and in Firebell."""
    from firebell.migrate.timelines import VENDORS

    vendor = VENDORS.get(source.lower())
    if vendor is None:
        raise fail(f"no source named {source!r}: use one of {', '.join(sorted(VENDORS))}")
    secret = (api_key if vendor.option == "--api-key" else token) or os.environ.get(vendor.envvar, "")
    if not secret:
        raise fail(f"give {vendor.option} (or {vendor.envvar}) for {vendor.label}")
    url = api_url or vendor.api_url
    if not url:
        raise fail(f"give --api-url for {vendor.label}: the address of its API")
    _verify(vendor.connect(url, secret), url, _window(start, weeks), schedule, firebell_url, firebell_token)


def _window(start: str, weeks: int) -> tuple[datetime, datetime]:
    if not start:
        begin = datetime.now(UTC).replace(second=0, microsecond=0)
    else:
        try:
            begin = datetime.fromisoformat(start.strip().replace("Z", "+00:00"))
        except ValueError:
            raise fail(f"--start {start!r} is not an ISO 8601 instant, as in 2026-12-24T09:00:00+01:00") from None
        if begin.tzinfo is None:
            raise fail("give --start with its UTC offset, as in 2026-12-24T09:00:00+01:00")
    return begin, begin + timedelta(weeks=weeks)


def _verify(
    source: Timelines,
    api_url: str,
    window: tuple[datetime, datetime],
    only: list[str] | None,
    firebell_url: str,
    firebell_token: str,
) -> None:
    from firebell.cli.client import Api
    from firebell.migrate.http import ReadFailed
    from firebell.migrate.verify import compare, line, summary

    with errors():
        try:
            api = Api(firebell_url, firebell_token)
            listed = _chosen(source.schedules(), only, source.vendor)
            read = [(s, source.final_shifts(s, *window)) for s in listed]
        except ReadFailed as exc:
            raise fail(f"reading {source.vendor} at {api_url}: {exc}") from None
        finally:
            source.close()
        known = {str(row["schedule"]) for row in api.request("GET", "/api/v1/oncall")}
        emails = {str(u["id"]): str(u["email"]) for u in api.request("GET", "/api/v1/users")}
        checked = differences = 0
        for schedule, said in read:
            if schedule.name not in known:
                out.print(f"{schedule.name}: not in Firebell", markup=False, highlight=False)
                differences += 1
                continue
            zone, says = _firebell_shifts(api, schedule.name, window, emails)
            result = compare(said, says, *window)
            checked += result.handoffs
            differences += len(result.differences)
            for difference in result.differences:
                out.print(line(schedule.name, difference, zone, source.vendor), markup=False, highlight=False)
        out.print(summary(len(read), checked, differences), markup=False, highlight=False)
    if differences:
        raise typer.Exit(1)


def _chosen(listed: list[Listed], only: list[str] | None, vendor: str) -> list[Listed]:
    """The schedules asked for (all by default), by name; a name the source lacks is refused."""
    if not only:
        return sorted(listed, key=lambda s: s.name)
    names = {s.name: s for s in listed}
    for name in only:
        if name not in names:
            raise fail(f"no schedule named {name!r} in {vendor}")
    return [names[name] for name in dict.fromkeys(only)]


def _firebell_shifts(
    api: Api, name: str, window: tuple[datetime, datetime], emails: dict[str, str]
) -> tuple[ZoneInfo, list[Shift]]:
    """The schedule's zone and final shifts in Firebell, each with the person's email."""
    start, end = window
    view: dict[str, Any] = api.request(
        "GET",
        f"/api/v1/schedules/{quote(name, safe='')}/shifts",
        params={"from": start.isoformat(), "to": end.isoformat()},
    )
    shifts: list[Shift] = [
        (
            datetime.fromisoformat(s["start"]),
            datetime.fromisoformat(s["end"]),
            emails.get(str(s["user_id"]), s.get("handle")) if s.get("user_id") else None,
        )
        for s in view["shifts"]
    ]
    return ZoneInfo(str(view["zone"])), shifts
