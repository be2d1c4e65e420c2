"""`firebell severity`: each severity's response targets, read and set through a server's API."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, app, errors, out
from firebell.kernel.severity import Sev

severity_app = typer.Typer(help="Severities' response targets (through a server's API).", no_args_is_help=True)
app.add_typer(severity_app, name="severity")

URL = "http://127.0.0.1:8080"
Span = Annotated[str | None, typer.Option(help="a duration (15m, 2h, 1d), or none for no such target")]


@severity_app.command("list")
def list_severities(url: UrlOpt = URL, token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """Each severity's targets, one line each: the playbook's, with the site's changes over them."""
    with errors():
        rows = Api(url, token).request("GET", "/api/v1/severities")
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for row in rows:
        changed = f"  (changed: {', '.join(row['overrides'])})" if row["overrides"] else ""
        out.print(f"{row['sev']}: {row['summary']}{changed}", markup=False, highlight=False)


@severity_app.command("set")
def set_severity(
    sev: Annotated[str, typer.Argument(help="SEV-1..SEV-4 or P1..P4")],
    acknowledge: Annotated[str | None, typer.Option(help="a duration (15m, 2h, 1d)")] = None,
    assemble: Span = None,
    investigate: Span = None,
    update_every: Span = None,
    resolve: Span = None,
    postmortem: Annotated[str | None, typer.Option(help="required, optional or 'not needed'")] = None,
    postmortem_within: Span = None,
    business_hours: Annotated[
        bool | None, typer.Option("--business-hours/--around-the-clock", show_default=False)
    ] = None,
    reset: Annotated[bool, typer.Option(help="drop the changes made before: back to the playbook's")] = False,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Change a severity's targets (site admin); the changes made before stay unless --reset."""
    given: dict[str, Any] = {
        "acknowledge": acknowledge,
        "assemble": assemble,
        "investigate": investigate,
        "update_every": update_every,
        "resolve": resolve,
        "postmortem": postmortem,
        "postmortem_within": postmortem_within,
        "business_hours": business_hours,
    }
    with errors():
        name = Sev.parse(sev).value
        api = Api(url, token)
        current = next(r for r in api.request("GET", "/api/v1/severities") if r["sev"] == name)
        body = {} if reset else dict(current["overrides"])
        body.update({key: value for key, value in given.items() if value is not None})
        saved = api.request("PUT", f"/api/v1/severities/{quote(name, safe='')}", json=body)
    out.print(f"{saved['sev']}: {saved['summary']}", markup=False, highlight=False)
