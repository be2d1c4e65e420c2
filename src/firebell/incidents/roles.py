"""Incident roles, which of them each severity needs, and whether the team is assembled.

Pure: given an incident's severity, who holds which role, when the team should be in place and an
instant, it says which required roles are unfilled and whether that is already past the assemble target.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from firebell.kernel.severity import Sev


class Role(StrEnum):
    INCIDENT_COMMANDER = "incident_commander"
    TECH_LEAD = "tech_lead"
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"
    SME = "sme"
    POSTMORTEM_OWNER = "postmortem_owner"

    @property
    def label(self) -> str:
        return LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Role:
        """Accept the stored value, the label, or the usual short names (ic, tl, comms)."""
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        found = ALIASES.get(key)
        if found is None:
            names = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {text!r}; use one of {names}")
        return found


LABELS: dict[Role, str] = {
    Role.INCIDENT_COMMANDER: "Incident Commander",
    Role.TECH_LEAD: "Technical Lead",
    Role.COMMS_LEAD: "Communications Lead",
    Role.SCRIBE: "Scribe",
    Role.SME: "Subject Matter Expert",
    Role.POSTMORTEM_OWNER: "Postmortem Owner",
}

ALIASES: dict[str, Role] = {
    **{r.value: r for r in Role},
    **{LABELS[r].lower().replace(" ", "_"): r for r in Role},
    "ic": Role.INCIDENT_COMMANDER,
    "commander": Role.INCIDENT_COMMANDER,
    "tl": Role.TECH_LEAD,
    "technical_lead": Role.TECH_LEAD,
    "comms": Role.COMMS_LEAD,
    "communications": Role.COMMS_LEAD,
    "smes": Role.SME,
    "expert": Role.SME,
    "postmortem": Role.POSTMORTEM_OWNER,
}

# Roles that hold one person at a time; assigning another hands the role over.
SINGLE: frozenset[Role] = frozenset(Role) - {Role.SME}


class Need(StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"


# Which roles each severity needs, from the playbook's role assignment. At SEV-2 the Technical Lead
# may be the Incident Commander; at SEV-3 and SEV-4 one responder (the IC) handles every role.
NEEDS: dict[Sev, dict[Role, Need]] = {
    Sev.SEV1: {
        Role.INCIDENT_COMMANDER: Need.REQUIRED,
        Role.TECH_LEAD: Need.REQUIRED,
        Role.COMMS_LEAD: Need.REQUIRED,
        Role.SCRIBE: Need.REQUIRED,
    },
    Sev.SEV2: {Role.INCIDENT_COMMANDER: Need.REQUIRED, Role.TECH_LEAD: Need.REQUIRED, Role.SCRIBE: Need.RECOMMENDED},
    Sev.SEV3: {Role.INCIDENT_COMMANDER: Need.REQUIRED},
    Sev.SEV4: {Role.INCIDENT_COMMANDER: Need.REQUIRED},
}

# At SEV-1 and SEV-2 someone commands from the first minutes: whoever acknowledges takes command
# when nobody holds it yet.
COMMAND_ON_ACKNOWLEDGE: frozenset[Sev] = frozenset({Sev.SEV1, Sev.SEV2})


def takes_command(sev: Sev, held: Collection[Role]) -> bool:
    """Whether the person acknowledging an incident of `sev` becomes its Incident Commander."""
    return sev in COMMAND_ON_ACKNOWLEDGE and Role.INCIDENT_COMMANDER not in held


# SEV-2: "Technical Lead (same person as IC okay)".
STANDS_IN: dict[Sev, dict[Role, Role]] = {Sev.SEV2: {Role.TECH_LEAD: Role.INCIDENT_COMMANDER}}


@dataclass(frozen=True, slots=True)
class Staffing:
    missing: tuple[Role, ...]  # required roles nobody holds
    recommended_missing: tuple[Role, ...]
    stood_in: tuple[tuple[Role, Role], ...]  # (role, filled by whoever holds this role)
    assemble_by: datetime | None  # when the team should be in place; None: no assemble target
    overdue: bool  # required roles unfilled past the assemble target

    @property
    def assembled(self) -> bool:
        return not self.missing

    def warning(self) -> str:
        """One sentence for the incident page, or "" when the team is in place."""
        if not self.missing:
            return ""
        names = ", ".join(r.label for r in self.missing)
        when = "past the assemble target" if self.overdue else "still to assign"
        return f"Unfilled required role(s) {when}: {names}"


def staffing(sev: Sev, held: Mapping[Role, Collection[str]], assemble_by: datetime | None, now: datetime) -> Staffing:
    """Which of the severity's roles are unfilled, given who holds what (`held[role]` = people) and
    the assemble deadline (`targets.assemble_deadline`; None: no assemble target)."""
    needs = NEEDS[sev]
    stand_ins = STANDS_IN.get(sev, {})
    missing: list[Role] = []
    recommended: list[Role] = []
    stood: list[tuple[Role, Role]] = []
    for role, need in needs.items():
        if held.get(role):
            continue
        other = stand_ins.get(role)
        if other is not None and held.get(other):
            stood.append((role, other))
            continue
        (missing if need is Need.REQUIRED else recommended).append(role)
    overdue = bool(missing) and assemble_by is not None and now > assemble_by
    return Staffing(tuple(missing), tuple(recommended), tuple(stood), assemble_by, overdue)


def assembled_at(sev: Sev, assignments: Collection[tuple[Role, datetime]]) -> datetime | None:
    """When the last required role was first filled (given every assignment ever made), or None."""
    first: dict[Role, datetime] = {}
    for role, at in assignments:
        if role not in first or at < first[role]:
            first[role] = at
    stand_ins = STANDS_IN.get(sev, {})
    times: list[datetime] = []
    for role, need in NEEDS[sev].items():
        if need is not Need.REQUIRED:
            continue
        candidates = [first[r] for r in (role, stand_ins.get(role)) if r is not None and r in first]
        if not candidates:
            return None
        times.append(min(candidates))
    return max(times) if times else None
