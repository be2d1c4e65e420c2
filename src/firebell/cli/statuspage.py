"""The public status page from the command line (through a server's API): publish an incident's
status, list and set components, and show the page's overall state."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer

from firebell.cli.client import Api, ApiError
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, _emit, app, errors, out

status_app = typer.Typer(help="The public status page (through a server's API).", no_args_is_help=True)
component_app = typer.Typer(help="One status page component.", no_args_is_help=True)
app.add_typer(status_app, name="status")
status_app.add_typer(component_app, name="component")

STATES = "investigating, identified, monitoring or resolved"
COMPONENT_STATES = "operational, degraded_performance, partial_outage, major_outage or under_maintenance"


def _assignments(pairs: list[str]) -> dict[str, str]:
    """`NAME=STATUS` options as {name: status}."""
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, state = pair.rpartition("=")
        if not sep or not name.strip() or not state.strip():
            raise ValueError(f"--component {pair!r}: write NAME=STATUS, with STATUS one of {COMPONENT_STATES}")
        found[name.strip()] = state.strip()
    return found


@status_app.command("publish")
def publish(
    incident: Annotated[str, typer.Argument(help="the incident's number or id")],
    state: Annotated[str, typer.Option(help=STATES)],
    body: Annotated[str | None, typer.Option(help="the text published; default: the state's standard text")] = None,
    component: Annotated[list[str] | None, typer.Option(help="NAME=STATUS, e.g. API=major_outage (repeatable)")] = None,
    name: Annotated[str | None, typer.Option(help="the public title (never the internal one)")] = None,
    eta: Annotated[str | None, typer.Option(help="when a fix is expected, e.g. '15:30 UTC' (default text)")] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Publish an incident's status on the public page (the first time opens its public incident)."""
    with errors():
        payload: dict[str, Any] = {"state": state, "components": _assignments(component or [])}
        if body is not None:
            payload["body"] = body
        if name is not None:
            payload["name"] = name
        if eta is not None:
            payload["eta"] = eta
        path = f"/api/v1/incidents/{quote(incident, safe='')}/status-updates"
        public = Api(url, token).request("POST", path, json=payload)
    if as_json:
        print(json.dumps(public))
        return
    latest = public["updates"][0]
    out.print(f"status page: “{public['name']}” is {public['status']} ({public['impact']} impact)", markup=False)
    out.print(latest["body"], markup=False, highlight=False)


@status_app.command("components")
def components(url: UrlOpt = "http://127.0.0.1:8080", token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """The status page's components and the state set on each."""
    with errors():
        rows = Api(url, token).request("GET", "/api/v1/status-page/components")
    columns = [("name", "Name"), ("group", "Group"), ("status", "State"), ("updated_at", "Changed (UTC)")]
    _emit(rows, as_json, columns, "Status page components")


@component_app.command("set")
def component_set(
    name: Annotated[str, typer.Argument(help="the component's name")],
    state: Annotated[str, typer.Argument(help=COMPONENT_STATES)],
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
) -> None:
    """Set a component's state on the public page."""
    with errors():
        path = f"/api/v1/status-page/components/{quote(name, safe='')}/status"
        row = Api(url, token).request("PUT", path, json={"status": state})
    out.print(f"{row['name']}: {row['status']}", markup=False, highlight=False)


@status_app.command("show")
def show(url: UrlOpt = "http://127.0.0.1:8080", as_json: JsonOpt = False) -> None:
    """What the public page says now: the overall state, each component, open incidents (no token needed)."""
    with errors():
        summary = _public(url, "/api/v2/summary.json")
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    status = summary["status"]
    out.print(f"{summary['page']['name']}: {status['description']} ({status['indicator']})", markup=False)
    rows = [{"name": ("  " if c["group_id"] else "") + c["name"], "status": c["status"]} for c in summary["components"]]
    if rows:
        _emit(rows, False, [("name", "Component"), ("status", "State")], "Components")
    for incident in summary["incidents"]:
        out.print(f"incident: {incident['name']} ({incident['status']}, {incident['impact']})", markup=False)
    for maintenance in summary["scheduled_maintenances"]:
        window = f"{maintenance['scheduled_for']} to {maintenance['scheduled_until']}"
        out.print(f"maintenance: {maintenance['name']} ({maintenance['status']}) {window}", markup=False)


def _public(url: str, path: str) -> Any:
    if not url:
        raise ApiError("no server URL: pass --url or set FIREBELL_URL")
    try:
        response = httpx.get(url.rstrip("/") + path, timeout=30)
    except httpx.HTTPError as exc:
        raise ApiError(f"cannot reach {url}: {exc}") from exc
    if response.status_code >= 400:
        raise ApiError(f"HTTP {response.status_code}: {response.text[:200]}")
    return response.json()
