"""Incident communications: the playbook's templates, what each needs, and the facts they are
rendered from. Pure: the rendering itself (Jinja2, sandboxed) is in `templating.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from firebell.kernel.severity import Sev


class Audience(StrEnum):
    INCIDENTS_CHANNEL = "incidents_channel"  # the #incidents Slack channel
    WAR_ROOM = "war_room"  # the incident's own Slack channel
    STAKEHOLDERS = "stakeholders"  # the stakeholder email list
    RESPONDERS = "responders"  # everyone holding a role, on their contact methods


class Form(StrEnum):
    SLACK = "slack"
    EMAIL = "email"
    CUSTOMER = "customer"  # the public status page's words


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    title: str
    form: Form
    fields: tuple[str, ...]  # what the person writing fills in
    counts_as_update: bool  # sending it restarts the next-update clock
    audiences: tuple[Audience, ...]  # where it goes unless the sender chooses


_SLACK = (Audience.INCIDENTS_CHANNEL, Audience.WAR_ROOM)
_EMAIL = (Audience.STAKEHOLDERS,)

TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template("initial.slack", "Initial notice (Slack)", Form.SLACK, (), True, _SLACK),
        Template(
            "initial.email",
            "Initial notice (email)",
            Form.EMAIL,
            ("situation", "actions", "next_steps"),
            True,
            _EMAIL,
        ),
        Template("update.slack", "Status update (Slack)", Form.SLACK, ("progress", "next_steps", "eta"), True, _SLACK),
        Template(
            "update.email",
            "Status update (email)",
            Form.EMAIL,
            ("root_cause", "actions", "progress", "eta"),
            True,
            _EMAIL,
        ),
        Template("short.slack", "Short status update (Slack)", Form.SLACK, ("actions",), True, _SLACK),
        Template(
            "resolution.slack",
            "Resolution notice (Slack)",
            Form.SLACK,
            ("resolution", "postmortem_at", "action_items"),
            True,
            _SLACK,
        ),
        Template(
            "resolution.email",
            "Resolution notice (email)",
            Form.EMAIL,
            ("resolution", "root_cause", "impact_summary", "follow_up"),
            True,
            _EMAIL,
        ),
        Template("customer.investigating", "Status page: investigating", Form.CUSTOMER, ("symptoms",), False, ()),
        Template("customer.identified", "Status page: identified", Form.CUSTOMER, ("eta",), False, ()),
        Template("customer.resolved", "Status page: resolved", Form.CUSTOMER, (), False, ()),
    )
}

FIELD_LABELS: dict[str, str] = {
    "situation": "Current situation",
    "actions": "Actions taken",
    "next_steps": "Next steps",
    "progress": "Progress (what we have learned or done)",
    "eta": "ETA",
    "root_cause": "Root cause",
    "resolution": "Resolution (the fix, briefly)",
    "postmortem_at": "Postmortem scheduled for",
    "action_items": "Action items identified",
    "impact_summary": "Impact summary",
    "follow_up": "Follow-up actions",
    "symptoms": "What users may experience",
}

PRIORITY_LABEL = {Sev.SEV1: "Critical", Sev.SEV2: "Major", Sev.SEV3: "Minor", Sev.SEV4: "Low"}

STATUS_LABEL = {
    "detected": "Investigating",
    "acknowledged": "Investigating",
    "investigating": "Investigating",
    "identified": "Identified",
    "resolving": "Mitigating",
    "resolved": "Resolved",
    "closed": "Resolved",
}

_TAG = re.compile(r"^\[[^\]]*\]\s*")


def description(title: str) -> str:
    """The title without its `[SEV-X]` tag."""
    return _TAG.sub("", title).strip() or title


def war_room_name(opened_at: datetime, title: str) -> str:
    """`incident-YYYY-MM-DD-short-description`: a legal Slack channel name (lowercase letters, digits,
    hyphens; at most 80 characters), from the first words of the title."""
    words = re.sub(r"[^a-z0-9]+", " ", description(title).lower()).split()
    short = "-".join(words[:5]) or "incident"
    return f"incident-{opened_at:%Y-%m-%d}-{short}"[:80].rstrip("-")


def spell_duration(span: timedelta) -> str:
    """`28 minutes`, `1 hour 5 minutes`, `2 days 3 hours`: as the templates say it."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)

    def unit(value: int, name: str) -> str:
        return f"{value} {name}{'' if value == 1 else 's'}"

    if days:
        return " ".join([unit(days, "day")] + ([unit(hours, "hour")] if hours else []))
    if hours:
        return " ".join([unit(hours, "hour")] + ([unit(mins, "minute")] if mins else []))
    return unit(mins, "minute")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the templates are rendered from."""

    number: int
    title: str
    sev: Sev
    status: str
    impact: str
    service: str
    services: tuple[str, ...]
    opened_at: datetime
    resolved_at: datetime | None
    roles: Mapping[str, Sequence[str]]  # role value -> people
    war_room: str
    url: str
    now: datetime
    update_every: timedelta | None  # the severity's update cadence as configured; None: no cadence
    next_update_at: datetime | None  # when the next update falls due if one goes out now


def context(facts: Facts, fields: Mapping[str, str]) -> dict[str, Any]:
    """The variables a template sees (documented on the template editor)."""
    sev = facts.sev
    rank = sev.rank
    end = facts.resolved_at or facts.now
    every = facts.update_every
    next_update = facts.next_update_at if every else None
    people = {role: ", ".join(names) for role, names in facts.roles.items() if names}
    responders = list(dict.fromkeys(n for names in facts.roles.values() for n in names))
    return {
        "number": facts.number,
        "title": facts.title,
        "description": description(facts.title),
        "sev": sev.value,
        "priority": f"P{rank}",
        "priority_label": f"Priority {rank} ({PRIORITY_LABEL[sev]})",
        "status": facts.status,
        "status_label": STATUS_LABEL.get(facts.status, facts.status.title()),
        "impact": facts.impact,
        "service": facts.service,
        "services": ", ".join(facts.services),
        "started": f"{facts.opened_at:%Y-%m-%d %H:%M} UTC",
        "started_hm": f"{facts.opened_at:%H:%M}",
        "resolved_hm": f"{facts.resolved_at:%H:%M}" if facts.resolved_at else "",
        "now_hm": f"{facts.now:%H:%M} UTC",
        "duration": spell_duration(end - facts.opened_at),
        "ic": people.get("incident_commander", ""),
        "tech_lead": people.get("tech_lead", ""),
        "comms_lead": people.get("comms_lead", ""),
        "scribe": people.get("scribe", ""),
        "responders": ", ".join(responders),
        "war_room": f"#{facts.war_room}" if facts.war_room else "",
        "url": facts.url,
        "update_every": spell_duration(every) if every else "",
        "next_update": (
            f"{next_update:%H:%M} UTC (in {spell_duration(next_update - facts.now)})" if next_update else ""
        ),
        "fields": {k: v.strip() for k, v in fields.items() if v and v.strip()},
    }


def subject_and_body(rendered: str, fallback_subject: str) -> tuple[str, str]:
    """Email templates start with a `Subject:` line; others take the fallback."""
    first, _, rest = rendered.lstrip("\n").partition("\n")
    if first.lower().startswith("subject:"):
        return " ".join(first[8:].split())[:300], rest.lstrip("\n")
    return fallback_subject[:300], rendered


def _sample() -> dict[str, Any]:
    from datetime import UTC

    opened = datetime(2025, 1, 15, 14, 32, tzinfo=UTC)
    facts = Facts(
        number=1,
        title="[SEV-1] Sample incident",
        sev=Sev.SEV1,
        status="investigating",
        impact="Sample impact",
        service="sample",
        services=("sample",),
        opened_at=opened,
        resolved_at=None,
        roles={"incident_commander": ["Sample Person"]},
        war_room="incident-2025-01-15-sample-incident",
        url="https://firebell.example/incidents/1",
        now=opened + timedelta(minutes=10),
        update_every=timedelta(minutes=15),
        next_update_at=opened + timedelta(minutes=25),
    )
    return context(facts, dict.fromkeys(FIELD_LABELS, "sample"))


SAMPLE: dict[str, Any] = _sample()  # what an edited template is tried on before it is saved
