"""Incident commands beyond the listing: declare one by hand, move one to any state, and page more
people into one."""

from __future__ import annotations

import json
import sys
from typing import Annotated
from urllib.parse import quote

import typer

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, errors, fail, incident_app, out


@incident_app.command("declare")
def declare(
    title: Annotated[str, typer.Option(help="what is wrong, briefly; it becomes '[SEV-X] title'")],
    severity: Annotated[str, typer.Option(help="SEV-1..SEV-4 or P1..P4 (see `firebell classify`)")],
    service: Annotated[str | None, typer.Option(help="the main service: its escalation policy is paged")] = None,
    affects: Annotated[list[str] | None, typer.Option(help="another affected service (repeatable)")] = None,
    impact: Annotated[str, typer.Option(help="who or what is affected, in words")] = "",
    source: Annotated[str, typer.Option(help="user_report, support_ticket, monitoring or other")] = "user_report",
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
) -> None:
    """Declare an incident (a user report, a support ticket); its id is printed alone on the last line."""
    body = {
        "title": title,
        "severity": severity,
        "service": service,
        "affected_services": affects or [],
        "impact": impact,
        "source": source,
    }
    with errors():
        created = Api(url, token).request("POST", "/api/v1/incidents", json=body)
    out.print(f"declared #{created['number']} {created['title']}", markup=False, highlight=False)
    print(created["id"])


@incident_app.command("status")
def status(
    incident: str,
    state: Annotated[str, typer.Argument(help="acknowledged, investigating, identified, resolving, resolved, closed")],
    note: Annotated[str, typer.Option(help="a note for the timeline")] = "",
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
) -> None:
    """Move an incident (number or id) to a state of its lifecycle."""
    with errors():
        path = f"/api/v1/incidents/{quote(incident, safe='')}/status"
        moved = Api(url, token).request("POST", path, json={"status": state, "note": note})
    out.print(f"#{moved['number']} {moved['status']}: {moved['title']}", markup=False, highlight=False)


@incident_app.command("page")
def page(
    incident: Annotated[str, typer.Argument(help="the incident's number or id")],
    user: Annotated[list[str] | None, typer.Option(help="a person's handle or email (repeatable)")] = None,
    schedule: Annotated[list[str] | None, typer.Option(help="a schedule: whoever is on call now (repeatable)")] = None,
    team: Annotated[list[str] | None, typer.Option(help="a team: its responders and admins (repeatable)")] = None,
    message: Annotated[str, typer.Option(help="why they are needed; it is on their page")] = "",
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Page more people into an incident, each until they acknowledge; its escalation goes on."""
    if not (user or schedule or team):
        raise fail("say whom to page: --user, --schedule or --team")
    body = {"users": user or [], "schedules": schedule or [], "teams": team or [], "message": message}
    with errors():
        done = Api(url, token).request("POST", f"/api/v1/incidents/{quote(incident, safe='')}/responders", json=body)
    if as_json:
        sys.stdout.write(json.dumps(done, indent=2) + "\n")
        return
    paged = ", ".join(p["name"] + (f" ({p['via']})" if p["via"] else "") for p in done["paged"])
    out.print(f"#{done['number']} paged {paged}", markup=False, highlight=False)
    for skipped in done["skipped"]:
        out.print(f"skipped: {skipped['name']} {skipped['reason']}", markup=False, highlight=False)
