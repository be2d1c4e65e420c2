"""What a page carries of its incident's alerts, on each channel and within each channel's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from firebell.alerts.details import MARKER, Digest, digest
from firebell.paging.messages import (
    SLACK_ALERTS,
    PageNotice,
    email_html,
    notice_from_message,
    plain_text,
    slack_payload,
    webhook_payload,
)

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>&<marquee>'


def notice(*alerts: Digest, more: int = 0) -> PageNotice:
    return PageNotice(
        incident_id="inc1",
        number=7,
        title="Checkout failing",
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
        alerts=alerts,
        more_alerts=more,
    )


def pd_alert(n: int = 1, **custom: object) -> Digest:
    return digest(
        {
            "id": f"a{n}",
            "summary": f"latency {n}",
            "severity": "critical",
            "status": "triggered",
            "source": "pagerduty",
            "details": {
                "custom_details": custom or {"ping time": "1500ms"},
                "images": [{"src": "https://charts.example/p99.png", "alt": "p99"}],
            },
            "links": [{"href": "https://status.example/api", "text": "Status"}, {"href": "javascript:alert(1)"}],
        }
    )


def test_the_stored_page_keeps_its_alerts() -> None:
    page = notice(pd_alert(), more=2)
    again = notice_from_message(json.loads(json.dumps(page.to_message())))
    assert again == page


def test_the_text_part_lists_each_alerts_details_links_and_images() -> None:
    text = plain_text(notice(pd_alert(), more=3))
    assert "Alerts (1 most recent of 4):" in text
    assert "- [critical] latency 1 (pagerduty, triggered)" in text
    assert "    ping time: 1500ms" in text
    assert "    Status: https://status.example/api" in text
    assert "    Image (p99): https://charts.example/p99.png" in text


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_part_escapes_everything_and_links_images_never_inlines_them() -> None:
    hostile = digest(
        {
            "summary": HOSTILE,
            "details": {"custom_details": {HOSTILE: HOSTILE}, "images": [{"src": "javascript:alert(2)"}]},
            "links": [{"href": "javascript:alert(1)", "text": HOSTILE}],
        }
    )
    html = email_html(notice(pd_alert(), hostile))
    assert html is not None
    parsed = Tags()
    parsed.feed(html)
    names = [t for t, _ in parsed.tags]
    assert "script" not in names
    assert "img" not in names
    assert "marquee" not in names
    hrefs = [a.get("href") or "" for t, a in parsed.tags if t == "a"]
    assert "https://charts.example/p99.png" in hrefs
    assert not any(h.startswith("javascript:") for h in hrefs)
    assert HOSTILE in "".join(parsed.text)
    assert "1500ms" in "".join(parsed.text)


def test_only_pages_have_an_html_part() -> None:
    from firebell.paging.messages import MessageNotice

    message = MessageNotice("communication", "inc1", 7, "Update", "text", "text", "http://x")
    assert email_html(message) is None


def test_slack_carries_the_details_within_its_block_limits() -> None:
    many = {f"key {i}": "v" * 5000 for i in range(15)}
    alerts = tuple(pd_alert(n, **many) for n in range(SLACK_ALERTS + 2))
    payload = slack_payload(notice(*alerts, more=10))
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    sections = [b for b in blocks if b["type"] == "section" and b.get("text", {}).get("text", "").startswith("*Alert*")]
    assert len(sections) == SLACK_ALERTS
    for section in sections:
        assert len(section["fields"]) <= 10
        assert all(len(f["text"]) <= 2000 for f in section["fields"])
        assert all(f["text"].endswith(MARKER) for f in section["fields"])
        assert len(section["text"]["text"]) <= 3000
    for block in blocks:
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
    assert "… and 12 more alert(s)" in json.dumps(payload, ensure_ascii=False)
    # The page's buttons stay.
    assert any(b["type"] == "actions" for b in blocks)


def test_slack_escapes_sender_text_and_links_only_web_addresses() -> None:
    hostile = digest(
        {
            "summary": "<!channel> down",
            "details": {"annotations": {"why": "<@U123> & co"}},
            "links": [
                {"href": "https://x.example/a|b>c", "text": "a|b"},
                {"href": "javascript:alert(1)", "text": "bad"},
            ],
        }
    )
    text = json.dumps(slack_payload(notice(hostile)), ensure_ascii=False)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; down" in text
    assert "&lt;@U123&gt; &amp; co" in text
    assert "<https://x.example/a%7Cb&gt;c|a¦b>" in text
    assert "<javascript:" not in text


def test_the_webhook_body_carries_each_alert_with_clipped_values() -> None:
    body = webhook_payload(notice(pd_alert(1, big="x" * 3000), more=1))
    (alert,) = body["alerts"]
    assert body["more_alerts"] == 1
    assert alert["id"] == "a1"
    assert alert["details"] == [{"key": "big", "value": "x" * (500 - len(MARKER)) + MARKER}]
    assert alert["links"][0] == {"href": "https://status.example/api", "text": "Status"}
    assert alert["images"] == [{"src": "https://charts.example/p99.png", "text": "p99"}]
