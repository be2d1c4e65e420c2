"""What a notification says, on each channel: pure rendering, shared by sending and by the preview.

A `PageNotice` holds the facts of one page, a `ShiftNotice` those of a shift reminder or handoff
report; each channel's renderer turns either into that channel's payload. The preview shows
exactly these payloads, so what a person sees in the preview is what the channel would carry.
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
    action: str = ""  # the level's first action, from the policy (the escalation matrix)
    runbook_url: str = ""

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


@dataclass(frozen=True, slots=True)
class ShiftNotice:
    """A reminder before or at the start of a shift, or the handoff report at its end."""

    kind: str  # 48h, 24h, start or handoff
    person: str
    schedule: str
    start: datetime
    end: datetime
    checklist: tuple[str, ...]
    report: tuple[str, ...]  # the handoff report's lines; empty for reminders
    schedule_url: str
    next_person: str = ""
    idempotency_key: str = ""

    def to_message(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(notice="shift", start=self.start.isoformat(), end=self.end.isoformat())
        return data

    @property
    def headline(self) -> str:
        window = f"{self.start:%a %d %b %H:%M} to {self.end:%a %d %b %H:%M} UTC"
        if self.kind == "handoff":
            taker = f"; {self.next_person} takes over" if self.next_person else ""
            return f"Your on-call shift on {self.schedule} has ended ({window}){taker}"
        if self.kind == "start":
            return f"Your on-call shift on {self.schedule} starts now ({window})"
        return f"Your on-call shift on {self.schedule} starts in {self.kind[:-1]} hours ({window})"


@dataclass(frozen=True, slots=True)
class MessageNotice:
    """A message about an incident: a communication people wrote, or a reminder Firebell sends."""

    kind: str  # communication, reminder
    incident_id: str
    number: int
    subject: str
    text: str  # plain text (email and most channels)
    slack_text: str  # Slack mrkdwn
    incident_url: str
    idempotency_key: str = ""

    def to_message(self) -> dict[str, Any]:
        data = asdict(self)
        data["notice"] = "message"
        return data


@dataclass(frozen=True, slots=True)
class RoomNotice:
    """Open an incident's war room in Slack: create the channel, invite the responders, post the notice."""

    incident_id: str
    number: int
    name: str  # the channel name, without "#"
    topic: str
    invite: tuple[str, ...]  # Slack member ids
    text: str  # Slack mrkdwn, posted once the room exists
    incident_url: str
    idempotency_key: str = ""

    def to_message(self) -> dict[str, Any]:
        data = asdict(self)
        data["notice"] = "room"
        return data


@dataclass(frozen=True, slots=True)
class EventNotice:
    """A record changed in Firebell, for a system that mirrors it (an issue tracker mirroring
    action items): the event name and the record as JSON."""

    event: str  # "action_item.created", "action_item.updated"
    summary: str
    data: dict[str, Any]
    idempotency_key: str = ""

    def to_message(self) -> dict[str, Any]:
        return {
            "notice": "event",
            "event": self.event,
            "summary": self.summary,
            "data": self.data,
            "idempotency_key": self.idempotency_key,
        }


Notice = PageNotice | ShiftNotice | MessageNotice | RoomNotice | EventNotice


def notice_from_message(data: dict[str, Any]) -> Notice:
    """A stored delivery's message back as its notice."""
    if data.get("notice") == "message":
        return MessageNotice(**{k: v for k, v in data.items() if k != "notice"})
    if data.get("notice") == "event":
        return EventNotice(data["event"], data["summary"], dict(data["data"]), data.get("idempotency_key", ""))
    if data.get("notice") == "room":
        values = {k: v for k, v in data.items() if k != "notice"}
        values["invite"] = tuple(values["invite"])
        return RoomNotice(**values)
    if data.get("notice") == "shift":
        values = {k: v for k, v in data.items() if k != "notice"}
        values.update(
            start=datetime.fromisoformat(values["start"]),
            end=datetime.fromisoformat(values["end"]),
            checklist=tuple(values["checklist"]),
            report=tuple(values["report"]),
        )
        return ShiftNotice(**values)
    return PageNotice.from_message(data)


def subject(notice: Notice) -> str:
    """One line (an email header cannot hold a line break), at most 200 characters."""
    if isinstance(notice, MessageNotice):
        text = notice.subject
    elif isinstance(notice, RoomNotice):
        text = f"War room #{notice.name} for incident #{notice.number}"
    elif isinstance(notice, EventNotice):
        text = notice.summary
    elif isinstance(notice, ShiftNotice):
        label = "Handoff report" if notice.kind == "handoff" else "On-call reminder"
        text = f"[{label}] {notice.schedule}: {notice.headline.split(' (')[0]}"
    else:
        text = f"[{notice.sev}] #{notice.number} {notice.title} ({notice.service})"
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:199] + "…"


def _shift_text(notice: ShiftNotice) -> str:
    lines = [f"{notice.person}, {notice.headline[0].lower()}{notice.headline[1:]}.", ""]
    if notice.report:
        lines += ["During your shift:", *[f"  {line}" for line in notice.report], ""]
    lines += ["Checklist:", *[f"  [ ] {item}" for item in notice.checklist], "", f"Schedule: {notice.schedule_url}"]
    return "\n".join(lines)


def plain_text(notice: Notice) -> str:
    """The email body, and the text of every channel that takes plain text."""
    if isinstance(notice, MessageNotice):
        return f"{notice.text.rstrip()}\n\nIncident #{notice.number}: {notice.incident_url}"
    if isinstance(notice, RoomNotice):
        return f"{notice.topic}\n\n{notice.text}\n\nIncident #{notice.number}: {notice.incident_url}"
    if isinstance(notice, ShiftNotice):
        return _shift_text(notice)
    if isinstance(notice, EventNotice):
        return notice.summary
    lines = [
        f"{notice.person}, you are paged (escalation level {notice.level}).",
        "",
        f"Incident #{notice.number}: {notice.title}",
        f"Severity: {notice.sev}   Service: {notice.service}   Status: {notice.status}",
        f"Opened: {notice.opened_at:%Y-%m-%d %H:%M:%S} UTC",
    ]
    if notice.action:
        lines.append(f"First action at this level: {notice.action}")
    if notice.after_hours:
        lines.append("This page is outside your business hours.")
    lines += [
        "",
        f"Acknowledge (stops escalation): {notice.ack_url}",
        f"Open the incident: {notice.incident_url}",
    ]
    if notice.runbook_url:
        lines.append(f"Runbook: {notice.runbook_url}")
    return "\n".join(lines)


def slack_payload(notice: Notice) -> dict[str, Any]:
    """An incoming-webhook message with Block Kit: the facts, and Acknowledge / Resolve buttons."""
    if isinstance(notice, MessageNotice | RoomNotice):
        text = notice.slack_text if isinstance(notice, MessageNotice) else notice.text
        return {
            "text": subject(notice),
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(text)[:3000]}},
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": f"<{notice.incident_url}|Incident #{notice.number} in Firebell>"}
                    ],
                },
            ],
        }
    if isinstance(notice, EventNotice):
        return {"text": _slack_escape(notice.summary)}
    if isinstance(notice, ShiftNotice):
        return {
            "text": subject(notice),
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack_escape(notice.headline)}*"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(_shift_text(notice))}},
            ],
        }
    headline = f"*{notice.sev}* <{notice.incident_url}|#{notice.number} {_slack_escape(notice.title)}>"
    facts = [
        {"type": "mrkdwn", "text": f"*Service*\n{_slack_escape(notice.service)}"},
        {"type": "mrkdwn", "text": f"*Status*\n{notice.status}"},
        {"type": "mrkdwn", "text": f"*Level*\n{notice.level}"},
        {"type": "mrkdwn", "text": f"*Paged*\n{_slack_escape(notice.person)}"},
    ]
    if notice.action:
        facts.append({"type": "mrkdwn", "text": f"*First action*\n{_slack_escape(notice.action)}"})
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
                    *(
                        [
                            {
                                "type": "button",
                                "action_id": "runbook",
                                "text": {"type": "plain_text", "text": "Runbook"},
                                "url": notice.runbook_url,
                            }
                        ]
                        if notice.runbook_url.startswith(("https://", "http://"))
                        else []
                    ),
                ],
            },
        ],
    }


def webhook_payload(notice: Notice) -> dict[str, Any]:
    """The generic outbound webhook's JSON body."""
    if isinstance(notice, EventNotice):
        return {"event": notice.event, "idempotency_key": notice.idempotency_key, "data": notice.data}
    if isinstance(notice, MessageNotice | RoomNotice):
        return {
            "event": "incident_message" if isinstance(notice, MessageNotice) else "war_room",
            "idempotency_key": notice.idempotency_key,
            "incident": {"id": notice.incident_id, "number": notice.number, "url": notice.incident_url},
            "subject": subject(notice),
            "text": plain_text(notice),
        }
    if isinstance(notice, ShiftNotice):
        return {
            "event": "shift_handoff" if notice.kind == "handoff" else "shift_reminder",
            "idempotency_key": notice.idempotency_key,
            "shift": {
                "schedule": notice.schedule,
                "person": notice.person,
                "kind": notice.kind,
                "start": notice.start.isoformat(),
                "end": notice.end.isoformat(),
                "next_person": notice.next_person,
            },
            "checklist": list(notice.checklist),
            "report": list(notice.report),
            "text": _shift_text(notice),
        }
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
            "runbook_url": notice.runbook_url,
        },
        "page": {
            "level": notice.level,
            "person": notice.person,
            "due_at": notice.due_at.isoformat(),
            "after_hours": notice.after_hours,
            "first_action": notice.action,
            "acknowledge_url": notice.ack_url,
        },
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shown_address(address: str) -> str:
    """An address as pages and logs show it: URLs keep their scheme and host only, since Slack
    webhook, webhook and apprise URLs often carry a secret; emails and phone numbers stay whole."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        return address
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…" if rest != host else f"{scheme}://{host}"
