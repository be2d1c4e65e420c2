"""`firebell alert verdict` and `firebell incident verdict`: mark alerts as needing no action (false
positives) or as actionable, one alert or every alert of an incident, or clear the verdict."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from firebell.alerts.verdict import Verdict, parse_verdict_or_clear
from firebell.cli.client import Api
from firebell.cli.main import TokenOpt, UrlOpt, alert_app, errors, incident_app, out

VerdictArg = Annotated[
    str, typer.Argument(help="no-action (also: noise, false-positive), actionable (also: real), or clear")
]
NoteOpt = Annotated[str, typer.Option(help="why, for the incident timeline")]


def _put(url: str, token: str, path: str, value: str, note: str) -> Any:
    """Send the verdict `value` names (checked here first, for a one-line error) to `path`."""
    with errors():
        verdict = parse_verdict_or_clear(value)
        body = {"verdict": verdict.value if verdict else None, "note": note}
        return Api(url, token).request("PUT", path, json=body)


def _shown(alert: dict[str, Any]) -> str:
    verdict = alert.get("verdict")
    said = f"{Verdict(verdict).label} (by {alert['verdict_by']})" if verdict else "no verdict"
    return f"{alert['id']} {said}: {alert['summary']}"


@alert_app.command("verdict")
def alert_verdict(
    alert_id: str,
    verdict: VerdictArg,
    note: NoteOpt = "",
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
) -> None:
    """Mark an alert no action needed (a false positive) or actionable, or clear its verdict."""
    alert = _put(url, token, f"/api/v1/alerts/{quote(alert_id, safe='')}/verdict", verdict, note)
    out.print(_shown(alert), markup=False, highlight=False)


@incident_app.command("verdict")
def incident_verdict(
    incident: str,
    verdict: VerdictArg,
    note: NoteOpt = "",
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
) -> None:
    """Mark every alert of an incident (number or id) at once, or clear their verdicts."""
    alerts = _put(url, token, f"/api/v1/incidents/{quote(incident, safe='')}/verdict", verdict, note)
    for alert in alerts:
        out.print(_shown(alert), markup=False, highlight=False)
