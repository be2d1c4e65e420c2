"""Responder commands for running an incident: ack, roles, notes, severity, checklists, the
mitigation step, communications, the war room, the timeline export, and change events."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any
from urllib.parse import quote

import typer

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, _emit, app, errors, fail, incident_app, out

change_app = typer.Typer(help="Change events: deployments and config changes (through a server's API).")
app.add_typer(change_app, name="change", no_args_is_help=True)

URL = "http://127.0.0.1:8080"
Incident = Annotated[str, typer.Argument(help="the incident's number or id")]


def _path(incident: str, tail: str = "") -> str:
    return f"/api/v1/incidents/{quote(incident, safe='')}{tail}"


def _said(text: str) -> None:
    out.print(text, markup=False, highlight=False)


@incident_app.command("show")
def show(incident: Incident, url: UrlOpt = URL, token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """One incident: state, targets, roles, the next update, recent changes."""
    with errors():
        view = Api(url, token).request("GET", _path(incident))
    if as_json:
        sys.stdout.write(json.dumps(view, indent=2, default=str) + "\n")
        return
    work, targets = view["response"], view["targets"]
    _said(f"#{view['number']} {view['title']}")
    _said(f"status: {view['status']}   service: {view['service'] or '-'}   opened: {view['opened_at'][:19]}Z")
    _said(f"acknowledge within {targets['acknowledge_within']}: {targets['acknowledge']} ({targets['acknowledge_by']})")
    if targets["assemble"]:
        _said(f"team assembled within {targets['assemble_within']}: {targets['assemble']} ({targets['assemble_by']})")
    for name, label in (("investigate", "investigating"), ("resolve", "resolved")):
        if targets.get(name):
            _said(f"{label} within {targets[f'{name}_within']}: {targets[name]} ({targets[f'{name}_by']})")
    if targets.get("business_hours"):
        _said(f"counted in business hours: {targets['working_hours']}")
    if work["next_update_due"]:
        late = "overdue by" if work["next_update_overdue"] else "due in"
        _said(f"next status update {late} {work['next_update_in']}")
    for r in work["roles"]:
        if r["people"] or r["need"] != "optional":
            _said(f"{r['label']}: {', '.join(p['name'] for p in r['people']) or 'unfilled'}")
    if work["staffing_warning"]:
        _said(work["staffing_warning"])
    for c in work["recent_changes"]:
        _said(f"changed: {c['at'][:16]}Z {c['service']} {c['kind']}: {c['summary']}")


@incident_app.command("ack")
def ack(incident: Incident, note: str = "", url: UrlOpt = URL, token: TokenOpt = "") -> None:
    """Acknowledge an incident: escalation stops."""
    with errors():
        result = Api(url, token).request("POST", _path(incident, "/acknowledge"), json={"note": note})
    _said(f"#{result['number']} {result['status']}: {result['title']}")


@incident_app.command("resolve")
def resolve(incident: Incident, note: str = "", url: UrlOpt = URL, token: TokenOpt = "") -> None:
    """Resolve an incident: every page and pending notification stops."""
    with errors():
        result = Api(url, token).request("POST", _path(incident, "/resolve"), json={"note": note})
    _said(f"#{result['number']} {result['status']}: {result['title']}")


@incident_app.command("close")
def close(incident: Incident, note: str = "", url: UrlOpt = URL, token: TokenOpt = "") -> None:
    """Close a resolved incident (its record is complete)."""
    with errors():
        result = Api(url, token).request("POST", _path(incident, "/status"), json={"status": "closed", "note": note})
    _said(f"#{result['number']} {result['status']}: {result['title']}")


@incident_app.command("role")
def role(
    incident: Incident,
    role_name: Annotated[str, typer.Argument(metavar="ROLE", help="ic, tech_lead, comms_lead, scribe, sme, ...")],
    user: Annotated[str, typer.Argument(help="handle or email; with --remove, optional")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="take the role away")] = False,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Give a person a role on an incident (single-holder roles are handed over), or take it away."""
    if not remove and not user:
        raise fail("say who: firebell incident role ID ROLE USER")
    with errors():
        api = Api(url, token)
        if remove:
            query = f"?user={quote(user)}" if user else ""
            view = api.request("DELETE", _path(incident, f"/roles/{quote(role_name, safe='')}{query}"))
        else:
            view = api.request("POST", _path(incident, "/roles"), json={"role": role_name, "user": user})
    for r in view["roles"]:
        if r["people"] or r["need"] != "optional":
            names = ", ".join(p["name"] for p in r["people"]) or ("(IC holds it)" if r["stood_in_by"] else "unfilled")
            _said(f"{r['label']}: {names}")
    if view["staffing_warning"]:
        _said(view["staffing_warning"])


@incident_app.command("note")
def note(
    incident: Incident, text: Annotated[str, typer.Argument(help="the note")], url: UrlOpt = URL, token: TokenOpt = ""
) -> None:
    """Add a note to the incident's timeline (findings, hypotheses, decisions)."""
    with errors():
        Api(url, token).request("POST", _path(incident, "/notes"), json={"text": text})
    _said("noted")


@incident_app.command("severity")
def severity(
    incident: Incident,
    sev: Annotated[str, typer.Argument(metavar="SEVERITY", help="SEV-1..SEV-4 or P1..P4")],
    reason: str = "",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Change an incident's severity (on the timeline, with the reason)."""
    with errors():
        Api(url, token).request("POST", _path(incident, "/severity"), json={"severity": sev, "reason": reason})
        result = Api(url, token).request("GET", _path(incident))
    _said(f"#{result['number']} {result['sev']}: {result['title']}")


@incident_app.command("checklist")
def checklist(incident: Incident, url: UrlOpt = URL, token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """The incident's checklists, done items marked x, each with the LIST and ITEM keys for `tick`."""
    with errors():
        view = Api(url, token).request("GET", _path(incident, "/response"))
    if as_json:
        sys.stdout.write(json.dumps(view["checklists"], indent=2, default=str) + "\n")
        return
    for c in view["checklists"]:
        _said(c["title"])
        for i in c["items"]:
            _said(f"  [{'x' if i['done_at'] else ' '}] {i['text']}  ({c['key']} {i['key']})")


@incident_app.command("tick")
def tick(
    incident: Incident,
    list_key: Annotated[str, typer.Argument(metavar="LIST", help="e.g. investigation, role:scribe")],
    item: Annotated[str, typer.Argument(metavar="ITEM", help="e.g. logs-analyzed (see `checklist`)")],
    undo: Annotated[bool, typer.Option("--undo", help="untick")] = False,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Tick a checklist item (it goes on the timeline)."""
    with errors():
        path = _path(incident, f"/checklists/{quote(list_key, safe='')}/{quote(item, safe='')}")
        Api(url, token).request("POST", path, json={"done": not undo})
    _said(("unticked " if undo else "ticked ") + f"{list_key} {item}")


@incident_app.command("timeline")
def timeline(
    incident: Incident,
    fmt: Annotated[str, typer.Option("--format", help="markdown, mermaid or json")] = "markdown",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Export the timeline: a markdown table, a mermaid gantt chart, or JSON."""
    if fmt not in ("markdown", "mermaid", "json"):
        raise fail("--format: use markdown, mermaid or json")
    with errors():
        api = Api(url, token)
        if fmt == "json":
            sys.stdout.write(json.dumps(api.request("GET", _path(incident, "/timeline")), indent=2) + "\n")
            return
        sys.stdout.write(api.text(_path(incident, f"/timeline?format={fmt}")))


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise fail(f"{option}: write NAME=VALUE, not {value!r}")
        found[key.strip()] = rest
    return found


@incident_app.command("update")
def update(
    incident: Incident,
    template: Annotated[str, typer.Option(help="initial.slack, update.slack, update.email, resolution.email, ...")],
    field: Annotated[list[str] | None, typer.Option(help="NAME=TEXT for the template (repeatable)")] = None,
    to: Annotated[
        list[str] | None, typer.Option(help="incidents_channel, war_room, stakeholders, responders (repeatable)")
    ] = None,
    preview: Annotated[bool, typer.Option("--preview", help="show the message, send nothing")] = False,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Send a communication rendered from a template (or preview it)."""
    body: dict[str, Any] = {"template": template, "fields": _pairs(field, "--field")}
    with errors():
        api = Api(url, token)
        if preview:
            shown = api.request("POST", _path(incident, "/communications/preview"), json=body)
            sys.stdout.write(f"Subject: {shown['subject']}\n\n{shown['body']}")
            return
        sent = api.request("POST", _path(incident, "/communications"), json={**body, "audiences": to or []})
    _said(f"sent to {', '.join(sent['sent_to'])}")


@incident_app.command("escalate")
def escalate(
    incident: Incident,
    reason: Annotated[str, typer.Option(help="why, for the timeline")] = "",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Page the next level of the incident's escalation policy now."""
    with errors():
        api = Api(url, token)
        api.request("POST", _path(incident, "/escalate"), json={"note": reason})
        events = api.request("GET", _path(incident, "/timeline"))
    _said(next(e["message"] for e in reversed(events) if e["kind"] == "escalated"))


@incident_app.command("war-room")
def war_room(incident: Incident, url: UrlOpt = URL, token: TokenOpt = "") -> None:
    """Name the war room (#incident-YYYY-MM-DD-...) and, with a Slack bot token, create it."""
    with errors():
        api = Api(url, token)
        api.request("POST", _path(incident, "/war-room"))
        result = api.request("GET", _path(incident))
    _said(f"#{result['war_room']}")


@incident_app.command("mitigate")
def mitigate(
    incident: Incident,
    recent_deployment: Annotated[bool | None, typer.Option("--recent-deployment/--no-recent-deployment")] = None,
    resource_issue: Annotated[bool | None, typer.Option("--resource-issue/--no-resource-issue")] = None,
    external_dependency: Annotated[bool | None, typer.Option("--external-dependency/--no-external-dependency")] = None,
    data_issue: Annotated[bool | None, typer.Option("--data-issue/--no-data-issue")] = None,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Walk the mitigation decision tree; once it settles, the strategy is recorded on the incident."""
    given = {
        "recent_deployment": recent_deployment,
        "resource_issue": resource_issue,
        "external_dependency": external_dependency,
        "data_issue": data_issue,
    }
    answers = {k: v for k, v in given.items() if v is not None}
    with errors():
        api = Api(url, token)
        walk = api.request("POST", "/api/v1/mitigation/decide", json={"answers": answers})
        if walk["strategy"] is None:
            flag = walk["next_question"].replace("_", "-")
            raise fail(f"{walk['next_question_text']} (answer with --{flag} or --no-{flag})")
        view = api.request("POST", _path(incident, "/mitigations"), json={"answers": answers})
    chosen = view["mitigations"][-1]
    _said(f"{chosen['title']} (risk: {chosen['risk']})")
    for step in chosen["steps"]:
        _said(f"  - {step}")
    for check in chosen["verify"]:
        _said(f"  verify: {check}")
    _said(f"when done: firebell incident outcome {incident} {chosen['id']} resolved|not_resolved")


@incident_app.command("outcome")
def outcome(
    incident: Incident,
    mitigation_id: Annotated[str, typer.Argument(metavar="MITIGATION")],
    result: Annotated[str, typer.Argument(metavar="OUTCOME", help="resolved or not_resolved")],
    note: str = "",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Record how a mitigation went; the tree says what comes next."""
    with errors():
        path = _path(incident, f"/mitigations/{quote(mitigation_id, safe='')}/outcome")
        view = Api(url, token).request("POST", path, json={"outcome": result, "note": note})
    step = next(m for m in view["mitigations"] if m["id"] == mitigation_id)
    _said(f"next: {step['next']}")


@change_app.command("record")
def change_record(
    service: Annotated[str, typer.Option(help="the service that changed")],
    summary: Annotated[str, typer.Option(help="what changed, e.g. 'Deploy checkout v2.3.1'")],
    kind: Annotated[str, typer.Option(help="deploy, config, infrastructure or other")] = "deploy",
    version: str = "",
    link: Annotated[list[str] | None, typer.Option(help="a URL (repeatable)")] = None,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Record a change to a service (the incident page shows recent ones)."""
    body = {
        "service": service,
        "summary": summary,
        "kind": kind,
        "version": version,
        "links": [{"href": href} for href in link or []],
    }
    with errors():
        made = Api(url, token).request("POST", "/api/v1/changes", json=body)
    print(made["id"])


@change_app.command("list")
def change_list(
    service: Annotated[str | None, typer.Option(help="a service name")] = None,
    limit: int = 50,
    url: UrlOpt = URL,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Recent changes, newest first."""
    params = f"?limit={limit}" + (f"&service={quote(service)}" if service else "")
    with errors():
        rows = Api(url, token).request("GET", f"/api/v1/changes{params}")
    columns = [("at", "When"), ("service", "Service"), ("kind", "Kind"), ("summary", "Summary"), ("source", "By")]
    _emit(rows, as_json, columns, "Changes")
