"""Who is reminded when an incident's status update is overdue, and why that person.

Pure. The Incident Commander runs the incident and answers for its updates; without one, the
Communications Lead who writes them; without either, whoever acknowledged the incident; and when
nobody did, whoever is on call at the highest escalation level the incident reached (the people of
its latest page at that level), so that a reminder always reaches someone who was told of it.
A disabled person is reminded of nothing: the reminder goes to the next in that order instead.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from firebell.incidents.roles import Role


@dataclass(frozen=True, slots=True)
class Paged:
    """One page of the incident: who, at which escalation level (1-based), when."""

    level: int
    user_id: str
    paged_at: datetime


@dataclass(frozen=True, slots=True)
class Reminded:
    user_ids: tuple[str, ...]
    why: str  # why these people, for the timeline: "Incident Commander"


def whom_to_remind(
    roles: Sequence[tuple[Role, str]],
    acknowledged_by: str | None,
    pages: Sequence[Paged],
    disabled: Collection[str] = (),
) -> Reminded | None:
    """The people to remind of an overdue update (`roles`: current holders as (role, user id)), or
    None when the incident has no IC, no Communications Lead, no acknowledgement and no page (of
    people not `disabled`)."""
    roles = [(role, user) for role, user in roles if user not in disabled]
    pages = [p for p in pages if p.user_id not in disabled]
    if acknowledged_by in disabled:
        acknowledged_by = None
    commanders = _holders(roles, Role.INCIDENT_COMMANDER)
    if commanders:
        return Reminded(commanders, "Incident Commander")
    leads = _holders(roles, Role.COMMS_LEAD)
    if leads:
        return Reminded(leads, "Communications Lead; nobody is Incident Commander")
    if acknowledged_by:
        return Reminded((acknowledged_by,), "acknowledged it; nobody is Incident Commander or Communications Lead")
    if pages:
        level = max(p.level for p in pages)
        at_level = [p for p in pages if p.level == level]
        latest = max(p.paged_at for p in at_level)
        people = tuple(dict.fromkeys(p.user_id for p in at_level if p.paged_at == latest))
        return Reminded(
            people,
            f"on call at escalation level {level}, the highest reached; "
            "nobody is Incident Commander or Communications Lead, and nobody acknowledged it",
        )
    return None


def _holders(roles: Sequence[tuple[Role, str]], wanted: Role) -> tuple[str, ...]:
    return tuple(dict.fromkeys(user for role, user in roles if role is wanted))
