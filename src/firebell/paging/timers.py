"""Paging beyond the escalation: an incident still unresolved a while after it opened pages further
(the next level up, or a named person, schedule or team), and an acknowledgement that is left
alone pages the acknowledger again.

Timers are rows written in the transaction that decides them (the escalation's first pass, an
acknowledgement) and fired by an engine module at their due time; each fires once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from firebell.incidents.ports import IncidentRepo
from firebell.incidents.state import IncidentStatus
from firebell.incidents.targets import format_span
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import Target, TargetKind, who
from firebell.oncall.service import schedule_from_row
from firebell.paging.ports import PagingRepo
from firebell.paging.service import escalate_further, start_escalation
from firebell.paging.timer_rules import ACK_TIMEOUT, UNRESOLVED, TimerRepo


@dataclass(frozen=True, slots=True)
class Fired:
    timer_id: str
    state: str  # done or cancelled


def fire(
    timers: TimerRepo,
    paging: PagingRepo,
    incidents: IncidentRepo,
    rows: list[dict[str, Any]],
    *,
    now: datetime,
) -> list[Fired]:
    """Act on each due timer: page further, or page the acknowledger again, if still unresolved."""
    fired = []
    for row in rows:
        incident = incidents.get(str(row["incident_id"]))
        state = "cancelled"
        if incident is not None and IncidentStatus(incident["status"]).is_open:
            if row["kind"] == UNRESOLVED:
                state = _unresolved(paging, incidents, row, incident, now)
            else:
                state = _page_again(paging, incidents, row, now)
        timers.finish(str(row["id"]), state, now)
        fired.append(Fired(str(row["id"]), state))
    return fired


def _unresolved(
    paging: PagingRepo, incidents: IncidentRepo, row: Mapping[str, Any], incident: Mapping[str, Any], now: datetime
) -> str:
    sev = Sev(row["sev"])
    if Sev(incident["sev"]).rank > sev.rank:
        return "cancelled"  # lowered since: that severity's rule no longer applies
    after = format_span(timedelta(seconds=int(row["target"].get("after_seconds", 0))))
    reason = f"still unresolved {after} after it opened ({sev})"
    target = row["target"]
    if not target.get("kind"):
        level = escalate_further(
            incidents=incidents,
            paging=paging,
            incident_id=str(row["incident_id"]),
            actor="firebell",
            reason=reason,
            now=now,
        )
        if level is None:
            incidents.add_event(str(row["incident_id"]), now, "escalated", f"Nobody further to page: {reason}")
        return "done"
    people = _people(paging, Target(TargetKind(target["kind"]), str(target["ref"])), now)
    for user_id in people:
        _page_person(paging, str(row["incident_id"]), user_id, sev, UNRESOLVED, now)
    names = ", ".join(_name(paging, people)) or "nobody (nobody on call there)"
    incidents.add_event(str(row["incident_id"]), now, "escalated", f"Paged {names}: {reason}", actor="firebell")
    if not people:
        incidents.flag_page_gap(str(row["incident_id"]), "nobody_on_call")
    return "done"


def _page_again(paging: PagingRepo, incidents: IncidentRepo, row: Mapping[str, Any], now: datetime) -> str:
    user_id = str(row["user_id"] or "")
    if not user_id:
        return "cancelled"
    _page_person(paging, str(row["incident_id"]), user_id, Sev(row["sev"]), ACK_TIMEOUT, now)
    (name,) = _name(paging, [user_id])
    incidents.add_event(
        str(row["incident_id"]),
        now,
        "paged_again",
        f"Acknowledged by {name} and still unresolved after the acknowledgement timeout: paging {name} again",
        actor="firebell",
    )
    return "done"


def _page_person(paging: PagingRepo, incident_id: str, user_id: str, sev: Sev, kind: str, now: datetime) -> None:
    # Answered only by an acknowledgement after now: the incident may have been acknowledged long ago.
    start_escalation(
        paging,
        incident_id=incident_id,
        service_id=None,
        at=now,
        assignee_id=user_id,
        sev=sev,
        kind=kind,
        answer_after=now,
    )


def _people(paging: PagingRepo, target: Target, now: datetime) -> tuple[str, ...]:
    """Whom a named target means now: the person, whoever is on call on the schedule, or the team."""
    schedules = {}
    if target.kind is TargetKind.SCHEDULE:
        schedules = {str(r["id"]): schedule_from_row(r, o) for r, o in paging.schedules_with_overrides({target.ref})}
    teams = paging.team_members({target.ref}) if target.kind is TargetKind.TEAM else {}
    return who(target, now, schedules=schedules, teams=teams)


def _name(paging: PagingRepo, user_ids: list[str] | tuple[str, ...]) -> list[str]:
    people = paging.people(set(user_ids))
    return [str(people.get(u, {}).get("display_name") or people.get(u, {}).get("handle") or u) for u in user_ids]
