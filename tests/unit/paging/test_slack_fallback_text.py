"""Slack's fallback `text` (notifications, and the message when blocks cannot be shown) is mrkdwn:
what a sender or a responder wrote is escaped there as in the blocks, so it cannot mention a channel
or show a link of its own."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from firebell.paging.messages import (
    EventNotice,
    MessageNotice,
    Notice,
    PageNotice,
    RoomNotice,
    ShiftNotice,
    slack_payload,
    subject,
)

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
HOSTILE = "<!channel> & <https://evil.example|click here> <@U0123>"
PAGE = PageNotice(
    incident_id="inc1",
    number=7,
    title=HOSTILE,
    sev="SEV-1",
    service="checkout",
    status="detected",
    level=1,
    opened_at=NOW,
    due_at=NOW + timedelta(minutes=5),
    incident_url="http://firebell.test/incidents/7",
    ack_url="http://firebell.test/ack/abc",
    after_hours=False,
    person="Alice",
)
NOTICES: dict[str, Notice] = {
    "page": PAGE,
    "page with a hostile service": replace(PAGE, title="Checkout down", service=HOSTILE),
    "message": MessageNotice("communication", "inc1", 7, HOSTILE, "body", "body", PAGE.incident_url),
    "event": EventNotice("action_item.created", HOSTILE, {}),
    "shift": ShiftNotice("24h", "Alice", HOSTILE, NOW, NOW + timedelta(days=7), (), (), "http://firebell.test/oncall"),
}
MARKUP = re.compile(r"<[!@#]|<https?://")  # a mention, or a link of the sender's


@pytest.mark.parametrize("kind", NOTICES)
def test_the_fallback_text_is_escaped_as_the_blocks_are(kind: str) -> None:
    notice = NOTICES[kind]
    text = slack_payload(notice)["text"]
    assert not MARKUP.search(text), text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;" in text
    # Plain-text channels (email subjects) still say it as written.
    assert "<!channel> & <https://evil.example|click here>" in subject(notice)


def test_the_war_room_fallback_has_no_markup_of_its_own() -> None:
    room = RoomNotice("inc1", 7, "inc-7", "topic", (), HOSTILE, PAGE.incident_url)
    payload = slack_payload(room)
    assert payload["text"] == "War room #inc-7 for incident #7"
    assert not MARKUP.search(payload["blocks"][0]["text"]["text"])
