"""Responder commands for paging: acknowledge, resolve, reassign, the page preview, the delivery log."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, LimitOpt, TokenOpt, UrlOpt, _emit, app, errors, fail, out

page_app = typer.Typer(help="Paging (through a server's API).", no_args_is_help=True)
app.add_typer(page_app, name="page")

NoteOpt = Annotated[str, typer.Option(help="a note for the timeline")]


def _answer(verb: str, incident: str, url: str, token: str, note: str) -> None:
    with errors():
        body = {"note": note} if note else None
        result = Api(url, token).request("POST", f"/api/v1/incidents/{quote(incident, safe='')}/{verb}", json=body)
    out.print(f"#{result['number']} {result['status']}: {result['title']}", markup=False, highlight=False)


@app.command("ack")
def ack(incident: str, url: UrlOpt = "http://127.0.0.1:8080", token: TokenOpt = "", note: NoteOpt = "") -> None:
    """Acknowledge an incident (by number or id): escalation stops."""
    _answer("acknowledge", incident, url, token, note)


@app.command("resolve")
def resolve(incident: str, url: UrlOpt = "http://127.0.0.1:8080", token: TokenOpt = "", note: NoteOpt = "") -> None:
    """Resolve an incident: every page and pending notification stops."""
    _answer("resolve", incident, url, token, note)


@app.command("reassign")
def reassign(
    incident: str,
    user: Annotated[str | None, typer.Option(help="a person's handle or email")] = None,
    policy: Annotated[str | None, typer.Option(help="an escalation policy's name")] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
) -> None:
    """Hand an incident to a person or a policy: escalation restarts from its first level."""
    if (user is None) == (policy is None):
        raise fail("give either --user or --policy")
    with errors():
        body = {"user": user} if user else {"policy": policy}
        result = Api(url, token).request("POST", f"/api/v1/incidents/{quote(incident, safe='')}/reassign", json=body)
    out.print(f"#{result['number']} reassigned to {user or policy}", markup=False, highlight=False)


@page_app.command("preview")
def preview(
    service: str,
    at: Annotated[str | None, typer.Option(help="an ISO 8601 instant with its offset, instead of now")] = None,
    category: Annotated[str | None, typer.Option(help="an alert category, e.g. security")] = None,
    severity: Annotated[str, typer.Option(help="the incident's severity: SEV-1..SEV-4 or P1..P4")] = "SEV-1",
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Whether, when and why each level would page whom for SERVICE, and exactly what each channel would
    carry (sends nothing)."""
    with errors():
        params = {k: v for k, v in {"at": at, "category": category, "severity": severity}.items() if v}
        result = Api(url, token).request(
            "GET", f"/api/v1/services/{quote(service, safe='')}/page-preview", params=params
        )
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    repeat = f", repeated {result['repeat']} more time(s)" if result["repeat"] else ""
    urgency = f"{result['sev']} urgency: {result['urgency']}"
    out.print(
        f"{result['service']}: policy {result['policy'] or 'none'}{repeat}; {urgency}",
        markup=False,
        highlight=False,
    )
    for level in result["levels"]:
        when = f"at {level['pages_at'][:19].replace('T', ' ')} UTC" if level["pages_at"] else "not paged"
        out.print(
            f"\nLevel {level['level']} {when} ({level['timeout']} to acknowledge): {'; '.join(level['targets'])}"
            + (f"; first: {level['action']}" if level["action"] else "")
            + f"\n  why: {level['why']}",
            markup=False,
            highlight=False,
        )
        for person in level["people"]:
            late = " (after hours)" if person["after_hours"] else ""
            at_time = f" at {person['pages_at'][:16].replace('T', ' ')} UTC" if person["pages_at"] else ""
            out.print(f"  {person['name']} ({person['handle']}){late}{at_time}", markup=False, highlight=False)
            for note in person["notifications"]:
                out.print(f"    {note['channel']} {note['address']} after {note['after']}:", markup=False)
                text = note["payload"] if isinstance(note["payload"], str) else json.dumps(note["payload"], indent=2)
                for line in text.splitlines():
                    out.print(f"      {line}", markup=False, highlight=False)
    for warning in result["warnings"]:
        out.print(f"warning: {warning}", markup=False, highlight=False)


@app.command("deliveries")
def deliveries(
    incident: Annotated[str | None, typer.Option(help="one incident's (number or id)")] = None,
    status: Annotated[str | None, typer.Option(help="pending, sent, failed or cancelled")] = None,
    limit: LimitOpt = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """The delivery log: every notification, its attempts and its outcome."""
    with errors():
        params: dict[str, Any] = {k: v for k, v in {"incident": incident, "status": status}.items() if v}
        params["limit"] = min(limit or 1000, 1000)
        rows = Api(url, token).request("GET", "/api/v1/deliveries", params=params)
    for row in rows:
        tries = [f"{a['attempt']}: {a['outcome']} ({a['latency_ms']:.0f} ms)" for a in row["log"]]
        row["tries"] = "; ".join(tries) or "—"
    columns = [
        ("incident_number", "#"),
        ("person", "To"),
        ("channel", "Channel"),
        ("status", "Status"),
        ("attempts", "Attempts"),
        ("due_at", "Due (UTC)"),
        ("tries", "Log"),
        ("last_error", "Error or reason"),
    ]
    _emit(rows, as_json, columns, "Deliveries")
