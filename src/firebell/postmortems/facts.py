"""What Firebell already knows about an incident, as a postmortem reads it.

Pure: the incident's record comes in; out come the template's header (ID, date, duration,
severity), the team, the detection figures (TTD, TTR), the rows the draft starts with, and the
facts the timeline analysis reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from firebell.incidents.roles import LABELS, Role
from firebell.incidents.timeline import Entry
from firebell.kernel.severity import Sev


@dataclass(frozen=True, slots=True)
class AlertFact:
    name: str
    source: str
    started_at: datetime  # when the source says the problem began (else when Firebell first saw it)
    received_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    incident_id: str
    number: int
    title: str
    sev: Sev
    status: str
    opened_at: datetime
    acknowledged_at: datetime | None
    identified_at: datetime | None
    resolving_at: datetime | None
    resolved_at: datetime | None
    detection_source: str  # alert, user_report, support_ticket, ...
    services: tuple[str, ...]
    team: tuple[tuple[Role, str], ...]  # (role, person's name), in the order assigned
    timeline: tuple[Entry, ...]
    alerts: tuple[AlertFact, ...] = ()
    mitigation_started_at: datetime | None = None
    first_symptom_at: datetime | None = None  # what the writers say, when they know better than the alerts

    @property
    def reference(self) -> str:
        return f"INC-{self.number:04d}"

    @property
    def symptom_at(self) -> datetime:
        """The first symptom: as the writers put it, else the earliest alert's start, else the opening."""
        if self.first_symptom_at is not None:
            return self.first_symptom_at
        starts = [a.started_at for a in self.alerts]
        return min([*starts, self.opened_at])

    @property
    def time_to_detect(self) -> timedelta:
        """First symptom (or alert) → detection, the incident opening."""
        return max(self.opened_at - self.symptom_at, timedelta(0))

    @property
    def time_to_resolve(self) -> timedelta | None:
        """Detection → resolution."""
        return self.resolved_at - self.opened_at if self.resolved_at is not None else None

    @property
    def duration(self) -> timedelta | None:
        """How long users were affected: first symptom → resolution."""
        return self.resolved_at - self.symptom_at if self.resolved_at is not None else None

    def holders(self, role: Role) -> list[str]:
        return list(dict.fromkeys(name for r, name in self.team if r is role))


def span(delta: timedelta | None) -> str:
    """'1 h 05 min', '12 min', '40 s'; an em dash when unknown."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h {minutes:02d} min"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


TEAM_ROLES: tuple[Role, ...] = (
    Role.INCIDENT_COMMANDER,
    Role.TECH_LEAD,
    Role.COMMS_LEAD,
    Role.SCRIBE,
    Role.POSTMORTEM_OWNER,
)


def team_rows(facts: IncidentFacts) -> list[tuple[str, str]]:
    """The template's Incident Team table, then any subject matter experts."""
    rows = [(LABELS[role], ", ".join(facts.holders(role)) or "—") for role in TEAM_ROLES]
    experts = facts.holders(Role.SME)
    if experts:
        rows.append((LABELS[Role.SME], ", ".join(experts)))
    return rows


_DETECTION_METHOD = {
    "alert": "Automated Alert",
    "monitoring": "Synthetic Monitor",
    "user_report": "Customer Report",
    "support_ticket": "Support Ticket",
}


def detection_rows(facts: IncidentFacts) -> list[list[str]]:
    """The first row of 'How was the incident detected?': the method and its time to detect."""
    method = _DETECTION_METHOD.get(facts.detection_source, facts.detection_source.replace("_", " ").title())
    if facts.alerts:
        first = min(facts.alerts, key=lambda a: a.received_at)
        detail = f"{first.name} ({first.source}) fired at {first.received_at:%H:%M} UTC"
    else:
        detail = f"Declared at {facts.opened_at:%H:%M} UTC"
    return [[method, span(facts.time_to_detect), detail]]


def starter_rows(
    facts: IncidentFacts,
    similar: Sequence[tuple[str, str, str]] = (),
    slos: Sequence[tuple[str, str, str]] = (),
) -> dict[str, list[list[str]]]:
    """Rows a new draft starts with, beside the template's empty ones: services affected, how it
    was detected, similar past incidents `(reference, date, title)` to review, and the affected
    services' SLOs `(service, SLO, target)` whose incident-window figures people fill in."""
    several = len({service for service, _slo, _target in slos}) > 1
    return {
        "slo_impact": [[f"{service} {slo}" if several else slo, target, "", ""] for service, slo, target in slos],
        "technical_impact": [
            ["Services Affected", ", ".join(facts.services)],
            ["Regions Affected", ""],
            ["Data Loss", ""],
            ["Recovery Actions Required", ""],
        ],
        "detection_methods": detection_rows(facts),
        "similar_incidents": [[ref, date, f"Same service: {title}", ""] for ref, date, title in similar],
    }


@dataclass(frozen=True, slots=True)
class TimedFact:
    at: datetime
    kind: str
    text: str


def analysis_facts(facts: IncidentFacts) -> list[TimedFact]:
    """The timeline analysis's input: the first symptom, alerts, pages and each response milestone."""
    out: list[TimedFact] = [TimedFact(facts.symptom_at, "first_symptom", "First symptom")]
    for alert in facts.alerts:
        out.append(TimedFact(alert.received_at, "alert", f"{alert.name} fired"))
    stamps = (
        (facts.acknowledged_at, "acknowledged", "Acknowledged"),
        (facts.identified_at, "identified", "Cause identified"),
        (facts.mitigation_started_at, "mitigation_started", "Mitigation started"),
        (facts.resolving_at, "resolving", "Fix being applied"),
        (facts.resolved_at, "resolved", "Resolved"),
    )
    out.extend(TimedFact(at, kind, text) for at, kind, text in stamps if at is not None)
    for entry in facts.timeline:
        if entry.kind == "paged":
            out.append(TimedFact(entry.at, "paged", entry.message))
        elif entry.kind in {"declared", "war_room"} or (entry.kind == "role_assigned" and "Commander" in entry.message):
            out.append(TimedFact(entry.at, "declared", entry.message))
    return sorted(out, key=lambda f: f.at)
