"""Playbooks from the command line, through a server's API: list and show them, upload a custom one
(or an edited copy of a built-in) from YAML, and attach one to an incident."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
import yaml

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, _emit, app, errors, incident_app, out

playbook_app = typer.Typer(help="Playbooks per incident type (through a server's API).", no_args_is_help=True)
app.add_typer(playbook_app, name="playbook")

URL = "http://127.0.0.1:8080"


def _said(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _load(path: Path) -> dict[str, Any]:
    """The playbook document in a YAML (or JSON) file; one-line errors for what cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"cannot read {path}: not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{path}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a playbook is a mapping with key, name, incident_type, summary and phases")
    if not isinstance(data.get("key"), str) or not data["key"].strip():
        raise ValueError(f"{path}: key: give the playbook's key, e.g. payments-outage")
    return data


@playbook_app.command("list")
def list_playbooks(url: UrlOpt = URL, token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """Every playbook: the built-in ones (or their edited copies) and the custom ones."""
    with errors():
        rows = Api(url, token).request("GET", "/api/v1/playbooks")
    for row in rows:
        row["size"] = f"{row['step_count']} steps in {row['phase_count']} phases"
    columns = [("key", "Key"), ("name", "Name"), ("incident_type", "Type"), ("size", "Size"), ("source", "Source")]
    _emit(rows, as_json, columns, "Playbooks")


@playbook_app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="the playbook's key, e.g. security")],
    url: UrlOpt = URL,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """One playbook's phases and steps."""
    with errors():
        playbook = Api(url, token).request("GET", f"/api/v1/playbooks/{quote(key, safe='')}")
    if as_json:
        sys.stdout.write(json.dumps(playbook, indent=2) + "\n")
        return
    _said(f"{playbook['name']} ({playbook['key']}, {playbook['incident_type']}, {playbook['source']})")
    if playbook["summary"]:
        _said(playbook["summary"])
    for phase in playbook["phases"]:
        _said(f"\n{phase['title']}  [{phase['list_key']}]")
        for step in phase["steps"]:
            _said(f"  - {step}")


@playbook_app.command("apply")
def apply(
    file: Annotated[Path, typer.Option("-f", "--file", help="the playbook in YAML (or JSON)", show_default=False)],
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Upload a custom playbook; a built-in's key stores an edited copy that replaces it (admin token)."""
    with errors():
        document = _load(file)
        key = str(document["key"]).strip()
        playbook = Api(url, token).request("PUT", f"/api/v1/playbooks/{quote(key, safe='')}", json=document)
    _said(
        f"{playbook['source']} playbook '{playbook['name']}' ({playbook['key']}) saved: "
        f"{playbook['step_count']} steps in {playbook['phase_count']} phases"
    )


@playbook_app.command("delete")
def delete(
    key: Annotated[str, typer.Argument(help="a custom playbook, or an edited built-in to restore")],
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Delete a custom playbook, or drop the edits to a built-in one (admin token)."""
    with errors():
        result = Api(url, token).request("DELETE", f"/api/v1/playbooks/{quote(key, safe='')}")
    _said(result["message"])


@incident_app.command("playbook")
def attach(
    incident: Annotated[str, typer.Argument(help="the incident's number or id")],
    key: Annotated[str, typer.Argument(help="the playbook to attach; leave out to see the suggestions")] = "",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Attach a playbook to an incident: its phases join the incident's checklists (once)."""
    path = f"/api/v1/incidents/{quote(incident, safe='')}/playbooks"
    with errors():
        api = Api(url, token)
        view = api.request("POST", path, json={"playbook": key}) if key else api.request("GET", path)
    if key:
        _said(f"#{view['number']}: {view['message']}")
        return
    for a in view["attached"]:
        _said(f"attached: {a['key']} ({a['name']}), {a['done']}/{a['steps']} steps done")
    for s in view["suggested"]:
        _said(f"suggested: {s['key']} ({s['name']}): {s['reason']}")
    if not view["attached"] and not view["suggested"]:
        _said("no playbook attached and none suggested; see `firebell playbook list`")
