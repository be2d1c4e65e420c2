"""The paging engine on a real database, driven by a manual clock: escalation, acknowledgement,
resolution, reassignment, catch-up after downtime, retries and the delivery log.

Channels here are in-memory recorders (the e2e tests send to real SMTP and HTTP receivers); the
clock only moves when a test says so, and the engine runs only when a test ticks it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr

from firebell.identity.repo import SqlIdentityRepo
from firebell.infra.db import transaction
from firebell.paging.links import slack_signature
from firebell.paging.messages import PageNotice, ShiftNotice, plain_text
from firebell.paging.ports import PermanentDeliveryError, RetryableDeliveryError
from tests.integration.conftest import PagingApp, apply_config


def _fire(app: PagingApp, summary: str = "checkout is down") -> int:
    sent = app.client.post(
        "/api/v1/alerts",
        json={"service": "checkout", "severity": "critical", "summary": summary, "dedup_key": summary},
        headers=app.auth(),
    )
    assert sent.status_code == 202, sent.text
    incidents = app.client.get("/api/v1/incidents?status=open", headers=app.auth()).json()
    return int(next(i["number"] for i in incidents if i["title"] == summary))


def _pages(app: PagingApp) -> list[tuple[str, Any]]:
    """What the channels were given but reminders of overdue status updates, which go to the people
    paged when nobody holds a role."""
    return [(address, notice) for address, notice in app.recorder.sent if getattr(notice, "kind", "") != "reminder"]


def _who(app: PagingApp) -> list[tuple[str, str]]:
    """Who was paged, in order (notices that are not pages, such as reminders to the IC, aside)."""
    return [(address, notice.person) for address, notice in app.recorder.sent if isinstance(notice, PageNotice)]


def _later(app: PagingApp, **delta: float) -> None:
    app.clock.advance(timedelta(**delta))
    app.tick()


def test_levels_page_in_turn_until_acknowledged(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.tick()
    assert _who(paging) == [("alice@example.com", "Alice")]  # level 1: on call now; Slack waits 1 min
    notice = paging.recorder.sent[0][1]
    assert (notice.number, notice.level, notice.sev, notice.service) == (number, 1, "SEV-1", "checkout")
    assert notice.incident_url == f"http://firebell.test/incidents/{number}"
    assert notice.ack_url.startswith("http://firebell.test/ack/")
    _later(paging, minutes=1)
    assert _who(paging)[1] == ("https://hooks.example/alice", "Alice")
    _later(paging, minutes=3, seconds=59)
    assert len(_who(paging)) == 2  # level 2 is due at 5 min, not before
    _later(paging, seconds=1)
    assert _who(paging)[2] == ("https://hooks.example/carol", "Carol")
    ack = paging.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging.auth())
    assert ack.json()["status"] == "acknowledged"
    _later(paging, hours=2)
    assert len(_who(paging)) == 3  # nobody else is paged after the acknowledgement
    body = paging.client.get(f"/api/v1/incidents/{number}/pages", headers=paging.auth()).json()
    assert [e["state"] for e in body["escalations"]] == ["acknowledged"]
    assert [(p["level"], p["person"]) for p in body["pages"]] == [(1, "Alice"), (2, "Carol")]
    timeline = paging.client.get(f"/api/v1/incidents/{number}", headers=paging.auth()).json()["timeline"]
    assert [e["message"] for e in timeline if e["kind"] == "paged"] == [
        "Level 1 paged: Alice (email, slack)",
        "Level 2 paged: Carol (webhook)",
    ]


def test_acknowledging_cancels_notifications_not_yet_sent(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.tick()
    paging.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging.auth())
    _later(paging, minutes=2)
    assert _who(paging) == [("alice@example.com", "Alice")]  # the 1-minute Slack message never went
    log = paging.client.get(f"/api/v1/deliveries?incident={number}", headers=paging.auth()).json()
    assert sorted((d["channel"], d["status"]) for d in log) == [("email", "sent"), ("slack", "cancelled")]


def test_resolve_stops_everything(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.tick()
    resolved = paging.client.post(f"/api/v1/incidents/{number}/resolve", headers=paging.auth())
    assert resolved.json()["status"] == "resolved"
    _later(paging, hours=1)
    assert len(_who(paging)) == 1
    escalations = paging.client.get(f"/api/v1/incidents/{number}/pages", headers=paging.auth()).json()["escalations"]
    assert [e["state"] for e in escalations] == ["resolved"]


def test_unanswered_policy_repeats_then_is_exhausted(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.tick()
    for _ in range(12):
        _later(paging, minutes=5)
    people = [n.person for _a, n in _pages(paging) if not _a.endswith("/alice")]
    assert people == ["Alice", "Carol", "Alice", "Carol"]  # two passes (repeat: 1), then nothing
    escalation = paging.client.get(f"/api/v1/incidents/{number}/pages", headers=paging.auth()).json()["escalations"][0]
    assert escalation["state"] == "exhausted"
    assert escalation["steps_taken"] == 4
    timeline = paging.client.get(f"/api/v1/incidents/{number}", headers=paging.auth()).json()["timeline"]
    assert "Level 1, round 2 paged: Alice (email, slack)" in [e["message"] for e in timeline]
    assert [e["kind"] for e in timeline].count("escalation_exhausted") == 1


def test_steps_that_fell_due_while_down_are_paged_once_each(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.clock.advance(timedelta(minutes=16))  # the engine was down for levels 1, 2 and round 2's level 1
    paging.tick()
    paging.tick()
    pages = paging.client.get(f"/api/v1/incidents/{number}/pages", headers=paging.auth()).json()["pages"]
    # Steps 0 (Alice), 1 (Carol) and 2 (Alice, round 2) fell due: each person is paged once, for
    # their latest step, and not again on the next tick.
    assert [(p["step"], p["level"], p["person"]) for p in pages] == [(1, 2, "Carol"), (2, 1, "Alice")]
    lateness = [p["due_at"] for p in pages]
    assert lateness == sorted(lateness)
    emails = [a for a, _n in paging.recorder.sent if a == "alice@example.com"]
    assert len(emails) == 1


def test_reassigning_an_acknowledged_incident_pages_the_new_person(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.tick()
    paging.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging.auth())
    moved = paging.client.post(f"/api/v1/incidents/{number}/reassign", json={"user": "bob"}, headers=paging.auth())
    assert moved.status_code == 200, moved.text
    paging.tick()
    assert _who(paging)[-1] == ("bob@example.com", "Bob")
    _later(paging, minutes=10)
    assert _who(paging)[-1] == ("bob@example.com", "Bob")  # Bob has not acknowledged: paged again
    assert len(_who(paging)) == 3
    paging.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging.auth())
    _later(paging, minutes=30)
    assert len(_who(paging)) == 3
    states = [
        e["state"]
        for e in paging.client.get(f"/api/v1/incidents/{number}/pages", headers=paging.auth()).json()["escalations"]
    ]
    assert states == ["acknowledged", "acknowledged"]
    by_policy = paging.client.post(
        f"/api/v1/incidents/{number}/reassign", json={"policy": "carol-only"}, headers=paging.auth()
    )
    assert by_policy.status_code == 200
    paging.tick()
    assert _who(paging)[-1] == ("https://hooks.example/carol", "Carol")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "policy"),
        ({"user": "bob", "policy": "carol-only"}, "user"),
        ({"user": "nobody"}, "user"),
        ({"policy": "nope"}, "policy"),
        ({"user": "bob", "x": 1}, "x"),
    ],
)
def test_bad_reassignments_are_refused_naming_the_field(paging: PagingApp, body: dict[str, Any], field: str) -> None:
    number = _fire(paging)
    r = paging.client.post(f"/api/v1/incidents/{number}/reassign", json=body, headers=paging.auth())
    assert r.status_code == 422, r.text
    assert field in r.text
    assert paging.scalar("select count(*) from escalations where state = 'replaced'") == 0


def test_retries_back_off_then_fail_visibly_while_escalation_goes_on(paging: PagingApp) -> None:
    recorder = paging.recorder
    recorder.failures = {"alice@example.com": [RetryableDeliveryError("HTTP 503")] * 5}
    number = _fire(paging)
    paging.tick()  # attempt 1 fails
    waits = []
    for _ in range(4):
        due = paging.scalar("select due_at from deliveries where channel = 'email'")
        waits.append(due)
        paging.clock.advance(timedelta(minutes=1))  # waits are 5, 10, 20, 40 s (±20 %)
        paging.tick()
    log = paging.client.get(f"/api/v1/deliveries?incident={number}", headers=paging.auth()).json()
    email = next(d for d in log if d["channel"] == "email")
    assert email["status"] == "failed"
    assert [a["outcome"] for a in email["log"]] == ["retry"] * 4 + ["failed"]
    assert email["last_error"] == "HTTP 503"
    assert len({str(w) for w in waits}) == 4  # each retry was rescheduled
    # The failed email does not stop escalation: level 2 is paged on time.
    _later(paging, minutes=1)
    assert ("https://hooks.example/carol", "Carol") in _who(paging)
    failed = paging.client.get("/api/v1/deliveries?status=failed", headers=paging.auth()).json()
    assert [d["id"] for d in failed] == [email["id"]]
    timeline = paging.client.get(f"/api/v1/incidents/{number}", headers=paging.auth()).json()["timeline"]
    gave_up = [e["message"] for e in timeline if e["kind"] == "notification_failed"]
    assert gave_up == ["Notification failed for good: email to Alice, after 5 attempt(s): HTTP 503"]
    bad = paging.client.get("/api/v1/deliveries?status=bogus", headers=paging.auth())
    assert bad.status_code == 422
    assert "status" in bad.text


def test_a_permanent_refusal_is_not_retried(paging: PagingApp) -> None:
    paging.recorder.failures = {"alice@example.com": [PermanentDeliveryError("550 no such user")]}
    number = _fire(paging)
    paging.tick()
    log = paging.client.get(f"/api/v1/deliveries?incident={number}", headers=paging.auth()).json()
    email = next(d for d in log if d["channel"] == "email")
    assert (email["status"], email["attempts"], email["last_error"]) == ("failed", 1, "550 no such user")


def test_after_hours_pages_are_flagged_in_the_persons_zone(paging: PagingApp) -> None:
    paging.clock.advance(timedelta(hours=12))  # 22:00 in New York, where Alice lives
    number = _fire(paging)
    paging.tick()
    pages = paging.client.get(f"/api/v1/incidents/{number}/pages", headers=paging.auth()).json()["pages"]
    assert [(p["person"], p["after_hours"]) for p in pages] == [("Alice", True)]
    assert paging.recorder.sent[0][1].after_hours


def test_a_service_without_a_policy_pages_nobody_and_says_so(paging: PagingApp) -> None:
    paging.add_service("quiet")
    paging.client.post(
        "/api/v1/alerts", json={"service": "quiet", "severity": "critical", "summary": "hm"}, headers=paging.auth()
    )
    paging.tick()
    assert _who(paging) == []
    assert paging.scalar("select count(*) from escalations") == 0


def test_page_preview_sends_nothing_and_shows_each_payload(paging: PagingApp) -> None:
    r = paging.client.get("/api/v1/services/checkout/page-preview", headers=paging.auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["policy"] == "checkout-primary"
    level1, level2 = body["levels"]
    assert [p["handle"] for p in level1["people"]] == ["alice"]
    channels = [(n["channel"], n["after"]) for n in level1["people"][0]["notifications"]]
    assert channels == [("email", "0s"), ("slack", "1m")]
    assert level1["people"][0]["notifications"][0]["payload"].startswith("Subject: [SEV-1] #0")
    slack = level1["people"][0]["notifications"][1]["payload"]
    assert [e["action_id"] for e in slack["blocks"][2]["elements"]] == ["acknowledge", "resolve", "open"]
    assert level2["pages_at"].startswith("2026-03-04T15:05:00")
    assert level2["people"][0]["notifications"][0]["payload"]["page"]["level"] == 2
    assert _who(paging) == []
    assert paging.scalar("select count(*) from deliveries") == 0
    assert paging.client.get("/api/v1/services/nope/page-preview", headers=paging.auth()).status_code == 404
    naive = paging.client.get("/api/v1/services/checkout/page-preview?at=2026-03-04T03:00", headers=paging.auth())
    assert naive.status_code == 422
    assert "at" in naive.text


def _status(app: PagingApp, number: int) -> str:
    return str(app.client.get(f"/api/v1/incidents/{number}", headers=app.auth()).json()["status"])


def test_the_link_in_a_page_acknowledges_with_one_button(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.tick()
    link = paging.recorder.sent[0][1].ack_url.removeprefix("http://firebell.test")
    shown = paging.client.get(link)
    assert shown.status_code == 200
    assert f"Acknowledge incident #{number}?" in shown.text
    assert _status(paging, number) == "detected"  # opening the link (a mail scanner does) changes nothing
    done = paging.client.post(link)
    assert done.status_code == 200
    assert "Escalation has stopped" in done.text
    assert _status(paging, number) == "acknowledged"
    timeline = paging.client.get(f"/api/v1/incidents/{number}", headers=paging.auth()).json()["timeline"]
    assert any(e["actor"] == "Alice" and "link" in e["message"] for e in timeline)
    _later(paging, minutes=30)
    assert len(_who(paging)) == 1


def test_a_tampered_or_expired_link_acknowledges_nothing(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.tick()
    link = paging.recorder.sent[0][1].ack_url.removeprefix("http://firebell.test")
    payload, signature = link.removeprefix("/ack/").split(".")
    forged = f"/ack/{payload[:-2]}xx.{signature}"
    assert "not issued by this Firebell" in paging.client.get(forged).text
    assert paging.client.post(forged).status_code == 409
    paging.clock.advance(timedelta(hours=24, seconds=1))
    expired = paging.client.post(link)
    assert expired.status_code == 409
    assert "expired" in expired.text
    assert _status(paging, number) == "detected"


def _slack(
    app: PagingApp,
    action: str,
    number_or_id: str,
    *,
    secret: str = "s3cret",  # noqa: S107
    age: int = 0,
    user: str = "U0BOB",
) -> Any:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "actions": [{"action_id": action, "value": number_or_id}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(app.clock.now().timestamp()) - age)
    headers = {
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": slack_signature(secret.encode(), timestamp, body),
        "content-type": "application/x-www-form-urlencoded",
    }
    return app.client.post("/api/v1/slack/actions", content=body, headers=headers)


def test_slack_buttons_act_only_on_signed_recent_requests(paging: PagingApp) -> None:
    paging.container.settings.slack.signing_secret = SecretStr("s3cret")
    number = _fire(paging)
    paging.tick()
    incident_id = paging.recorder.sent[0][1].incident_id
    assert _slack(paging, "acknowledge", incident_id, secret="wrong").status_code == 401
    assert _slack(paging, "acknowledge", incident_id, age=600).status_code == 401  # a replay
    assert _status(paging, number) == "detected"
    acked = _slack(paging, "acknowledge", incident_id)
    assert acked.status_code == 200
    assert acked.json()["text"] == f"Incident #{number} acknowledged by Bob"
    assert _status(paging, number) == "acknowledged"
    resolved = _slack(paging, "resolve", incident_id)
    assert resolved.json()["text"] == f"Incident #{number} resolved by Bob"
    again = _slack(paging, "resolve", incident_id)
    assert again.status_code == 200
    assert "resolved" in again.json()["text"]


def test_slack_acts_only_for_a_linked_user_with_the_responder_role(paging: PagingApp) -> None:
    paging.container.settings.slack.signing_secret = SecretStr("s3cret")
    # checkout becomes the payments team's; Bob (Slack's U0BOB) is only a viewer there.
    team = "teams:\n  - {name: payments, members: [alice], viewers: [bob]}\n"
    apply_config(
        paging, team + "services:\n  - {name: checkout, owner_team: payments, escalation_policy: checkout-primary}\n"
    )
    number = _fire(paging)
    paging.tick()
    incident_id = paging.recorder.sent[0][1].incident_id

    stranger = _slack(paging, "acknowledge", incident_id, user="U0NOBODY")
    assert stranger.status_code == 200
    assert (stranger.json()["response_type"], stranger.json()["replace_original"]) == ("ephemeral", False)
    text = stranger.json()["text"]
    assert "not linked to a Firebell user" in text
    assert "`slack_member_id: U0NOBODY` under your entry in `users:`" in text
    viewer = _slack(paging, "resolve", incident_id)
    assert viewer.json()["text"] == (
        f"You may not resolve incident #{number}: this needs the responder role on team payments; you are viewer"
    )
    assert _status(paging, number) == "detected"
    assert paging.scalar("SELECT count(*) FROM incident_events WHERE actor LIKE '%Slack%'") == 0

    with transaction(paging.container.engine, write=True) as conn:
        alice = SqlIdentityRepo(conn).user_by_handle("alice")
        assert alice is not None
        SqlIdentityRepo(conn).update_user(str(alice["id"]), {"slack_member_id": "U0ALICE"})
    acked = _slack(paging, "acknowledge", incident_id, user="U0ALICE")
    assert acked.json()["text"] == f"Incident #{number} acknowledged by Alice"
    assert _status(paging, number) == "acknowledged"


def test_slack_refuses_everything_when_no_signing_secret_is_set(paging: PagingApp) -> None:
    number = _fire(paging)
    paging.tick()
    incident_id = paging.recorder.sent[0][1].incident_id
    assert _slack(paging, "acknowledge", incident_id, secret="").status_code == 401
    assert _status(paging, number) == "detected"


def test_shift_reminders_and_the_handoff_report_go_out_once_each(paging: PagingApp) -> None:
    def notices() -> list[tuple[str, str, str]]:
        return [(address, n.kind, n.person) for address, n in paging.recorder.sent if isinstance(n, ShiftNotice)]

    paging.tick()
    number = _fire(paging)  # a page to Alice during her shift, for her handoff report
    paging.tick()
    paging.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=paging.auth())
    # Bob's week starts Monday 9 March at 09:00 in New York (13:00 UTC, after the switch to summer
    # time on the 8th); now is Wednesday 4 March, 15:00 UTC.
    paging.clock.advance(timedelta(days=2, hours=22, seconds=30))  # Saturday 13:00:30 UTC
    paging.tick()
    paging.tick()
    assert notices() == [("bob@example.com", "48h", "Bob")]
    paging.clock.advance(timedelta(days=1))
    paging.tick()
    assert notices()[-1] == ("bob@example.com", "24h", "Bob")
    paging.clock.advance(timedelta(days=1))
    paging.tick()
    assert sorted(notices()[2:]) == [
        ("alice@example.com", "handoff", "Alice"),
        ("bob@example.com", "start", "Bob"),
        ("https://hooks.example/alice", "handoff", "Alice"),
    ]
    handoff = next(n for _a, n in paging.recorder.sent if isinstance(n, ShiftNotice) and n.kind == "handoff")
    assert handoff.next_person == "Bob"
    assert handoff.report[0] == "1 page(s) to you for 1 incident(s), 0 after hours"
    assert f"  #{number} SEV-1 acknowledged: checkout is down" in handoff.report
    assert "Hand over the open incidents below with their status" in handoff.checklist
    start = next(n for _a, n in paging.recorder.sent if isinstance(n, ShiftNotice) and n.kind == "start")
    assert start.headline.startswith("Your on-call shift on checkout-primary starts now")
    for _ in range(3):
        _later(paging, minutes=5)
    assert len(notices()) == 5  # nothing is sent twice


def test_the_escalation_matrix_by_category_routes_alerts_and_carries_first_actions(paging_app: PagingApp) -> None:
    paging_app.add_service("checkout", grouping_window_seconds=0)
    paging_app.add_integration("checkout", "webhook")
    apply_config(paging_app, (Path(__file__).resolve().parents[2] / "examples" / "escalation-matrix.yaml").read_text())
    paging_app.container.deliveries.channels = {"email": paging_app.recorder}

    def send(summary: str, labels: dict[str, str]) -> None:
        body = {"service": "checkout", "severity": "critical", "summary": summary, "labels": labels}
        assert paging_app.client.post("/api/v1/alerts", json=body, headers=paging_app.auth()).status_code == 202

    send("token leaked", {"category": "Security"})
    send("checkout crash loop", {})
    paging_app.tick()
    paging_app.clock.advance(timedelta(minutes=10))
    paging_app.tick()
    seen = [(n.title, n.level, n.person, n.action) for _a, n in paging_app.recorder.sent]
    assert ("token leaked", 1, seen[0][2], "Isolate the affected systems") in seen
    assert ("checkout crash loop", 1, seen[0][2], "Restart or roll back") in seen
    assert ("token leaked", 2, "Sam SecOps", "SecOps takes over") in seen  # security's 10-minute level 1
    text_of = next(n for _a, n in paging_app.recorder.sent if n.level == 2)
    assert "First action at this level: SecOps takes over" in plain_text(text_of)
    preview = paging_app.client.get(
        "/api/v1/services/checkout/page-preview?category=infra/cloud", headers=paging_app.auth()
    ).json()
    assert preview["policy"] == "infra-cloud"
    assert [level["action"] for level in preview["levels"]] == [
        "Fail over",
        "Platform team engages",
        "VP Engineering is informed",
    ]


def test_an_alert_firing_again_after_a_manual_resolve_opens_a_new_incident_and_pages(paging: PagingApp) -> None:
    first = _fire(paging, "db down")
    paging.tick()
    paging.client.post(f"/api/v1/incidents/{first}/resolve", headers=paging.auth())
    alerts = paging.client.get(f"/api/v1/incidents/{first}", headers=paging.auth()).json()["alerts"]
    assert [a["status"] for a in alerts] == ["resolved"]
    paging.clock.advance(timedelta(minutes=1))
    second = _fire(paging, "db down")
    assert second != first
    paging.tick()
    assert [n.number for _a, n in paging.recorder.sent if _a == "alice@example.com"] == [first, second]
