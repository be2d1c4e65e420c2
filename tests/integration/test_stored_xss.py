"""Stored XSS: hostile text saved in every field a person or a sender can fill, then every page that
shows it read back. No page may carry it as markup (a script, an event handler, a javascript: link);
each must show it as text. The public status page shows only what was published."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
import yaml

from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_user
from firebell.infra.db import transaction
from tests.integration.conftest import App, apply_config
from tests.web_login import log_in

MARK = 'XSS<script>alert("xss")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(2)>'
MARKDOWN = f'{MARK}\n\n[click](javascript:alert(3)) <a href="javascript:alert(4)">raw</a>\n\n<iframe src=x></iframe>'
BAD_URL = "javascript:alert(5)"
SHOWN = '<script>alert("xss")</script>'  # how the mark reads as text on a safe page
INTERNAL = "internal-only-note-do-not-publish"
IN_DETAILS = "said-in-custom-details"

PEOPLE = yaml.safe_dump(
    {
        "users": [{"name": MARK, "handle": "mallory", "email": "mallory@example.com"}],
        "teams": [{"name": f"team {MARK}", "members": ["mallory"]}],
        "schedules": [{"name": "primary", "participants": ["mallory"]}],
    }
)


class Markup(HTMLParser):
    """What a page would run: inline scripts, event handlers, javascript: URLs; and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.dangers: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            text = (value or "").strip().lower()
            if name.startswith("on") and "alert(" in text:
                self.dangers.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "srcdoc", "xlink:href") and (
                text.startswith("javascript:") or "alert(" in text
            ):
                self.dangers.append(f"<{tag} {name}={value!r}>")
        if tag == "iframe":
            self.dangers.append("<iframe>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.dangers.append(f"<script>{data[:60]}")
        elif not self._in_script:
            self.text.append(data)


def read(html: str) -> Markup:
    page = Markup()
    page.feed(html)
    page.close()
    return page


def ok(response: Any) -> Any:
    assert response.status_code < 300, f"{response.request.method} {response.request.url}: {response.text[:300]}"
    return response.json() if response.content and "json" in response.headers.get("content-type", "") else None


@pytest.fixture
def hostile(app: App) -> dict[str, str]:
    """Every user-written field filled with the mark; the ids of what was made."""
    c, h = app.client, app.auth()
    ok(
        c.post(
            "/api/v1/services",
            json={"name": "shop", "description": MARK, "runbook_url": "https://runbooks.example/shop"},
            headers=h,
        )
    )
    ok(
        c.patch(
            "/api/v1/services/shop",
            json={"dashboards": [{"title": MARK, "url": "https://grafana.example/d/1"}], "tags": ["x"]},
            headers=h,
        )
    )
    apply_config(app, PEOPLE)
    made = ok(
        c.post(
            "/api/v1/incidents", json={"title": MARK, "severity": "SEV-2", "service": "shop", "impact": MARK}, headers=h
        )
    )
    number = str(made["number"])
    key = app.add_integration("shop", "webhook")
    ok(c.post("/api/v1/alerts", json={"service": "shop", "summary": MARK, "labels": {"team": MARK}}, headers=h))
    alert = {"title": MARK, "dedup_key": "hostile", "description": MARK, "links": [{"href": BAD_URL, "text": MARK}]}
    ok(c.post(f"/integrations/webhook/{key}", json=alert))
    # What senders say beyond the summary: PagerDuty custom_details, links and images; Alertmanager
    # annotations and its source link; Opsgenie description and details.
    pd_key = app.add_integration("shop", "pagerduty")
    event = {
        "routing_key": pd_key,
        "event_action": "trigger",
        "dedup_key": "hostile-pd",
        "payload": {
            "summary": MARK,
            "source": MARK[:200],
            "severity": "critical",
            "custom_details": {MARK: f"{IN_DETAILS} {MARK}", "nested": {"x": MARK}},
        },
        "links": [{"href": BAD_URL, "text": MARK}],
        "images": [{"src": BAD_URL, "href": BAD_URL, "alt": MARK}, {"src": "https://img.example/x.png", "alt": MARK}],
    }
    ok(c.post("/v2/enqueue", json=event))
    am_key = app.add_integration("shop", "alertmanager")
    am_alert = {
        "status": "firing",
        "labels": {"alertname": MARK, "severity": "critical"},
        "annotations": {"summary": MARK, "description": MARK},
        "generatorURL": BAD_URL,
        "fingerprint": "hostile-am",
    }
    ok(
        c.post(
            f"/integrations/alertmanager/{am_key}",
            json={"version": "4", "groupKey": MARK, "status": "firing", "alerts": [am_alert]},
        )
    )
    genie = app.add_integration("shop", "opsgenie")
    opsgenie = {"message": MARK, "description": MARK, "details": {MARK: MARK}, "tags": [MARK[:50]]}
    ok(c.post("/v2/alerts", json=opsgenie, headers={"authorization": f"GenieKey {genie}"}))
    ok(c.post(f"/api/v1/incidents/{number}/notes", json={"text": f"{MARK} {INTERNAL}"}, headers=h))
    ok(c.post(f"/api/v1/incidents/{number}/roles", json={"role": "incident_commander", "user": "mallory"}, headers=h))
    ok(
        c.post(
            "/api/v1/changes",
            json={"summary": MARK, "service": "shop", "version": MARK[:60], "links": [{"href": BAD_URL, "text": MARK}]},
            headers=h,
        )
    )
    runbook = ok(
        c.post(
            "/api/v1/runbooks",
            json={"title": MARK[:200], "service": "shop", "body": f"# Shop\n\n{MARKDOWN}"},
            headers=h,
        )
    )
    ok(
        c.put(
            "/api/v1/playbooks/hostile",
            json={
                "name": MARK[:80],
                "incident_type": "outage",
                "summary": MARK,
                "phases": [{"title": MARK[:80], "steps": [MARK]}],
            },
            headers=h,
        )
    )
    ok(c.put("/api/v1/message-templates/update.slack", json={"body": f"{{{{ title }}}} {MARK}"}, headers=h))
    ok(c.post(f"/api/v1/incidents/{number}/postmortem", headers=h))
    sections = {"executive_summary": MARKDOWN, "what_happened": MARKDOWN, "lessons_learned": MARKDOWN}
    ok(c.patch(f"/api/v1/incidents/{number}/postmortem", json={"sections": sections}, headers=h))
    ok(
        c.post(
            "/api/v1/action-items", json={"incident": number, "title": MARK[:200], "description": MARKDOWN}, headers=h
        )
    )
    component = ok(c.post("/api/v1/status-page/components", json={"name": MARK[:100], "description": MARK}, headers=h))
    public = ok(
        c.post(
            "/api/v1/status-page/incidents",
            json={"name": MARK[:200], "status": "investigating", "body": MARKDOWN, "incident": number},
            headers=h,
        )
    )
    with transaction(app.container.engine, write=True) as conn:
        create_user(
            repo=SqlIdentityRepo(conn),
            email="root@example.com",
            password="pw-123456",
            role=Role.ADMIN,
            now=app.clock.now(),
        )
    ok(log_in(c, "root@example.com", "pw-123456"))
    pd_alert = next(a for a in ok(c.get("/api/v1/alerts", headers=h)) if a["dedup_key"] == "hostile-pd")
    am = next(a for a in ok(c.get("/api/v1/alerts", headers=h)) if a["dedup_key"] == "hostile-am")
    return {
        "alert": str(pd_alert["id"]),
        "am_alert": str(am["id"]),
        "pd_incident": str(pd_alert["incident_number"]),
        "number": number,
        "runbook": str(runbook["id"]),
        "component": str(component["id"]),
        "public": str(public["id"]),
    }


PAGES = [
    "/incidents",
    "/incidents/{number}",
    "/incidents/{number}/postmortem",
    "/incidents/{number}/postmortem/print",
    "/alerts",
    "/alerts/{alert}",
    "/alerts/{am_alert}",
    "/incidents/{pd_incident}",
    "/services",
    "/services/shop",
    "/oncall",
    "/oncall/primary",
    "/runbooks",
    "/runbooks/{runbook}",
    "/playbooks",
    "/policies",
    "/postmortems",
    "/action-items",
    "/drills",
    "/deliveries",
    "/templates",
    "/status-page/admin",
    "/status",
    "/status/incidents/{public}",
    "/metrics-dashboard",
    "/metrics-dashboard/weekly",
    "/metrics-dashboard/monthly",
    "/import",
    "/access",
    "/audit",
]
# Pages that must show the mark as text: proof that the hostile text reached them.
MUST_SHOW = {
    "/incidents",
    "/incidents/{number}",
    "/incidents/{number}/postmortem",
    "/incidents/{number}/postmortem/print",
    "/alerts",
    "/alerts/{alert}",
    "/alerts/{am_alert}",
    "/incidents/{pd_incident}",
    "/services",
    "/services/shop",
    "/oncall/primary",
    "/runbooks/{runbook}",
    "/playbooks",
    "/action-items",
    "/status",
    "/status/incidents/{public}",
    "/metrics-dashboard/weekly",
    "/access",
    "/audit",
}


def test_no_page_runs_hostile_text_and_each_shows_it_as_text(app: App, hostile: dict[str, str]) -> None:
    problems: dict[str, list[str]] = {}
    unseen: list[str] = []
    for template in PAGES:
        path = template.format(**hostile)
        response = app.client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:200]}"
        page = read(response.text)
        if page.dangers:
            problems[path] = page.dangers
        if template in MUST_SHOW and not any(SHOWN in text for text in page.text):
            unseen.append(path)
    assert problems == {}
    assert unseen == []


def test_alert_details_reach_the_alert_and_incident_pages_as_text(app: App, hostile: dict[str, str]) -> None:
    for path in (f"/alerts/{hostile['alert']}", f"/incidents/{hostile['pd_incident']}"):
        page = read(app.client.get(path).text)
        text = "".join(page.text)
        assert f"{IN_DETAILS} {MARK}" in text, path
        assert page.dangers == [], path
    # The sender's image addresses are links only: no page loads one.
    alert_page = app.client.get(f"/alerts/{hostile['alert']}").text
    assert "https://img.example/x.png" in alert_page
    assert "<img" not in alert_page.replace("&lt;img", "")


def test_the_public_status_page_shows_only_what_was_published(app: App, hostile: dict[str, str]) -> None:
    app.client.cookies.clear()  # the public, not logged in
    for path in (
        "/status",
        f"/status/incidents/{hostile['public']}",
        "/api/v2/summary.json",
        "/api/v2/incidents.json",
        "/status/feed.atom",
    ):
        response = app.client.get(path)
        assert response.status_code == 200, path
        assert INTERNAL not in response.text, path
    # The public incident's own text (published) is there, as text.
    assert SHOWN in "".join(read(app.client.get("/status").text).text)
