"""Heartbeat monitors: create one (admin, on the database) and list them (through the API)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, _admin, _emit, app, errors, out, server_url

heartbeat_app = typer.Typer(help="Heartbeat monitors for jobs that must run.", no_args_is_help=True)
app.add_typer(heartbeat_app, name="heartbeat")


@heartbeat_app.command("create")
def create(
    name: str,
    service: Annotated[str, typer.Option(help="the service whose policy is paged when a ping is missed")],
    every: Annotated[str, typer.Option(help="how often the job pings: 90s, 5m, 1h, 1d")],
    grace: Annotated[str, typer.Option(help="how late a ping may be before the alert")] = "1m",
) -> None:
    """Create a heartbeat; its ping URL is printed alone on the last line (shown once)."""
    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.heartbeats import service as heartbeats
    from firebell.heartbeats.repo import SqlHeartbeatRepo
    from firebell.infra.settings import Settings
    from firebell.oncall.escalation import parse_duration

    with errors():
        interval, late = parse_duration(every), parse_duration(grace)

    def run(conn: Any, now: Any) -> tuple[str, str]:
        return heartbeats.create(
            catalog=SqlCatalogRepo(conn),
            repo=SqlHeartbeatRepo(conn),
            name=name,
            service=service,
            interval=interval,
            grace=late,
            now=now,
        )

    _id, key = _admin(run)
    out.print(f"heartbeat {name} created: have the job GET or POST this URL at least every {every}:")
    if not Settings().public_url:
        out.print("(the address is the CLI's server URL; set FIREBELL_PUBLIC_URL to how the job reaches the server)")
    print(f"{server_url()}/heartbeat/{key}")


@heartbeat_app.command("list")
def listing(url: UrlOpt = "http://127.0.0.1:8080", token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """Every heartbeat: its state, last ping and when the next one is due."""
    with errors():
        rows = Api(url, token).request("GET", "/api/v1/heartbeats")
    columns = [
        ("name", "Name"),
        ("service", "Service"),
        ("state", "State"),
        ("interval_seconds", "Every (s)"),
        ("last_ping_at", "Last ping (UTC)"),
        ("next_due_at", "Alert at (UTC)"),
    ]
    _emit(rows, as_json, columns, "Heartbeats")
