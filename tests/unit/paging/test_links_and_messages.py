"""Signed acknowledge links, Slack and webhook signatures, and what each channel carries."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from firebell.paging.links import (
    AckGrant,
    BadLink,
    sign_ack,
    slack_request_valid,
    slack_signature,
    verify_ack,
    webhook_signature,
)
from firebell.paging.messages import (
    PageNotice,
    ShiftNotice,
    notice_from_message,
    plain_text,
    slack_payload,
    subject,
    webhook_payload,
)

KEY = b"k" * 32
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def test_a_link_carries_its_grant_until_it_expires() -> None:
    grant = AckGrant("inc1", "user1", NOW + timedelta(hours=1))
    token = sign_ack(KEY, grant)
    assert verify_ack(KEY, token, NOW) == grant
    with pytest.raises(BadLink, match="expired"):
        verify_ack(KEY, token, NOW + timedelta(hours=1))


@pytest.mark.parametrize("change", ["signature", "payload", "no signature", "garbage"])
def test_a_changed_or_damaged_link_is_refused(change: str) -> None:
    token = sign_ack(KEY, AckGrant("inc1", "user1", NOW + timedelta(hours=1)))
    payload, signature = token.split(".")
    mangled = {
        "signature": f"{payload}.{signature[:-3]}abc",
        "payload": f"x{payload}.{signature}",
        "no signature": payload,
        "garbage": "...",
    }[change]
    with pytest.raises(BadLink):
        verify_ack(KEY, mangled, NOW)


def test_a_link_signed_with_another_key_is_refused() -> None:
    token = sign_ack(b"other", AckGrant("inc1", "user1", NOW + timedelta(hours=1)))
    with pytest.raises(BadLink, match="not issued"):
        verify_ack(KEY, token, NOW)


def test_slack_signature_matches_slacks_documented_scheme_and_refuses_replays() -> None:
    body = b"payload=%7B%7D"
    stamp = str(int(NOW.timestamp()))
    expected = "v0=" + hmac.new(b"secret", b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    assert slack_signature(b"secret", stamp, body) == expected
    assert slack_request_valid(b"secret", stamp, body, expected, NOW)
    assert not slack_request_valid(b"secret", stamp, body, expected, NOW + timedelta(minutes=6))
    assert not slack_request_valid(b"secret", stamp, body + b"x", expected, NOW)
    assert not slack_request_valid(b"secret", "not-a-number", body, expected, NOW)


def test_webhook_signature_covers_timestamp_and_body() -> None:
    one = webhook_signature(b"s", 100, b"{}")
    assert one.startswith("sha256=")
    assert one != webhook_signature(b"s", 101, b"{}")
    assert one != webhook_signature(b"s", 100, b"{ }")


PAGE = PageNotice(
    incident_id="inc1",
    number=42,
    title="<checkout> & friends down",
    sev="SEV-1",
    service="checkout",
    status="detected",
    level=2,
    opened_at=NOW,
    due_at=NOW + timedelta(minutes=5),
    incident_url="https://fb.example/incidents/42",
    ack_url="https://fb.example/ack/token",
    after_hours=True,
    person="Alice",
    idempotency_key="e:1:u:m",
    action="Roll back",
)


def test_every_channel_carries_the_page_and_the_stored_form_round_trips() -> None:
    assert subject(PAGE) == "[SEV-1] #42 <checkout> & friends down (checkout)"
    text = plain_text(PAGE)
    assert "Acknowledge (stops escalation): https://fb.example/ack/token" in text
    assert "First action at this level: Roll back" in text
    assert "outside your business hours" in text
    slack = slack_payload(PAGE)
    assert "&lt;checkout&gt; &amp; friends" in slack["blocks"][0]["text"]["text"]  # Slack's escaping
    hook = webhook_payload(PAGE)
    assert (hook["idempotency_key"], hook["page"]["level"], hook["page"]["first_action"]) == ("e:1:u:m", 2, "Roll back")
    assert notice_from_message(PAGE.to_message()) == PAGE
    with_runbook = replace(PAGE, runbook_url="https://runbooks.example/checkout")
    assert "Runbook: https://runbooks.example/checkout" in plain_text(with_runbook)
    buttons = [e["action_id"] for e in slack_payload(with_runbook)["blocks"][2]["elements"]]
    assert buttons == ["acknowledge", "resolve", "open", "runbook"]
    assert webhook_payload(with_runbook)["incident"]["runbook_url"] == "https://runbooks.example/checkout"


def test_shift_notices_render_their_checklist_and_round_trip() -> None:
    notice = ShiftNotice(
        kind="handoff",
        person="Alice",
        schedule="primary",
        start=NOW - timedelta(days=7),
        end=NOW,
        checklist=("Tell the channel",),
        report=("2 page(s) to you",),
        schedule_url="https://fb.example/oncall/primary",
        next_person="Bob",
        idempotency_key="shift:1",
    )
    assert subject(notice).startswith("[Handoff report] primary: Your on-call shift on primary has ended")
    text = plain_text(notice)
    assert "Bob takes over" in text
    assert "  [ ] Tell the channel" in text
    assert "  2 page(s) to you" in text
    assert webhook_payload(notice)["event"] == "shift_handoff"
    assert notice_from_message(notice.to_message()) == notice


def test_shown_addresses_hide_url_secrets_and_subjects_stay_on_one_line() -> None:
    from firebell.paging.messages import shown_address

    assert shown_address("https://hooks.slack.com/services/T0/B0/secret") == "https://hooks.slack.com/…"
    assert shown_address("tgram://bottoken@telegram/chat") == "tgram://***/…"
    assert shown_address("tgram://123456789:AAHfake/-1001234567") == "tgram://***/…"
    assert shown_address("pover://userkey@apptoken") == "pover://***/…"
    assert shown_address("discord://4174216298/tok") == "discord://***/…"
    assert shown_address("ntfys://ntfy.sh/topic") == "ntfys://ntfy.sh/…"
    assert shown_address("https://api.telegram.org/bot1:AAH/sendMessage") == "https://api.telegram.org/…"
    assert shown_address("https://h.example?token=abc") == "https://h.example/…"
    assert shown_address("https://example.com") == "https://example.com"
    assert shown_address("alice@example.com") == "alice@example.com"
    long_title = replace(PAGE, title="line one\nline two\t" + "x" * 300)
    line = subject(long_title)
    assert "\n" not in line
    assert line.startswith("[SEV-1] #42 line one line two x")
    assert len(line) == 200
