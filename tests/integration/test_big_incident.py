"""A storm in one incident: 120 alerts join it. Its page lists the 20 most recent and links to all of
them, page by page; its timeline shortens the runs of alert entries; the API carries the 100 most
recent with the total, and pages through the rest. Readers share one build of it: a change to the
incident or by a person shows at once, more alerts joining within a second."""

from __future__ import annotations

import re
from datetime import timedelta

from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_user
from firebell.infra.db import transaction
from tests.integration.conftest import App
from tests.integration.test_intake import am_alert, am_payload
from tests.web_login import log_in

PASSWORD = "storm-pass-123"
STORM = 120


def _storm(app: App) -> tuple[int, str]:
    app.add_service("api")
    key = app.add_integration("api", "alertmanager")
    alerts = [am_alert(f"host-{n:03}") for n in range(STORM)]
    assert app.client.post(f"/integrations/alertmanager/{key}", json=am_payload(*alerts)).status_code == 202
    with transaction(app.container.engine, write=True) as conn:
        create_user(repo=SqlIdentityRepo(conn), email="pat@example.com", password=PASSWORD, role=Role.RESPONDER,
                    now=app.clock.now())  # fmt: skip
    login = log_in(app.client, "pat@example.com", PASSWORD, follow_redirects=False)
    assert login.status_code == 303
    return int(str(app.scalar("select number from incidents"))), key


def test_the_page_lists_the_most_recent_alerts_and_links_to_all_of_them(app: App) -> None:
    number, _key = _storm(app)
    page = app.client.get(f"/incidents/{number}")
    assert page.status_code == 200
    assert f"<h2>Alerts ({STORM})</h2>" in page.text
    assert f'href="/alerts?incident={number}">all {STORM} alerts</a>' in page.text
    assert len(re.findall(r'id="verdict-', page.text)) == 20
    # The timeline keeps the first entries of the storm and says how many more there were.
    assert re.search(r"… (\d+) more alert entries", page.text)
    hidden = int(re.search(r"… (\d+) more alert entries", page.text)[1])  # type: ignore[index]
    assert hidden >= STORM - 3
    assert f'href="/incidents/{number}?timeline=full#timeline"' in page.text
    full = app.client.get(f"/incidents/{number}?timeline=full")
    assert "more alert entries" not in full.text
    assert full.text.count('class="tl-alert_') >= STORM
    # All of them, a hundred a page.
    first = app.client.get(f"/alerts?incident={number}")
    assert f"incident #{number}" in first.text
    assert first.text.count('id="verdict-') == 100
    older = re.search(rf'href="(/alerts\?incident={number}&amp;before=[^"]+)" rel="next"', first.text)
    assert older
    second = app.client.get(older[1].replace("&amp;", "&"))
    assert second.text.count('id="verdict-') == STORM - 100
    assert 'rel="next"' not in second.text
    assert re.search(rf'href="/alerts\?incident={number}&amp;after=[^"]+" rel="prev"', second.text)
    shown = set(re.findall(r'id="verdict-([^"]+)"', first.text)) | set(re.findall(r'id="verdict-([^"]+)"', second.text))
    assert len(shown) == STORM


def test_the_api_carries_the_most_recent_alerts_and_the_total_and_pages_through_all(app: App) -> None:
    number, _key = _storm(app)
    detail = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()
    assert detail["alerts_total"] == STORM
    assert len(detail["alerts"]) == 100
    few = app.client.get(f"/api/v1/incidents/{number}?alerts=5", headers=app.auth()).json()
    assert (len(few["alerts"]), few["alerts_total"]) == (5, STORM)
    assert [a["id"] for a in few["alerts"]] == [a["id"] for a in detail["alerts"][:5]]  # most recent first
    none = app.client.get(f"/api/v1/incidents/{number}?alerts=0", headers=app.auth()).json()
    assert (none["alerts"], none["alerts_total"]) == ([], STORM)
    too_many = app.client.get(f"/api/v1/incidents/{number}?alerts=1001", headers=app.auth())
    assert too_many.status_code == 422
    assert "alerts" in too_many.text
    ids: set[str] = set()
    for offset in (0, 100):
        listed = app.client.get(
            f"/api/v1/alerts?incident={number}&limit=100&offset={offset}", headers=app.auth()
        ).json()
        ids |= {a["id"] for a in listed}
    assert len(ids) == STORM
    missing = app.client.get("/api/v1/alerts?incident=9999", headers=app.auth())
    assert missing.status_code == 404
    assert missing.json()["error"]["details"] == [{"field": "incident"}]


def test_readers_share_one_build_until_the_incident_changes(app: App) -> None:
    number, key = _storm(app)
    shots = app.container.snapshots
    before = shots.built
    for _ in range(10):
        assert app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).status_code == 200
        assert app.client.get(f"/incidents/{number}").status_code == 200
    assert shots.built - before == 2  # one for the API, one for the page
    # A person's change shows at once.
    moved = app.client.post(f"/api/v1/incidents/{number}/status", json={"status": "acknowledged"}, headers=app.auth())
    assert moved.status_code == 200
    assert app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["status"] == "acknowledged"
    assert "Acknowledged</dt>" in app.client.get(f"/incidents/{number}").text
    # An alert joining shows within a second (a storm costs one build a second, not one per alert).
    more = am_payload(am_alert("host-new", severity="warning"))
    assert app.client.post(f"/integrations/alertmanager/{key}", json=more).status_code == 202
    assert app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["alerts_total"] == STORM
    app.clock.advance(timedelta(seconds=1))
    assert app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["alerts_total"] == STORM + 1
    # An alert that changes the incident itself shows at once: all of them resolved, it is resolved.
    resolved = [am_alert(f"host-{n:03}", status="resolved") for n in range(STORM)] + [
        am_alert("host-new", status="resolved")
    ]
    answer = app.client.post(f"/integrations/alertmanager/{key}", json=am_payload(*resolved, status="resolved"))
    assert answer.status_code == 202
    assert app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["status"] == "resolved"
    assert "Resolved</dt>" in app.client.get(f"/incidents/{number}").text
