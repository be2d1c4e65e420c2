"""The playbook's checklists: one per response phase and one per role, instantiated per incident.

Pure: the lists, which of them an incident of a given severity gets, and which items tick
themselves when something happens on the incident (acknowledged, IC assigned, update sent, ...).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from firebell.incidents.roles import NEEDS, Role
from firebell.incidents.targets import Postmortem, Targets
from firebell.kernel.severity import Sev


@dataclass(frozen=True, slots=True)
class Checklist:
    key: str  # "detection", "role:scribe"
    title: str
    items: tuple[str, ...]

    def keyed(self) -> list[tuple[str, str]]:
        """(item key, text) pairs; keys are slugs of the text, stable across releases."""
        return [(slug(text), text) for text in self.items]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]


PHASES: tuple[Checklist, ...] = (
    Checklist(
        "detection",
        "Detection and triage (0-5 min)",
        ("Alert acknowledged", "Severity assessed", "Incident record created", "IC assigned"),
    ),
    Checklist(
        "investigation",
        "Investigation (5-30 min)",
        ("Dashboards checked", "Recent changes reviewed", "Logs analyzed", "Dependencies verified"),
    ),
    Checklist(
        "communication",
        "Communication (ongoing)",
        ("#incidents updated", "Status page updated", "Stakeholders notified"),
    ),
    Checklist(
        "mitigation",
        "Mitigation (15-60 min)",
        ("Mitigation strategy selected", "Changes implemented", "Fix verified"),
    ),
    Checklist(
        "resolution",
        "Resolution",
        ("Service confirmed healthy", "Smoke tests passing", "Incident closed", "Postmortem scheduled"),
    ),
)

ROLE_LISTS: dict[Role, Checklist] = {
    Role.INCIDENT_COMMANDER: Checklist(
        "role:incident_commander",
        "Incident Commander",
        (
            "Confirm incident severity",
            "Establish communication channels",
            "Assign roles (Scribe, Comms Lead, Technical Lead)",
            "Coordinate investigation efforts",
            "Make mitigation decisions",
            "Authorize escalations",
            "Declare incident resolved",
            "Schedule postmortem",
        ),
    ),
    Role.TECH_LEAD: Checklist(
        "role:tech_lead",
        "Technical Lead",
        (
            "Review monitoring and logs",
            "Identify potential root causes",
            "Coordinate with subject matter experts",
            "Implement and test fixes",
            "Verify service recovery",
            "Document technical findings",
        ),
    ),
    Role.COMMS_LEAD: Checklist(
        "role:comms_lead",
        "Communications Lead",
        (
            "Post initial status update",
            "Notify stakeholders (Slack, email)",
            "Update status page",
            "Draft customer communications (if needed)",
            "Provide regular updates at defined intervals",
            "Post resolution notice",
        ),
    ),
    Role.SCRIBE: Checklist(
        "role:scribe",
        "Scribe",
        (
            "Create incident document",
            "Record all significant events with timestamps",
            "Document hypotheses and investigation paths",
            "Capture decisions and rationale",
            "Note action items identified during incident",
            "Prepare initial postmortem draft",
        ),
    ),
    Role.SME: Checklist(
        "role:sme",
        "Subject Matter Experts",
        (
            "Answer questions about your system",
            "Review code and configs",
            "Provide context on recent changes",
            "Suggest diagnostic steps",
        ),
    ),
    Role.POSTMORTEM_OWNER: Checklist(
        "role:postmortem_owner",
        "Postmortem Owner",
        (
            "Create the postmortem document within 4 hours of resolution",
            "Schedule the postmortem meeting with all responders",
            "Finalize the timeline, root cause analysis and impact assessment",
            "Create action items with owners and due dates",
            "Share the postmortem summary",
        ),
    ),
}

BY_KEY: dict[str, Checklist] = {c.key: c for c in (*PHASES, *ROLE_LISTS.values())}


def first_duties(role: Role, count: int = 3) -> tuple[str, ...]:
    """What someone given `role` does first: the head of the role's checklist."""
    return ROLE_LISTS[role].items[:count]


def role_notice(role: Role, *, by: str, number: int, title: str, sev: str, status: str) -> tuple[str, str]:
    """(subject, text) of the notice telling a person `by` gave them `role` on an incident."""
    duties = "\n".join(f"  - {duty}" for duty in first_duties(role))
    text = (
        f"{by} made you {role.label} of incident #{number}.\n\n{title}\n"
        f"Severity: {sev}   Status: {status}\n\nWhat you do first:\n{duties}"
    )
    tag = "" if title.startswith("[") else f"[{sev}] "  # declared incidents' titles carry it already
    return f"{tag}#{number} You are {role.label}: {title}", text


def for_incident(sev: Sev, targets: Targets, roles_held: Collection[Role] = ()) -> list[Checklist]:
    """The lists an incident gets: every phase, the roles its severity needs, the Postmortem Owner's
    when its targets (the severity's, as configured) require a postmortem, and the list of any other
    role someone holds."""
    roles = set(NEEDS[sev]) | set(roles_held)
    if targets.postmortem is Postmortem.REQUIRED:
        roles.add(Role.POSTMORTEM_OWNER)
    return [*PHASES, *(ROLE_LISTS[r] for r in Role if r in roles)]


class Happening(StrEnum):
    """Things on an incident that tick checklist items by themselves."""

    ACKNOWLEDGED = "acknowledged"
    COMMANDER_ASSIGNED = "commander_assigned"
    SEVERITY_SET = "severity_set"
    UPDATE_SENT = "update_sent"
    STAKEHOLDERS_NOTIFIED = "stakeholders_notified"
    RESOLUTION_POSTED = "resolution_posted"
    STATUS_PAGE_UPDATED = "status_page_updated"
    MITIGATION_CHOSEN = "mitigation_chosen"
    RESOLVED = "resolved"
    CLOSED = "closed"
    POSTMORTEM_DRAFTED = "postmortem_drafted"
    POSTMORTEM_SCHEDULED = "postmortem_scheduled"


AUTO_TICKS: dict[Happening, tuple[tuple[str, str], ...]] = {
    Happening.ACKNOWLEDGED: (("detection", "Alert acknowledged"),),
    Happening.COMMANDER_ASSIGNED: (("detection", "IC assigned"),),
    Happening.SEVERITY_SET: (("detection", "Severity assessed"),),
    Happening.UPDATE_SENT: (
        ("communication", "#incidents updated"),
        ("role:comms_lead", "Post initial status update"),
    ),
    Happening.STAKEHOLDERS_NOTIFIED: (
        ("communication", "Stakeholders notified"),
        ("role:comms_lead", "Notify stakeholders (Slack, email)"),
    ),
    Happening.RESOLUTION_POSTED: (("role:comms_lead", "Post resolution notice"),),
    Happening.STATUS_PAGE_UPDATED: (
        ("communication", "Status page updated"),
        ("role:comms_lead", "Update status page"),
    ),
    Happening.MITIGATION_CHOSEN: (
        ("mitigation", "Mitigation strategy selected"),
        ("role:incident_commander", "Make mitigation decisions"),
    ),
    Happening.RESOLVED: (("role:incident_commander", "Declare incident resolved"),),
    Happening.CLOSED: (("resolution", "Incident closed"),),
    Happening.POSTMORTEM_DRAFTED: (
        ("role:scribe", "Prepare initial postmortem draft"),
        ("role:postmortem_owner", "Create the postmortem document within 4 hours of resolution"),
    ),
    Happening.POSTMORTEM_SCHEDULED: (
        ("resolution", "Postmortem scheduled"),
        ("role:incident_commander", "Schedule postmortem"),
        ("role:postmortem_owner", "Schedule the postmortem meeting with all responders"),
    ),
}


def auto_ticks(happening: Happening) -> Iterable[tuple[str, str]]:
    """(list key, item key) pairs that `happening` ticks."""
    return ((key, slug(text)) for key, text in AUTO_TICKS[happening])


# The record exists as soon as the checklist does: Firebell is the incident record.
DONE_ON_CREATION: tuple[tuple[str, str], ...] = (("detection", slug("Incident record created")),)
