"""`firebell alert show`: one alert with everything its sender said (details, links, images, labels)."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import quote

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, alert_app, errors, out


def _said(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _indented(value: str) -> str:
    return value.replace("\n", "\n    ")


@alert_app.command("show")
def alert_show(
    alert_id: str, url: UrlOpt = "http://127.0.0.1:8080", token: TokenOpt = "", as_json: JsonOpt = False
) -> None:
    """One alert: its state, details, links, images and labels (--json adds the payload it came in)."""
    with errors():
        alert: dict[str, Any] = Api(url, token).request("GET", f"/api/v1/alerts/{quote(alert_id, safe='')}")
    if as_json:
        sys.stdout.write(json.dumps(alert, indent=2, default=str) + "\n")
        return
    incident = f"incident #{alert['incident_number']}" if alert["incident_number"] else alert["disposition"]
    _said(f"{alert['id']} [{alert['severity']}] {alert['summary']}")
    _said(f"status: {alert['status']}   service: {alert['service']}   source: {alert['source']}   {incident}")
    _said(f"seen {alert['count']}x: first {alert['first_seen_at'][:19]}Z, last {alert['last_seen_at'][:19]}Z")
    if alert["runbook_url"]:
        _said(f"runbook: {alert['runbook_url']}")
    if alert["fields"]:
        _said("details:")
        for row in alert["fields"]:
            _said(f"  {row['key']}: {_indented(row['value'])}")
        if alert["more_fields"]:
            _said(f"  … {alert['more_fields']} more (--json has them all)")
    for link in alert["links"]:
        _said(f"link: {link.get('text') or 'link'}: {link.get('href')}")
    for image in alert["images"]:
        _said(f"image: {image['text'] or 'image'}: {image['src']}")
    if alert["labels"]:
        _said("labels: " + " ".join(f"{k}={v}" for k, v in alert["labels"].items()))
