"""Drills and game days, through a server's API: `firebell drill SERVICE` proves a policy end to end."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any
from urllib.parse import quote

import typer

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, _emit, app, errors, fail, out

drills_app = typer.Typer(help="Drills and game days (through a server's API).", no_args_is_help=True)
app.add_typer(drills_app, name="drills")

URL = "http://127.0.0.1:8080"
DrillArg = Annotated[str, typer.Argument(help="DR-<number>")]


def _said(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _steps(view: dict[str, Any], shown: set[str]) -> None:
    for step in view["steps"]:
        if step["ms_after_fired"] is not None and step["step"] not in shown:
            shown.add(step["step"])
            _said(f"  +{step['ms_after_fired']:>6} ms  {step['label']}")


@app.command("drill")
def drill(
    service: Annotated[str, typer.Argument(help="the service whose alerting and paging to prove")],
    page: Annotated[list[str], typer.Option("--page", help="a person to page (handle or email); repeat")],
    target: Annotated[str, typer.Option(help="what is exercised")] = "paging drill",
    wait: Annotated[float, typer.Option(help="seconds to wait for the steps (and an acknowledgement)")] = 60.0,
    ack: Annotated[bool, typer.Option("--ack", help="wait for someone to acknowledge the page")] = False,
    keep_open: Annotated[bool, typer.Option("--keep-open", help="leave the drill's incident open")] = False,
    url: UrlOpt = URL,
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Fire a marked synthetic alert through intake, incident, escalation and notification, paging
    only the people named; print each step's time; exit 1 when a step was not reached."""
    with errors():
        api = Api(url, token)
        view = api.request("POST", "/api/v1/drills", json={"service": service, "page": page, "target": target})
    ref = view["ref"]
    if not as_json:
        _said(f"{ref}: synthetic alert fired at {service}; paging only {', '.join(view['participants'])}")
    shown: set[str] = set()
    wanted = {"notification_sent"} | ({"acknowledged"} if ack else set())
    deadline = time.monotonic() + wait
    while True:
        if not as_json:
            _steps(view, shown)
        reached = {s["step"] for s in view["steps"] if s["ms_after_fired"] is not None}
        if wanted <= reached or time.monotonic() > deadline:
            break
        time.sleep(0.25)
        with errors():
            view = api.request("GET", f"/api/v1/drills/{quote(ref)}")
    if not keep_open:
        with errors():
            view = api.request("POST", f"/api/v1/drills/{quote(ref)}/end", json={})
    if as_json:
        sys.stdout.write(json.dumps(view, indent=2, default=str) + "\n")
    else:
        for n in view["notified"]:
            how = f"{n['channel'] or '-'}: {n['delivery'] or 'no contact method'}"
            if n["delivery"] != "sent" and n["error"]:
                how += f" ({n['error'][:160]})"
            _said(f"  paged {n['person']} (level {n['level']}) by {how}")
        missing = [s["label"] for s in view["steps"] if s["step"] in set(view["missing_steps"])]
        if ack and "acknowledged" not in {s["step"] for s in view["steps"] if s["ms_after_fired"] is not None}:
            missing.append("Acknowledged")
        incident = f", incident #{view['incident_number']}" if view["incident_number"] else ""
        verdict = "passed" if not missing else "failed: not reached: " + ", ".join(missing)
        _said(f"{ref} {verdict}{incident}")
    if view["missing_steps"] or (ack and not any(s["step"] == "acknowledged" and s["at"] for s in view["steps"])):
        raise typer.Exit(1)


@drills_app.command("list")
def list_drills(url: UrlOpt = URL, token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """Drills and game days, newest first."""
    with errors():
        rows = Api(url, token).request("GET", "/api/v1/drills")
    _emit(
        rows,
        as_json,
        [
            ("ref", "Drill"),
            ("kind", "Kind"),
            ("service", "Service"),
            ("target", "Target"),
            ("status", "Status"),
            ("result", "Result"),
        ],
        "Drills",
    )


@drills_app.command("plan")
def plan(
    service: Annotated[str, typer.Argument(help="the service the game day exercises")],
    target: Annotated[str, typer.Option(help="the experiment, e.g. 'pod-delete on payment-service'")],
    hypothesis: Annotated[
        list[str] | None, typer.Option("--hypothesis", help="a steady-state statement; repeat (default: the seeds')")
    ] = None,
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Plan a game day (a chaos experiment) with its steady-state hypothesis; prints its reference."""
    body: dict[str, Any] = {"service": service, "kind": "game_day", "target": target}
    if hypothesis:
        body["hypothesis"] = hypothesis
    with errors():
        view = Api(url, token).request("POST", "/api/v1/drills", json=body)
    for i, s in enumerate(view["hypothesis"]):
        _said(f"  {i}. {s['text']}")
    _said(view["ref"])


@drills_app.command("outcome")
def outcome(
    ref: DrillArg,
    held: Annotated[list[int] | None, typer.Option("--held", help="index of a statement that held; repeat")] = None,
    broke: Annotated[list[int] | None, typer.Option("--broke", help="index of a statement that did not hold")] = None,
    note: Annotated[str, typer.Option(help="what happened and what was learnt")] = "",
    url: UrlOpt = URL,
    token: TokenOpt = "",
) -> None:
    """Record how a game day's hypothesis held."""
    marks = dict.fromkeys(held or [], True) | dict.fromkeys(broke or [], False)
    if not marks and not note:
        raise fail("give --held, --broke or --note")
    with errors():
        view = Api(url, token).request(
            "POST", f"/api/v1/drills/{quote(ref)}/outcome", json={"held": marks, "outcome": note}
        )
    _said(f"{view['ref']} {view['status']}: {view['result'] or 'undecided'}")
