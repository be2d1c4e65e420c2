"""Playbooks on a real database through the API and the pages: attaching adds the steps to the
incident's checklists once, they tick onto the timeline, a security alert suggests the security
playbook, a closed incident refuses, and custom playbooks are written, attached and removed."""

from __future__ import annotations

from typing import Any

from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import create_token
from firebell.infra.db import transaction
from tests.integration.conftest import PagingApp
from tests.integration.test_runbooks import _log_in

CUSTOM: dict[str, Any] = {
    "key": "payments",
    "name": "Payments outage",
    "incident_type": "payments",
    "summary": "Card payments fail or hang.",
    "phases": [
        {"title": "Detection and triage (0-5 min)", "steps": ["Provider status page checked", "Failed share noted"]},
        {"key": "mitigate", "title": "Mitigation", "steps": ["Backup provider switched on"]},
    ],
}


def _declare(app: PagingApp, **body: Any) -> int:
    payload = {"title": "Checkout returns 500s", "severity": "SEV-2", "service": "checkout", **body}
    made = app.client.post("/api/v1/incidents", json=payload, headers=app.auth())
    assert made.status_code == 201, made.text
    return int(made.json()["number"])


def _attach(app: PagingApp, number: int, key: str, expect: int = 201) -> Any:
    answer = app.client.post(f"/api/v1/incidents/{number}/playbooks", json={"playbook": key}, headers=app.auth())
    assert answer.status_code == expect, answer.text
    return answer.json()


def _lists(app: PagingApp, number: int) -> dict[str, Any]:
    view = app.client.get(f"/api/v1/incidents/{number}/response", headers=app.auth()).json()
    return {c["key"]: c for c in view["checklists"]}


def _timeline(app: PagingApp, number: int, kind: str) -> list[str]:
    view = app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()
    return [e["message"] for e in view["timeline"] if e["kind"] == kind]


def test_attaching_adds_the_steps_once_and_they_tick_onto_the_timeline(paging: PagingApp) -> None:
    number = _declare(paging)
    paging.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging.auth())  # before any list exists
    first = _attach(paging, number, "security")
    assert (first["added"], first["message"]) == (24, "Playbook 'Security incident' attached: 24 steps in 6 phases")
    assert [(a["key"], a["steps"], a["done"]) for a in first["attached"]] == [("security", 24, 0)]
    lists = _lists(paging, number)
    assert lists["detection"]["items"][0]["done_by"] == "firebell"  # the incident's own lists kept what happened
    contain = lists["playbook:security:contain"]
    assert contain["title"] == "Security incident: Containment (first 15 min)"
    assert contain["items"][0]["text"] == "Affected hosts or containers cut off from the network, not powered off"
    assert next(k for k in lists if k.startswith("playbook:")) == "playbook:security:triage"
    count = paging.scalar("select count(*) from incident_checklist_items")
    again = _attach(paging, number, "security", expect=200)
    assert (again["added"], again["message"]) == (0, "'Security incident' was attached already")
    assert paging.scalar("select count(*) from incident_checklist_items") == count
    item = contain["items"][1]["key"]
    ticked = paging.client.post(
        f"/api/v1/incidents/{number}/checklists/playbook:security:contain/{item}",
        json={"done": True},
        headers=paging.auth(),
    )
    assert ticked.status_code == 200, ticked.text
    assert _timeline(paging, number, "playbook_attached") == [first["message"]]
    assert _timeline(paging, number, "checklist") == [
        "Ticked “Exposed credentials, keys and tokens revoked or rotated” "
        "(Security incident: Containment (first 15 min))"
    ]
    attached = paging.client.get(f"/api/v1/incidents/{number}/playbooks", headers=paging.auth()).json()["attached"]
    assert [(a["key"], a["done"], a["attached_by"]) for a in attached] == [("security", 1, "token:tests")]
    # A second playbook joins after the first; its own lists, its own progress.
    assert _attach(paging, number, "third-party")["added"] == 21
    assert [a["key"] for a in _attach(paging, number, "third-party", expect=200)["attached"]] == [
        "security",
        "third-party",
    ]


def test_an_alert_labelled_category_security_suggests_the_security_playbook(paging: PagingApp) -> None:
    alert = {"service": "checkout", "severity": "critical", "summary": "Unusual admin logins", "labels": {}}
    alert["labels"] = {"category": "security", "alertname": "AdminLoginAnomaly"}
    assert paging.client.post("/api/v1/alerts", json=alert, headers=paging.auth()).status_code == 202
    incidents = paging.client.get("/api/v1/incidents?status=open", headers=paging.auth()).json()
    number = next(i["number"] for i in incidents if i["title"] == "Unusual admin logins")
    view = paging.client.get(f"/api/v1/incidents/{number}/playbooks", headers=paging.auth()).json()
    assert view["attached"] == []
    assert view["suggested"] == [
        {"key": "security", "name": "Security incident", "reason": "an alert is labelled category: security"}
    ]
    declared = _declare(paging, title="Ledger rows corrupted", impact="totals wrong for some customers")
    view = paging.client.get(f"/api/v1/incidents/{declared}/playbooks", headers=paging.auth()).json()
    assert [(s["key"], s["reason"]) for s in view["suggested"]] == [("data-loss", "the title says “corrupted”")]


def test_a_closed_incident_refuses_a_playbook_and_bad_requests_name_the_field(paging: PagingApp) -> None:
    number = _declare(paging)
    unknown = paging.client.post(
        f"/api/v1/incidents/{number}/playbooks", json={"playbook": "nope"}, headers=paging.auth()
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "playbook"
    empty = paging.client.post(f"/api/v1/incidents/{number}/playbooks", json={}, headers=paging.auth())
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "playbook"
    paging.client.post(f"/api/v1/incidents/{number}/resolve", headers=paging.auth())
    assert _attach(paging, number, "outage")["added"] == 25  # resolved: the post-incident steps still apply
    other = _declare(paging)
    paging.client.post(f"/api/v1/incidents/{other}/resolve", headers=paging.auth())
    closed = paging.client.post(f"/api/v1/incidents/{other}/status", json={"status": "closed"}, headers=paging.auth())
    assert closed.status_code == 200, closed.text
    refused = paging.client.post(
        f"/api/v1/incidents/{other}/playbooks", json={"playbook": "outage"}, headers=paging.auth()
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["message"] == f"cannot attach a playbook to incident #{other}: it is closed"
    assert error["details"] == [{"field": "status", "state": "closed"}]
    assert _timeline(paging, other, "playbook_attached") == []
    assert paging.client.get("/api/v1/incidents/999/playbooks", headers=paging.auth()).status_code == 404


def test_a_custom_playbook_is_written_attached_edited_and_deleted(paging: PagingApp) -> None:
    put = paging.client.put("/api/v1/playbooks/payments", json=CUSTOM, headers=paging.auth())
    assert put.status_code == 201, put.text
    assert (put.json()["source"], put.json()["step_count"], put.json()["updated_by"]) == ("custom", 3, "token:tests")
    assert [p["list_key"] for p in put.json()["phases"]] == [
        "playbook:payments:detection-and-triage-0-5",
        "playbook:payments:mitigate",
    ]
    listed = paging.client.get("/api/v1/playbooks", headers=paging.auth()).json()
    assert [(p["key"], p["source"]) for p in listed][-2:] == [("third-party", "built-in"), ("payments", "custom")]
    number = _declare(paging, title="Card payments failing")
    assert _attach(paging, number, "payments")["added"] == 3
    assert _lists(paging, number)["playbook:payments:mitigate"]["title"] == "Payments outage: Mitigation"
    # Edited afterwards: the incident keeps the steps it was given.
    changed = {**CUSTOM, "phases": [{"title": "Mitigation", "steps": ["Provider switched"]}]}
    assert paging.client.put("/api/v1/playbooks/payments", json=changed, headers=paging.auth()).status_code == 200
    assert len(_lists(paging, number)["playbook:payments:mitigate"]["items"]) == 1
    assert _lists(paging, number)["playbook:payments:mitigate"]["items"][0]["text"] == "Backup provider switched on"
    # A built-in's key stores an edited copy; deleting it brings the shipped one back.
    edited = paging.client.put("/api/v1/playbooks/outage", json={**changed, "key": None}, headers=paging.auth())
    assert (edited.status_code, edited.json()["source"], edited.json()["name"]) == (200, "edited", "Payments outage")
    reverted = paging.client.delete("/api/v1/playbooks/outage", headers=paging.auth()).json()
    assert reverted == {
        "key": "outage",
        "reverted": True,
        "message": "edits dropped: the built-in 'Service outage' is back",
    }
    assert paging.client.delete("/api/v1/playbooks/outage", headers=paging.auth()).status_code == 409
    assert paging.client.delete("/api/v1/playbooks/payments", headers=paging.auth()).json()["reverted"] is False
    assert paging.client.get("/api/v1/playbooks/payments", headers=paging.auth()).status_code == 404
    assert len(_lists(paging, number)["playbook:payments:mitigate"]["items"]) == 1
    assert (
        paging.client.get(f"/api/v1/incidents/{number}/playbooks", headers=paging.auth()).json()["attached"][0]["name"]
        == "Payments outage"
    )


def test_bad_playbooks_are_refused_naming_the_field_and_writing_needs_admin(paging: PagingApp) -> None:
    def put(key: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return paging.client.put(f"/api/v1/playbooks/{key}", json=body, headers=headers or paging.auth())

    bad_step = {**CUSTOM, "phases": [CUSTOM["phases"][0], {"title": "Fix", "steps": ["   "]}]}
    for body, key, field in [
        (bad_step, "payments", "phases.1.steps.0"),
        ({**CUSTOM, "phases": [{"title": "Fix", "steps": [3]}]}, "payments", "phases.0.steps.0"),
        ({**CUSTOM, "phases": [{"title": "Fix", "steps": ["a"], "when": "now"}]}, "payments", "phases.0.when"),
        ({**CUSTOM, "key": "other"}, "payments", "key"),
        (CUSTOM, "Payments", "key"),
        ({**CUSTOM, "incident_type": "card payments"}, "payments", "incident_type"),
    ]:
        refused = put(key, body)
        assert refused.status_code == 422, (field, refused.text)
        assert refused.json()["error"]["details"][0]["field"] == field
    with transaction(paging.container.engine, write=True) as conn:
        writer = create_token(repo=SqlIdentityRepo(conn), name="rw", scope="respond", now=paging.clock.now())
    assert put("payments", CUSTOM, {"authorization": f"Bearer {writer}"}).status_code == 403
    assert paging.rows("select key from playbooks") == []


def test_the_pages_list_the_playbooks_and_the_incident_page_attaches_one(paging: PagingApp) -> None:
    csrf = _log_in(paging)
    listing = paging.client.get("/playbooks")
    assert listing.status_code == 200
    assert '<a href="/playbooks" class="on">Playbooks</a>' in listing.text
    assert 'id="security"' in listing.text
    assert "Exposed credentials, keys and tokens revoked or rotated" in listing.text
    number = _declare(paging, title="Customer data breach suspected")
    page = paging.client.get(f"/incidents/{number}")
    tool = page.text.split('id="tool-playbook"', 1)[1].split("</section>", 1)[0]
    assert '<optgroup label="Suggested">' in tool
    assert tool.index("Security incident (suggested)") < tool.index("Service outage")
    assert "★ Security incident: the title says “breach”" in tool
    refused = paging.client.post(
        f"/incidents/{number}/playbooks", data={"playbook": "security"}, follow_redirects=False
    )
    assert refused.status_code == 403  # no CSRF token
    done = paging.client.post(
        f"/incidents/{number}/playbooks", data={"csrf_token": csrf, "playbook": "security"}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/incidents/{number}#checklists")
    page = paging.client.get(f"/incidents/{number}")
    assert "Security incident: Containment (first 15 min)" in page.text
    assert "Attached: <strong>Security incident</strong> (0/24 steps done)" in page.text
    bad = paging.client.post(
        f"/incidents/{number}/playbooks", data={"csrf_token": csrf, "playbook": "nope"}, follow_redirects=False
    )
    assert bad.headers["location"].startswith(f"/incidents/{number}?error=playbook%3A%20no%20playbook")
