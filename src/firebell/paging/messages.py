"""What a notification says, on each channel: pure rendering, shared by sending and by the preview.

A `PageNotice` holds the facts of one page, a `ShiftNotice` those of a shift reminder or handoff
report; each channel's renderer turns either into that channel's payload. The preview shows
exactly these payloads, so what a person sees in the preview is what the channel would carry.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from firebell.alerts.details import Digest, clip, fit, is_web_url
from firebell.kernel.urls import masked_url


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
    # The incident's most recently seen alerts, with what their senders said (alerts.details).
    alerts: tuple[Digest, ...] = ()
    more_alerts: int = 0  # the incident's other alerts, left out

    def to_message(self) -> dict[str, Any]:
        """The stored form (a delivery row's `message`)."""
        data = asdict(self)
        data["opened_at"] = self.opened_at.isoformat()
        data["due_at"] = self.due_at.isoformat()
        data["alerts"] = [a.to_doc() for a in self.alerts]
        return data

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> PageNotice:
        values = dict(data)
        values["opened_at"] = datetime.fromisoformat(values["opened_at"])
        values["due_at"] = datetime.fromisoformat(values["due_at"])
        values["alerts"] = tuple(Digest.from_doc(a) for a in values.get("alerts", ()))
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
    lines += _alerts_text(notice)
    return "\n".join(lines)


# What each channel carries of the alerts' details: rows per alert and characters per value.
EMAIL_ROWS, EMAIL_VALUE = 20, 500
SLACK_ALERTS, SLACK_ROWS, SLACK_VALUE = 3, 10, 300  # a section holds at most 10 fields
SLACK_TEXT, SLACK_FIELD = 3000, 2000  # characters of a text object; of a section field
WEBHOOK_VALUE = 500  # as the page keeps them (alerts.details.MAX_VALUE)


def _alerts_heading(notice: PageNotice) -> str:
    shown = len(notice.alerts)
    total = shown + notice.more_alerts
    return f"Alerts ({shown} most recent of {total}):" if notice.more_alerts else f"Alerts ({total}):"


def _alerts_text(notice: PageNotice) -> list[str]:
    if not notice.alerts:
        return []
    lines = ["", _alerts_heading(notice)]
    for alert in notice.alerts:
        lines.append(f"- [{alert.severity}] {alert.summary} ({alert.source}, {alert.status})")
        rows, left = fit(alert.fields, rows=EMAIL_ROWS, value_chars=EMAIL_VALUE)
        for key, value in rows:
            lines.append(f"    {key}: " + value.replace("\n", "\n      "))
        if left or alert.more_fields:
            lines.append(f"    … {left + alert.more_fields} more detail(s) on the alert's page")
        lines += [f"    {text or 'Link'}: {href}" for href, text in alert.links]
        lines += [f"    Image{f' ({text})' if text else ''}: {src}" for src, text in alert.images]
    return lines


def _a(href: str, text: str) -> str:
    """A link when the address is http(s); otherwise the text and the address, both as text."""
    if is_web_url(href):
        return f'<a href="{html.escape(href, quote=True)}">{html.escape(text or href)}</a>'
    return f"{html.escape(text or 'link')}: <code>{html.escape(href)}</code>"


def email_html(notice: Notice) -> str | None:
    """A page's email as HTML, beside its text part; every value escaped, images as links only
    (an inline image would load a sender-chosen address when the mail is opened). None: text only."""
    if not isinstance(notice, PageNotice):
        return None
    e = html.escape
    parts = [
        "<!doctype html><html><body>",
        f"<p>{e(notice.person)}, you are paged (escalation level {notice.level}).</p>",
        f"<h2>{_a(notice.incident_url, f'Incident #{notice.number}: {notice.title}')}</h2>",
        f"<p>Severity: <b>{e(notice.sev)}</b> &nbsp; Service: {e(notice.service)} &nbsp; Status: {e(notice.status)}"
        f"<br>Opened: {notice.opened_at:%Y-%m-%d %H:%M:%S} UTC</p>",
    ]
    if notice.action:
        parts.append(f"<p>First action at this level: {e(notice.action)}</p>")
    if notice.after_hours:
        parts.append("<p>This page is outside your business hours.</p>")
    parts.append(f"<p>{_a(notice.ack_url, 'Acknowledge (stops escalation)')}")
    parts.append(f" · {_a(notice.incident_url, 'Open the incident')}")
    if notice.runbook_url:
        parts.append(f" · {_a(notice.runbook_url, 'Runbook')}")
    parts.append("</p>")
    if notice.alerts:
        parts.append(f"<h3>{e(_alerts_heading(notice).rstrip(':'))}</h3>")
    for alert in notice.alerts:
        parts.append(
            f"<h4>[{e(alert.severity)}] {e(alert.summary)} <small>({e(alert.source)}, {e(alert.status)})</small></h4>"
        )
        rows, left = fit(alert.fields, rows=EMAIL_ROWS, value_chars=EMAIL_VALUE)
        if rows:
            parts.append('<table border="0" cellpadding="3">')
            parts += [
                f'<tr><th align="left" valign="top">{e(k)}</th><td><pre style="margin:0;white-space:pre-wrap">'
                f"{e(v)}</pre></td></tr>"
                for k, v in rows
            ]
            parts.append("</table>")
        if left or alert.more_fields:
            parts.append(f"<p>… {left + alert.more_fields} more detail(s) on the alert's page</p>")
        links = [_a(href, text) for href, text in alert.links]
        links += [f"Image: {_a(src, text)}" for src, text in alert.images]
        if links:
            parts.append("<ul>" + "".join(f"<li>{link}</li>" for link in links) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def slack_payload(notice: Notice) -> dict[str, Any]:
    """An incoming-webhook message with Block Kit: the facts, and Acknowledge / Resolve buttons."""
    if isinstance(notice, MessageNotice | RoomNotice):
        text = notice.slack_text if isinstance(notice, MessageNotice) else notice.text
        return {
            "text": _slack_escape(subject(notice)),
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
            "text": _slack_escape(subject(notice)),
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
        "text": _slack_escape(subject(notice)),
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
            *_slack_alerts(notice),  # after the buttons, which stay where they were
        ],
    }


def _slack_link(href: str, text: str) -> str:
    label = _slack_escape(clip(text or href, 75))
    if not is_web_url(href):
        shown = _slack_escape(clip(href, 200)).replace("`", "'")
        return f"{label}: `{shown}`"
    link = f"<{_slack_escape(href).replace('|', '%7C')}|{label.replace('|', '¦')}>"
    return link if len(link) <= SLACK_TEXT else label  # an address too long to link is left out


def _slack_alerts(notice: PageNotice) -> list[dict[str, Any]]:
    """The alerts' details in Block Kit: per alert a section (its summary, up to ten fields of
    clipped values) and a context of its links and images; at most three alerts, then a count."""
    blocks: list[dict[str, Any]] = []
    for alert in notice.alerts[:SLACK_ALERTS]:
        title = f"*Alert* [{alert.severity}] {_slack_escape(clip(alert.summary, 1000))} _({alert.source})_"
        section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": clip(title, SLACK_TEXT)}}
        rows, left = fit(alert.fields, rows=SLACK_ROWS, value_chars=SLACK_VALUE)
        if rows:
            section["fields"] = [
                {"type": "mrkdwn", "text": clip(f"*{_slack_escape(k)}*\n{_slack_escape(v)}", SLACK_FIELD)}
                for k, v in rows
            ]
        blocks.append(section)
        elements = [_slack_link(href, text or "link") for href, text in alert.links]
        elements += [_slack_link(src, f"image: {text or 'image'}") for src, text in alert.images]
        if left or alert.more_fields:
            elements.append(f"… {left + alert.more_fields} more detail(s) in Firebell")
        if elements:
            # A context block holds at most ten elements.
            shown = elements[:9] + ([f"… {len(elements) - 9} more"] if len(elements) > 10 else elements[9:10])
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in shown]})
    more = notice.more_alerts + max(0, len(notice.alerts) - SLACK_ALERTS)
    if more:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"… and {more} more alert(s) on <{notice.incident_url}|the incident>"}
                ],
            }
        )
    return blocks


def _webhook_alerts(notice: PageNotice) -> list[dict[str, Any]]:
    return [
        {
            "id": alert.alert_id,
            "summary": alert.summary,
            "severity": alert.severity,
            "status": alert.status,
            "source": alert.source,
            "details": [{"key": k, "value": clip(v, WEBHOOK_VALUE)} for k, v in alert.fields],
            "more_details": alert.more_fields,
            "links": [{"href": href, "text": text} for href, text in alert.links],
            "images": [{"src": src, "text": text} for src, text in alert.images],
        }
        for alert in notice.alerts
    ]


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
        "alerts": _webhook_alerts(notice),
        "more_alerts": notice.more_alerts,
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shown_address(address: str) -> str:
    """An address as pages and logs show it: URLs keep their scheme and host only, since Slack
    webhook, webhook and apprise URLs often carry a secret; emails and phone numbers stay whole."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        return address
    # The host as masked_url keeps it: an apprise URL's "host" is often a token (tgram://, pover://).
    netloc = masked_url(address).partition("://")[2].split("/", 1)[0]
    host = netloc.split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    whole = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/…" if rest != whole or host != whole else f"{scheme}://{host}"
