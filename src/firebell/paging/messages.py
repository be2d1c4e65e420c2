"""What a page says, on each channel: pure rendering, shared by sending and by the page preview.

A `PageNotice` holds the facts of one page; each channel's renderer turns it into that channel's
payload. The preview shows exactly these payloads, so what a person sees in the preview is what
the channel would carry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class PageNotice:
    incident_id: str
    number: int
    title: str
    sev: str
    service: str
    status: str
    level: int
    opened_at: datetime
    due_at: datetime
    incident_url: str
    ack_url: str  # a signed link that expires
    after_hours: bool
    person: str  # who is paged, as their name
    idempotency_key: str = ""

    def to_message(self) -> dict[str, Any]:
        """The stored form (a delivery row's `message`)."""
        data = asdict(self)
        data["opened_at"] = self.opened_at.isoformat()
        data["due_at"] = self.due_at.isoformat()
        return data

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> PageNotice:
        values = dict(data)
        values["opened_at"] = datetime.fromisoformat(values["opened_at"])
        values["due_at"] = datetime.fromisoformat(values["due_at"])
        return cls(**values)


def subject(notice: PageNotice) -> str:
    return f"[{notice.sev}] #{notice.number} {notice.title} ({notice.service})"


def plain_text(notice: PageNotice) -> str:
    """The email body, and the text of every channel that takes plain text."""
    lines = [
        f"{notice.person}, you are paged (escalation level {notice.level}).",
        "",
        f"Incident #{notice.number}: {notice.title}",
        f"Severity: {notice.sev}   Service: {notice.service}   Status: {notice.status}",
        f"Opened: {notice.opened_at:%Y-%m-%d %H:%M:%S} UTC",
    ]
    if notice.after_hours:
        lines.append("This page is outside your business hours.")
    lines += [
        "",
        f"Acknowledge (stops escalation): {notice.ack_url}",
        f"Open the incident: {notice.incident_url}",
    ]
    return "\n".join(lines)


def slack_payload(notice: PageNotice) -> dict[str, Any]:
    """An incoming-webhook message with Block Kit: the facts, and Acknowledge / Resolve buttons."""
    headline = f"*{notice.sev}* <{notice.incident_url}|#{notice.number} {_slack_escape(notice.title)}>"
    facts = [
        {"type": "mrkdwn", "text": f"*Service*\n{_slack_escape(notice.service)}"},
        {"type": "mrkdwn", "text": f"*Status*\n{notice.status}"},
        {"type": "mrkdwn", "text": f"*Level*\n{notice.level}"},
        {"type": "mrkdwn", "text": f"*Paged*\n{_slack_escape(notice.person)}"},
    ]
    return {
        "text": subject(notice),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
            {"type": "section", "fields": facts},
            {
                "type": "actions",
                "block_id": f"incident:{notice.incident_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "acknowledge",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Acknowledge"},
                        "value": notice.incident_id,
                    },
                    {
                        "type": "button",
                        "action_id": "resolve",
                        "text": {"type": "plain_text", "text": "Resolve"},
                        "value": notice.incident_id,
                    },
                    {
                        "type": "button",
                        "action_id": "open",
                        "text": {"type": "plain_text", "text": "Open"},
                        "url": notice.incident_url,
                    },
                ],
            },
        ],
    }


def webhook_payload(notice: PageNotice) -> dict[str, Any]:
    """The generic outbound webhook's JSON body."""
    return {
        "event": "page",
        "idempotency_key": notice.idempotency_key,
        "incident": {
            "id": notice.incident_id,
            "number": notice.number,
            "title": notice.title,
            "severity": notice.sev,
            "service": notice.service,
            "status": notice.status,
            "opened_at": notice.opened_at.isoformat(),
            "url": notice.incident_url,
        },
        "page": {
            "level": notice.level,
            "person": notice.person,
            "due_at": notice.due_at.isoformat(),
            "after_hours": notice.after_hours,
            "acknowledge_url": notice.ack_url,
        },
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
