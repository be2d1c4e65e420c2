"""Postmortems and action items, through a server's API."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, _emit, app, errors, fail, out

postmortem_app = typer.Typer(help="Postmortems (through a server's API).", no_args_is_help=True)
action_app = typer.Typer(help="Action items (through a server's API).", no_args_is_help=True)
app.add_typer(postmortem_app, name="postmortem")
app.add_typer(action_app, name="action")

URL = "http://127.0.0.1:8080"
Incident = Annotated[str, typer.Argument(help="the incident's number or id")]


def _pm(incident: str, tail: str = "") -> str:
    return f"/api/v1/incidents/{quote(incident, safe='')}/postmortem{tail}"


def _said(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _summary(view: dict[str, Any]) -> None:
    facts = view["facts"]
    _said(f"{view['reference']} {view['incident_title']}")
    due = (view["due_at"] or "")[:16].replace("T", " ")
    late = "  OVERDUE" if view["overdue"] else ""
    owner = view["owner"] or "-"
    _said(f"status: {view['status']} (version {view['version']})   owner: {owner}   due: {due or '-'}{late}")
    ttr = facts["ttr_seconds"]
    _said(f"TTD: {round(facts['ttd_seconds'] / 60)} min   TTR: {round(ttr / 60) if ttr is not None else '-'} min")
    for f in view["blameless_findings"]:
        _said(f'blame? {f["where"]}: "{f["excerpt"]}" ({f["what"]}; {f["principle"]})')
    if view["status"] != "final":
        for m in view["missing_for_final"]:
            _said(f"to do: {m}")


@postmortem_app.command("create")
def create(incident: Incident, url: UrlOpt = URL, token: TokenOpt = "") -> None:
    """Draft an incident's postmortem (SEV-1 and SEV-2 get one by themselves when they resolve)."""
    with errors():
        view = Api(url, token).request("POST", _pm(incident))
    _summary(view)


@postmortem_app.command("show")
def show(incident: Incident, url: UrlOpt = URL, token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """A postmortem's status, owner, due date, TTD/TTR, blameless findings and what it lacks."""
    with errors():
        view = Api(url, token).request("GET", _pm(incident))
    if as_json:
        sys.stdout.write(json.dumps(view, indent=2, default=str) + "\n")
        return
    _summary(view)


@postmortem_app.command("list")
def list_postmortems(
    status: Annotated[str, typer.Option(help="draft, in_review or final")] = "",
    overdue: Annotated[bool, typer.Option("--overdue", help="only overdue ones")] = False,
    url: UrlOpt = URL,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Postmortems, open ones first by due date."""
    with errors():
        params: dict[str, Any] = {"overdue": overdue}
        if status:
            params["status"] = status
        rows = Api(url, token).request("GET", "/api/v1/postmortems", params=params)
    for row in rows:
        row["incident"] = f"#{row['incident_number']} {row['incident_title']}"
        row["due"] = (row["due_at"] or "-")[:16] + (" OVERDUE" if row["overdue"] else "")
    _emit(
        rows,
        as_json,
        [("incident", "Incident"), ("severity", "Sev"), ("status", "Status"), ("owner", "Owner"), ("due", "Due (UTC)")],
        "Postmortems",
    )


@postmortem_app.command("export")
def export(
    incident: Incident,
    format: Annotated[str, typer.Option("--format", help="markdown or html")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """The postmortem as markdown following the template, or as a printable HTML page."""
    if format not in {"markdown", "html"}:
        raise fail("--format: use markdown or html")
    with errors():
        text = Api(url, token).text(_pm(incident, f"/export?format={format}"))
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    _said(f"wrote {output}")


@postmortem_app.command("edit")
def edit(
    incident: Incident,
    section: Annotated[str, typer.Option(help="a section key, e.g. executive_summary, what_happened")],
    text: Annotated[str | None, typer.Option(help="the text")] = None,
    file: Annotated[Path | None, typer.Option(help="read the text from this file ('-' for stdin)")] = None,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Write one section of the postmortem."""
    if (text is None) == (file is None):
        raise fail("give the text with --text or --file")
    with errors():
        body = text if text is not None else (sys.stdin.read() if str(file) == "-" else Path(str(file)).read_text())
        view = Api(url, token).request("PATCH", _pm(incident), json={"sections": {section: body}})
    _said(f"{view['reference']}: {section} saved (version {view['version']})")


@postmortem_app.command("rca")
def rca(
    incident: Incident,
    tool: Annotated[str, typer.Argument(help="five_whys, fishbone or fault_tree")],
    file: Annotated[Path, typer.Option(help="a JSON document, or an indented outline as in the web editor")],
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Store a root-cause analysis from a file."""
    with errors():
        raw = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        try:
            body: dict[str, Any] = {"data": json.loads(raw)}
        except json.JSONDecodeError:
            body = {"outline": raw}
        view = Api(url, token).request("PUT", _pm(incident, f"/rca/{quote(tool, safe='')}"), json=body)
    _said(f"{view['reference']}: {tool} saved")
    for line in view.get("rca_details", {}).get(tool, []):
        _said(line)


@postmortem_app.command("status")
def status(
    incident: Incident,
    target: Annotated[str, typer.Argument(help="draft, review or final")],
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Move the postmortem: draft → review → final (final needs every sign-off and a clean check)."""
    with errors():
        view = Api(url, token).request("POST", _pm(incident, "/status"), json={"status": target})
    _said(f"{view['reference']}: {view['status']}")


@postmortem_app.command("sign")
def sign(
    incident: Incident,
    role: Annotated[str, typer.Option(help="postmortem_owner, engineering_manager or service_owner")],
    user: Annotated[str, typer.Option(help="who signs (handle or email)")],
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Record a sign-off."""
    with errors():
        view = Api(url, token).request("POST", _pm(incident, "/signoffs"), json={"role": role, "user": user})
    _said(f"{view['reference']}: signed by {user} as {role}")


@postmortem_app.command("check")
def check(incident: Incident, url: UrlOpt = URL, token: TokenOpt = "") -> None:
    """The blamelessness check; exits 1 when it flags a passage."""
    with errors():
        view = Api(url, token).request("GET", _pm(incident))
    findings = view["blameless_findings"]
    for f in findings:
        _said(f'{f["where"]}: "{f["excerpt"]}" — {f["what"]}. {f["principle"]}')
    if findings:
        raise typer.Exit(1)
    _said("no blaming language found")


@action_app.command("add")
def add(
    incident: Incident,
    title: Annotated[str, typer.Option(help="what must be done")],
    priority: Annotated[str, typer.Option(help="P1, P2 or P3")] = "P2",
    kind: Annotated[str, typer.Option(help="immediate, preventative or detection")] = "preventative",
    owner: Annotated[str, typer.Option(help="handle or email")] = "",
    due: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    ticket: Annotated[str, typer.Option(help="the issue tracker's key or URL")] = "",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Add an action item to an incident; prints its reference (AI-n) last."""
    with errors():
        body: dict[str, Any] = {
            "incident": incident,
            "title": title,
            "priority": priority,
            "kind": kind,
            "ticket": ticket,
        }
        if owner:
            body["owner"] = owner
        if due:
            body["due"] = date.fromisoformat(due).isoformat()
        item = Api(url, token).request("POST", "/api/v1/action-items", json=body)
    _said(item["ref"])


@action_app.command("list")
def list_items(
    incident: Annotated[str, typer.Option(help="an incident's number")] = "",
    owner: Annotated[str, typer.Option(help="handle or email")] = "",
    status: Annotated[str, typer.Option(help="open, in_progress, done or wont_do")] = "",
    overdue: Annotated[bool, typer.Option("--overdue", help="only overdue ones")] = False,
    url: UrlOpt = URL,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Action items, open ones first by due date."""
    with errors():
        params: dict[str, Any] = {
            k: v for k, v in {"incident": incident, "owner": owner, "status": status}.items() if v
        }
        params["overdue"] = overdue
        rows = Api(url, token).request("GET", "/api/v1/action-items", params=params)
    for row in rows:
        row["due_text"] = (row["due"] or "-") + (" OVERDUE" if row["overdue"] else "")
    _emit(
        rows,
        as_json,
        [
            ("ref", "ID"),
            ("priority", "Pri"),
            ("status", "Status"),
            ("title", "Action"),
            ("owner", "Owner"),
            ("due_text", "Due"),
            ("incident_number", "Incident"),
        ],
        "Action items",
    )


@action_app.command("update")
def update(
    item: Annotated[str, typer.Argument(help="AI-<number>")],
    status: Annotated[str, typer.Option(help="open, in_progress, done or wont_do")] = "",
    owner: Annotated[str | None, typer.Option(help="handle or email ('' to clear)")] = None,
    due: Annotated[str, typer.Option(help="YYYY-MM-DD")] = "",
    priority: Annotated[str, typer.Option(help="P1, P2 or P3")] = "",
    ticket: Annotated[str | None, typer.Option(help="the issue tracker's key or URL")] = None,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Change an action item."""
    with errors():
        body: dict[str, Any] = {k: v for k, v in {"status": status, "priority": priority}.items() if v}
        if owner is not None:
            body["owner"] = owner
        if ticket is not None:
            body["ticket"] = ticket
        if due:
            body["due"] = date.fromisoformat(due).isoformat()
        if not body:
            raise ValueError("nothing to change: give --status, --owner, --due, --priority or --ticket")
        result = Api(url, token).request("PATCH", f"/api/v1/action-items/{quote(item, safe='')}", json=body)
    _said(f"{result['ref']} {result['status']}: {result['title']}")


@action_app.command("done")
def done(item: Annotated[str, typer.Argument(help="AI-<number>")], url: UrlOpt = URL, token: TokenOpt = "") -> None:
    """Mark an action item done."""
    with errors():
        result = Api(url, token).request(
            "PATCH", f"/api/v1/action-items/{quote(item, safe='')}", json={"status": "done"}
        )
    _said(f"{result['ref']} {result['status']}: {result['title']}")
