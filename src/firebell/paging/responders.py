"""Paging more people into an open incident without handing it over.

Each person asked to join gets an escalation of their own (kind `responder`, the person as its
assignee), written in the caller's transaction beside the timeline entry that records who asked and
why; the engine pages them like a reassignment, again until they answer (before the incident is
acknowledged, anyone's acknowledgement answers). The incident's running escalation goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firebell.incidents.ports import IncidentRepo
from firebell.incidents.state import IncidentStatus
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.oncall.escalation import Target, TargetKind, who
from firebell.oncall.service import schedule_from_row
from firebell.paging.model import RESPONDER, RESPONDER_PAGED, EscalationState
from firebell.paging.ports import PagingRepo

MAX_MESSAGE = 500

Named = tuple[str, str]  # (id, name)


@dataclass(frozen=True, slots=True)
class Ask:
    """Whom to page, each (id, name): people; schedules (whoever is on call on them now); teams
    (their responders and admins: viewers are never paged)."""

    users: tuple[Named, ...] = ()
    schedules: tuple[Named, ...] = ()
    teams: tuple[Named, ...] = ()

    @property
    def first_field(self) -> str:
        return "users" if self.users else "schedules" if self.schedules else "teams"


@dataclass(frozen=True, slots=True)
class Paged:
    user_id: str
    name: str
    via: str  # "" for a person named, else the schedule or team that reached them


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Outcome:
    paged: tuple[Paged, ...]
    skipped: tuple[Skipped, ...]


def page_responders(
    *,
    incidents: IncidentRepo,
    paging: PagingRepo,
    incident_id: str,
    ask: Ask,
    message: str,
    actor: str,
    now: datetime,
    actor_id: str | None = None,
    make_id: Callable[[], str] = new_id,
) -> Outcome:
    """Page the people `ask` reaches into the open incident, each with who asked (`actor`, the person
    `actor_id`) and the `message`. The one asking and people already asked and not answering are
    skipped; refused when that leaves nobody."""
    _open(incidents, incident_id)
    note = " ".join(message.split())
    if len(note) > MAX_MESSAGE:
        raise ValidationFailed.field("message", f"at most {MAX_MESSAGE} characters")
    if not (ask.users or ask.schedules or ask.teams):
        raise ValidationFailed.field("users", "name a person, a schedule or a team to page")
    reached, skipped = _reach(paging, ask, now)
    people = paging.people({user for user, _via in reached} | ({actor_id} if actor_id else set()))
    paging_now = {str(e["assignee_id"]) for e in paging.active_escalations(incident_id) if e.get("kind") == RESPONDER}
    paged: list[Paged] = []
    for user_id, via in reached:
        name = _name(people, user_id)
        if user_id == actor_id:
            skipped.append(Skipped(name, "is the one asking"))
        elif people.get(user_id, {}).get("disabled_at") is not None:
            skipped.append(Skipped(name, "is disabled"))
        elif user_id in paging_now:
            skipped.append(Skipped(name, "is already being paged to join and has not answered yet"))
        else:
            paging_now.add(user_id)
            paged.append(Paged(user_id, name, via))
    if not paged:
        reasons = "; ".join(f"{s.name} {s.reason}" for s in skipped)
        raise ValidationFailed.field(ask.first_field, f"nobody to page: {reasons}")
    requester = _name(people, actor_id) if actor_id else actor
    for person in paged:
        _add(incidents, paging, incident_id, person, requester, note, actor, now, make_id())
    return Outcome(tuple(paged), tuple(skipped))


def _open(incidents: IncidentRepo, incident_id: str) -> None:
    row = incidents.get(incident_id)
    if row is None:
        raise NotFound(f"incident {incident_id} not found")
    if not IncidentStatus(row["status"]).is_open:
        raise Conflict(
            f"cannot page people into an incident that is {row['status']}",
            details=[{"field": "status", "allowed": []}],
        )


def _reach(paging: PagingRepo, ask: Ask, now: datetime) -> tuple[list[tuple[str, str]], list[Skipped]]:
    """(user id, via) of everyone asked for, each once, in the order asked; the targets reaching nobody."""
    rows = paging.schedules_with_overrides([s for s, _name in ask.schedules])
    schedules = {str(row["id"]): schedule_from_row(row, overrides) for row, overrides in rows}
    teams = paging.team_members([t for t, _name in ask.teams])
    found: dict[str, str] = {user: "" for user, _name in ask.users}
    empty: list[Skipped] = []
    for kind, named, via, why in (
        (TargetKind.SCHEDULE, ask.schedules, "on call on {}", "has nobody on call now"),
        (TargetKind.TEAM, ask.teams, "team {}", "has no responders or admins to page"),
    ):
        for ref, name in named:
            users = who(Target(kind, ref), now, schedules=schedules, teams=teams)
            if not users:
                empty.append(Skipped(f"{kind.value} {name}", why))
            for user in users:
                found.setdefault(user, via.format(name))
    return list(found.items()), empty


def _add(
    incidents: IncidentRepo,
    paging: PagingRepo,
    incident_id: str,
    person: Paged,
    requester: str,
    note: str,
    actor: str,
    now: datetime,
    escalation_id: str,
) -> None:
    """The person's escalation, due now, and the timeline entry its pages take the request from."""
    paging.add_escalation(
        {
            "id": escalation_id,
            "incident_id": incident_id,
            "policy_id": None,
            "assignee_id": person.user_id,
            "kind": RESPONDER,
            "state": EscalationState.ACTIVE.value,
            "started_at": now,
            "steps_taken": 0,
            "next_due_at": now,
            "ended_at": None,
            "only_user_ids": None,
        }
    )
    said = f": {note}" if note else ""
    how = f"responder request, {person.via}" if person.via else "responder request"
    incidents.add_event(
        incident_id,
        now,
        RESPONDER_PAGED,
        f"{requester} paged {person.name} ({how}){said}",
        actor=actor,
        data={
            "escalation_id": escalation_id,
            "user_id": person.user_id,
            "request": f"{requester} asks you to join this incident{said}",
        },
    )


def _name(people: Mapping[str, Mapping[str, Any]], user_id: str | None) -> str:
    person = people.get(user_id or "", {})
    return str(person.get("display_name") or person.get("handle") or person.get("email") or user_id)
