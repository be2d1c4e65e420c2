"""Postmortems and action items over the API: drafted on resolution, edited with versions, checked
for blame, reviewed, signed off and finalised; action items tracked, mirrored and reminded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from firebell.paging.messages import EventNotice, MessageNotice
from tests.integration.conftest import PagingApp


def _declare(app: PagingApp, severity: str = "SEV-1", title: str = "Checkout returns 500s") -> int:
    made = app.client.post(
        "/api/v1/incidents", json={"title": title, "severity": severity, "service": "checkout"}, headers=app.auth()
    )
    assert made.status_code == 201, made.text
    return int(made.json()["number"])


def _call(app: PagingApp, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
    answer = app.client.request(method, path, json=body, headers=app.auth())
    assert answer.status_code == expect, answer.text
    return answer.json()


def _resolve(app: PagingApp, number: int) -> None:
    _call(app, "POST", f"/api/v1/incidents/{number}/resolve", {"note": "rolled back"})


def _staff_and_resolve(app: PagingApp, number: int) -> None:
    for role, user in (("ic", "alice"), ("scribe", "carol"), ("postmortem_owner", "bob")):
        _call(app, "POST", f"/api/v1/incidents/{number}/roles", {"role": role, "user": user})
    _call(app, "POST", f"/api/v1/incidents/{number}/acknowledge", {"note": ""})
    app.clock.advance(timedelta(minutes=30))
    _resolve(app, number)


def _events(app: PagingApp, number: int, kind: str) -> list[str]:
    view = _call(app, "GET", f"/api/v1/incidents/{number}")
    return [e["message"] for e in view["timeline"] if e["kind"] == kind]


def test_resolving_a_sev1_drafts_its_postmortem_from_the_incident(paging: PagingApp) -> None:
    number = _declare(paging)
    _staff_and_resolve(paging, number)
    resolved_at = paging.clock.now()
    _call(paging, "GET", f"/api/v1/incidents/{number}/postmortem", expect=404)
    paging.tick()  # the learning watch drafts it
    pm = _call(paging, "GET", f"/api/v1/incidents/{number}/postmortem")
    assert pm["status"] == "draft"
    assert pm["reference"] == f"INC-{number:04d}"
    assert pm["owner"] == "Bob"  # the Postmortem Owner before the IC
    assert pm["due_at"].startswith((resolved_at + timedelta(hours=48)).isoformat()[:19])
    assert pm["draft_due_at"].startswith((resolved_at + timedelta(hours=4)).isoformat()[:19])
    assert {"role": "incident_commander", "name": "Alice"} in pm["facts"]["team"]
    assert pm["facts"]["ttr_seconds"] == 30 * 60
    assert pm["tables"]["technical_impact"][0] == ["Services Affected", "checkout"]
    assert pm["tables"]["user_impact"][0] == ["Users Affected", ""]
    assert pm["missing_for_final"][:2] == ["write the Executive Summary section", "write the What Happened section"]
    drafted = _events(paging, number, "postmortem")
    assert len(drafted) == 1
    assert drafted[0].startswith("Postmortem drafted (SEV-1: due ")
    work = _call(paging, "GET", f"/api/v1/incidents/{number}/response")
    scribe = next(c for c in work["checklists"] if c["key"] == "role:scribe")
    assert next(i for i in scribe["items"] if i["key"] == "prepare-initial-postmortem-draft")["done_at"]
    paging.tick()
    assert len(_events(paging, number, "postmortem")) == 1  # drafted once


def test_sev3_gets_a_postmortem_on_request_only_and_old_history_is_left_alone(paging: PagingApp) -> None:
    minor = _declare(paging, "SEV-3", "Slow search")
    _resolve(paging, minor)
    old = _declare(paging, "SEV-2", "Imported outage")
    _resolve(paging, old)
    with paging.container.engine.begin() as conn:
        import sqlalchemy as sa

        conn.execute(
            sa.text("UPDATE incidents SET resolved_at = :at WHERE number = :n"),
            {"at": paging.clock.now() - timedelta(days=30), "n": old},
        )
    paging.tick()
    assert paging.rows("SELECT count(*) FROM postmortems") == [(0,)]
    made = paging.client.post(f"/api/v1/incidents/{minor}/postmortem", headers=paging.auth())
    assert made.status_code == 201
    assert made.json()["due_at"] is None
    again = paging.client.post(f"/api/v1/incidents/{minor}/postmortem", headers=paging.auth())
    assert again.status_code == 200
    assert again.json()["id"] == made.json()["id"]
    listed = _call(paging, "GET", "/api/v1/postmortems")
    assert [p["incident_number"] for p in listed] == [minor]


def test_edits_carry_the_version_and_a_stale_one_is_refused(paging: PagingApp) -> None:
    number = _declare(paging)
    _resolve(paging, number)
    pm = _call(paging, "POST", f"/api/v1/incidents/{number}/postmortem", expect=201)
    path = f"/api/v1/incidents/{number}/postmortem"
    saved = _call(
        paging, "PATCH", path, {"version": pm["version"], "sections": {"executive_summary": "Checkout failed."}}
    )
    assert saved["version"] == pm["version"] + 1
    assert saved["sections"]["executive_summary"] == "Checkout failed."
    stale = paging.client.patch(
        path, json={"version": pm["version"], "sections": {"what_happened": "x"}}, headers=paging.auth()
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["details"][0]["field"] == "version"
    assert _call(paging, "GET", path)["sections"]["what_happened"] == ""  # nothing half-written
    for body, field in (
        ({"sections": {"gossip": "x"}}, "sections.gossip"),
        ({"tables": {"root_causes": [["one"]]}}, "tables.root_causes.0"),
        ({"owner": "zed"}, "owner"),
        ({"first_symptom_at": "2030-01-01T00:00:00Z"}, "first_symptom_at"),
    ):
        bad = paging.client.patch(path, json=body, headers=paging.auth())
        assert bad.status_code == 422, (body, bad.text)
        assert bad.json()["error"]["details"][0]["field"] == field


def test_first_symptom_moves_the_time_to_detect(paging: PagingApp) -> None:
    number = _declare(paging)
    opened = paging.clock.now()
    _resolve(paging, number)
    path = f"/api/v1/incidents/{number}/postmortem"
    _call(paging, "POST", path, expect=201)
    assert _call(paging, "GET", path)["facts"]["ttd_seconds"] == 0
    symptom = (opened - timedelta(minutes=12)).isoformat()
    view = _call(paging, "PATCH", path, {"first_symptom_at": symptom})
    assert view["facts"]["ttd_seconds"] == 12 * 60
    assert view["facts"]["first_symptom_set"] is True
    cleared = _call(paging, "PATCH", path, {"clear_first_symptom": True})
    assert (cleared["facts"]["ttd_seconds"], cleared["facts"]["first_symptom_set"]) == (0, False)


def test_blaming_language_is_flagged_and_keeps_it_from_final(paging: PagingApp) -> None:
    number = _declare(paging)
    _staff_and_resolve(paging, number)
    path = f"/api/v1/incidents/{number}/postmortem"
    _call(paging, "POST", path, expect=201)
    view = _call(
        paging, "PATCH", path, {"sections": {"what_happened": "Bob forgot to raise the pool size. It was careless."}}
    )
    found = view["blameless_findings"]
    assert [f["what"] for f in found] == ["names a person as the cause", "judges care"]
    assert all(f["where"] == "What Happened" for f in found)
    assert "reword 2 passage(s) the blamelessness check flags" in view["missing_for_final"]
    view = _call(paging, "PATCH", path, {"sections": {"what_happened": "The pool size stayed at its default of 10."}})
    assert view["blameless_findings"] == []


def test_status_moves_sign_offs_and_edits_in_review(paging: PagingApp) -> None:
    number = _declare(paging)
    _staff_and_resolve(paging, number)
    path = f"/api/v1/incidents/{number}/postmortem"
    _call(paging, "POST", path, expect=201)
    early = paging.client.post(
        f"{path}/signoffs", json={"role": "service_owner", "user": "alice"}, headers=paging.auth()
    )
    assert early.status_code == 409  # sign-off happens in review
    refused = paging.client.post(f"{path}/status", json={"status": "final"}, headers=paging.auth())
    assert refused.status_code == 409
    assert refused.json()["error"]["details"][0]["allowed"] == ["in_review"]
    _call(paging, "POST", f"{path}/status", {"status": "review"})
    signed = _call(paging, "POST", f"{path}/signoffs", {"role": "service_owner", "user": "alice"})
    assert [s["name"] for s in signed["signoffs"]] == ["Alice"]
    token_alone = paging.client.post(f"{path}/signoffs", json={"role": "engineering_manager"}, headers=paging.auth())
    assert token_alone.status_code == 422
    assert token_alone.json()["error"]["details"][0]["field"] == "user"
    edited = _call(paging, "PATCH", path, {"sections": {"went_well": "Rollback was quick."}})
    assert edited["signoffs"] == []  # they approved the text before the edit
    assert any("sign-offs cleared" in m for m in _events(paging, number, "postmortem"))
    not_ready = paging.client.post(f"{path}/status", json={"status": "final"}, headers=paging.auth())
    assert not_ready.status_code == 409
    assert "sign-off by the Postmortem Owner" in not_ready.json()["error"]["details"][0]["missing"]


def test_meeting_schedule_and_checklist(paging: PagingApp) -> None:
    number = _declare(paging)
    _staff_and_resolve(paging, number)
    path = f"/api/v1/incidents/{number}/postmortem"
    _call(paging, "POST", path, expect=201)
    when = (paging.clock.now() + timedelta(days=1)).isoformat()
    view = _call(paging, "POST", f"{path}/meeting", {"at": when, "attendees": ["Alice", "Bob", "Alice"]})
    assert view["meeting"]["attendees"] == ["Alice", "Bob"]
    assert [a["minutes"] for a in view["meeting"]["agenda"]] == [5, 10, 10, 15, 15, 5]
    before = view["meeting"]["checklist"][0]
    assert {i["key"]: i["done"] for i in before["items"]} == {
        "timeline-drafted": True,
        "impact-data-collected": False,
        "participants-invited": True,
        "document-shared-for-async-input": False,
    }
    ticked = _call(paging, "POST", f"{path}/meeting/checklist/before/impact-data-collected", {"done": True})
    assert next(i for i in ticked["meeting"]["checklist"][0]["items"] if i["key"] == "impact-data-collected")["done"]
    bad = paging.client.post(f"{path}/meeting/checklist/before/coffee", json={"done": True}, headers=paging.auth())
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "item"
    work = _call(paging, "GET", f"/api/v1/incidents/{number}/response")
    resolution = next(c for c in work["checklists"] if c["key"] == "resolution")
    assert next(i for i in resolution["items"] if i["key"] == "postmortem-scheduled")["done_at"]


def test_an_overdue_postmortem_reminds_its_owner_once_a_day(paging: PagingApp) -> None:
    number = _declare(paging)
    _staff_and_resolve(paging, number)
    paging.tick()
    paging.clock.advance(timedelta(hours=49))
    paging.tick()
    reminders = [
        (a, n) for a, n in paging.recorder.sent if isinstance(n, MessageNotice) and "postmortem overdue" in n.subject
    ]
    assert [a for a, _n in reminders] == ["bob@example.com"]
    assert _call(paging, "GET", f"/api/v1/incidents/{number}/postmortem")["overdue"] is True
    assert [p["incident_number"] for p in _call(paging, "GET", "/api/v1/postmortems?overdue=true")] == [number]
    paging.clock.advance(timedelta(hours=1))
    paging.tick()
    assert (
        len([n for _a, n in paging.recorder.sent if isinstance(n, MessageNotice) and "postmortem overdue" in n.subject])
        == 1
    )
    paging.clock.advance(timedelta(hours=24))
    paging.tick()
    assert (
        len([n for _a, n in paging.recorder.sent if isinstance(n, MessageNotice) and "postmortem overdue" in n.subject])
        == 2
    )
    assert len([m for m in _events(paging, number, "postmortem") if m.startswith("Postmortem overdue")]) == 2


def test_action_items_are_tracked_mirrored_and_reminded(paging: PagingApp) -> None:
    paging.container.settings.learning.action_items_webhook_url = "https://tracker.example/hooks/firebell"
    number = _declare(paging)
    today = paging.clock.now().date()
    item = _call(
        paging,
        "POST",
        "/api/v1/action-items",
        {
            "incident": str(number),
            "title": "Alert at 80 % pool use",
            "priority": "P1",
            "kind": "detection",
            "owner": "carol",
            "due": (today + timedelta(days=2)).isoformat(),
        },
        expect=201,
    )
    assert (item["ref"], item["owner"], item["status"], item["overdue"]) == (
        f"AI-{item['number']}",
        "Carol",
        "open",
        False,
    )
    changed = _call(
        paging, "PATCH", f"/api/v1/action-items/{item['ref']}", {"status": "in_progress", "ticket": "OPS-1"}
    )
    assert (changed["status"], changed["ticket"], changed["version"]) == ("in_progress", "OPS-1", 2)
    paging.tick()
    mirrored = [n for a, n in paging.recorder.sent if isinstance(n, EventNotice)]
    assert [(n.event, n.data["status"], n.data["version"]) for n in mirrored] == [
        ("action_item.created", "open", 1),
        ("action_item.updated", "in_progress", 2),
    ]
    assert all(
        a == "https://tracker.example/hooks/firebell" for a, n in paging.recorder.sent if isinstance(n, EventNotice)
    )
    assert len({n.idempotency_key for n in mirrored}) == 2
    paging.clock.advance(timedelta(days=3))
    paging.tick()
    paging.tick()
    # The open incident's overdue status updates remind someone too (Carol, on call at level 2): not counted here.
    overdue = [
        a
        for a, n in paging.recorder.sent
        if isinstance(n, MessageNotice) and "overdue" in n.subject and "status update" not in n.subject
    ]
    assert overdue == ["https://hooks.example/carol"]
    assert _call(paging, "GET", "/api/v1/action-items?overdue=true")[0]["ref"] == item["ref"]
    done = _call(paging, "PATCH", f"/api/v1/action-items/{item['ref']}", {"status": "done"})
    assert done["completed_at"] is not None
    assert done["overdue"] is False
    rate = _call(paging, "GET", "/api/v1/action-items/completion")
    assert (rate["total"], rate["on_time"], rate["late"], rate["rate"], rate["met"]) == (1, 0, 1, 0.0, False)
    timeline = _events(paging, number, "action_item")
    assert timeline[0].startswith(
        f"Action item {item['ref']} (P1, detection) added: Alert at 80 % pool use, owner Carol"
    )
    assert any("marked done" in m for m in timeline)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"incident": "1", "title": "x", "priority": "P9"}, 422, "priority"),
        ({"incident": "1", "title": "x", "kind": "someday"}, 422, "kind"),
        ({"incident": "1", "title": "x", "owner": "zed"}, 422, "owner"),
        ({"incident": "1", "title": "   "}, 422, "title"),
        ({"incident": "1", "title": "x", "due": "tomorrow"}, 422, "due"),
    ],
)
def test_bad_action_items_name_the_field_and_write_nothing(
    paging: PagingApp, body: dict[str, Any], status: int, field: str
) -> None:
    _declare(paging)
    answer = paging.client.post("/api/v1/action-items", json=body, headers=paging.auth())
    assert answer.status_code == status, answer.text
    assert field in str(answer.json()["error"]["details"][0].get("field", ""))
    assert paging.rows("SELECT count(*) FROM action_items") == [(0,)]
    assert (
        paging.client.post(
            "/api/v1/action-items", json={"incident": "99", "title": "x"}, headers=paging.auth()
        ).status_code
        == 404
    )


def test_meeting_times_are_kept_in_utc_and_first_symptoms_precede_detection(paging: PagingApp) -> None:
    number = _declare(paging)
    opened = paging.clock.now()
    paging.clock.advance(timedelta(minutes=10))
    _resolve(paging, number)
    path = f"/api/v1/incidents/{number}/postmortem"
    _call(paging, "POST", path, expect=201)
    view = _call(paging, "POST", f"{path}/meeting", {"at": "2030-01-01T10:00:00+02:00", "attendees": []})
    assert view["meeting"]["at"] == "2030-01-01T08:00:00+00:00"
    late = paging.client.patch(
        path, json={"first_symptom_at": (opened + timedelta(minutes=5)).isoformat()}, headers=paging.auth()
    )
    assert late.status_code == 422
    assert late.json()["error"]["details"][0]["field"] == "first_symptom_at"


def test_only_the_owner_signs_as_owner_and_signing_for_others_needs_admin(paging: PagingApp) -> None:
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.identity.service import create_token
    from firebell.infra.db import transaction

    number = _declare(paging)
    _staff_and_resolve(paging, number)  # Bob is the Postmortem Owner
    path = f"/api/v1/incidents/{number}/postmortem"
    _call(paging, "POST", path, expect=201)
    _call(paging, "POST", f"{path}/status", {"status": "review"})
    as_alice = paging.client.post(f"{path}/signoffs", json={"role": "owner", "user": "alice"}, headers=paging.auth())
    assert as_alice.status_code == 403
    assert as_alice.json()["error"]["details"][0]["field"] == "role"
    _call(paging, "POST", f"{path}/signoffs", {"role": "owner", "user": "bob"})
    with transaction(paging.container.engine, write=True) as conn:
        writer = create_token(repo=SqlIdentityRepo(conn), name="script", scope="respond", now=paging.clock.now())
    forged = paging.client.post(
        f"{path}/signoffs",
        json={"role": "engineering_manager", "user": "carol"},
        headers={"authorization": f"Bearer {writer}"},
    )
    assert forged.status_code == 403
    assert [s["role"] for s in _call(paging, "GET", path)["signoffs"]] == ["postmortem_owner"]


def test_the_draft_lists_the_services_slos_for_their_incident_window_figures(paging: PagingApp) -> None:
    patched = paging.client.patch(
        "/api/v1/services/checkout",
        json={
            "slos": [
                {"kind": "availability", "target": "99.9%", "window": "30d"},
                {"kind": "latency_p99", "target": "< 500ms", "window": "5m"},
            ]
        },
        headers=paging.auth(),
    )
    assert patched.status_code == 200, patched.text
    number = _declare(paging)
    _resolve(paging, number)
    pm = _call(paging, "POST", f"/api/v1/incidents/{number}/postmortem", expect=201)
    rows = pm["tables"]["slo_impact"]
    assert [r[0] for r in rows] == ["Availability", "Latency (p99)"]
    assert all(r[2:] == ["", ""] for r in rows)
    assert "99.9" in rows[0][1]
