"""Paging use cases: start an escalation with its incident, page what is due, acknowledge, resolve,
reassign.

Everything runs in the caller's transaction. Starting writes the escalation row beside the new
incident, so the first page is as durable as the incident itself. Paging a step writes its pages
and one pending delivery per contact method in the same transaction that moves the escalation on,
so a step is paged once, whatever crashes when.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from firebell.incidents.ports import IncidentRepo, ResponseRepo
from firebell.incidents.response import take_command_on_acknowledgement
from firebell.incidents.service import move
from firebell.incidents.state import IncidentStatus
from firebell.kernel.errors import Conflict, NotFound
from firebell.kernel.ids import new_id
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import Policy
from firebell.oncall.service import policy_from_row
from firebell.oncall.urgency import Urgency, urgency_for
from firebell.paging.links import AckGrant, sign_ack
from firebell.paging.model import (
    RESPONDER,
    Answer,
    EscalationState,
    answered,
)
from firebell.paging.ports import PagingRepo
from firebell.paging.timer_rules import ACK_TIMEOUT, UNRESOLVED, arm_acknowledgement_timeout

ACK_LINK_LIFETIME = timedelta(hours=24)
# The timeline entry saying a level recorded as paged reached nobody: its notifications were cancelled.
PAGE_CANCELLED = "page_cancelled"


@dataclass(frozen=True, slots=True)
class Links:
    """Where a page's links point, and the key that signs acknowledge links."""

    base_url: str
    key: bytes
    lifetime: timedelta = ACK_LINK_LIFETIME

    def incident(self, number: int) -> str:
        return f"{self.base_url}/incidents/{number}"

    def acknowledge(self, incident_id: str, user_id: str, now: datetime) -> str:
        token = sign_ack(self.key, AckGrant(incident_id, user_id, now + self.lifetime))
        return f"{self.base_url}/ack/{token}"


def start_escalation(
    repo: PagingRepo,
    *,
    incident_id: str,
    service_id: str | None,
    at: datetime,
    policy_id: str | None = None,
    assignee_id: str | None = None,
    category: str | None = None,
    only_user_ids: list[str] | None = None,
    sev: Sev | None = None,
    kind: str = "policy",
    answer_after: datetime | None = None,
    make_id: Callable[[], str] = new_id,
) -> str | None:
    """Start the service's policy (its policy for the alert's category, if it has one), or the policy
    given, or paging one person, at `at`; None when there is nothing to run. With `only_user_ids`
    (a drill), the policy runs as usual, but wherever it reaches someone those people are paged instead."""
    if policy_id is None and assignee_id is None:
        policy_id = repo.service_policy(service_id, category) if service_id else None
        if policy_id is None:
            return None
    escalation_id = make_id()
    repo.add_escalation(
        {
            "id": escalation_id,
            "incident_id": incident_id,
            "policy_id": policy_id,
            "assignee_id": assignee_id,
            "state": EscalationState.ACTIVE.value,
            "started_at": at,
            "steps_taken": 0,
            "next_due_at": at,
            "ended_at": None,
            "only_user_ids": only_user_ids,
            "sev": sev.value if sev is not None else None,
            "kind": kind,
            "answer_after": answer_after,
        }
    )
    return escalation_id


def start_paging(
    paging: PagingRepo,
    incidents: IncidentRepo,
    *,
    incident_id: str,
    service_id: str,
    sev: Sev,
    at: datetime,
    category: str | None = None,
    only_user_ids: list[str] | None = None,
) -> str | None:
    """Start paging a new incident of a service; a service with no policy (for a severity that
    should page) leaves the incident flagged: it reached nobody."""
    escalation_id = start_escalation(
        paging,
        incident_id=incident_id,
        service_id=service_id,
        at=at,
        category=category,
        only_user_ids=only_user_ids,
        sev=sev,
    )
    if escalation_id is None:
        service = paging.service_paging([service_id]).get(service_id)
        if urgency_for(sev, service.urgency if service else {}) is not Urgency.FOLLOW_UP:
            incidents.flag_page_gap(incident_id, "no_policy")
            incidents.add_event(incident_id, at, "not_paged", f"Nobody paged: service has no escalation policy ({sev})")
    return escalation_id


# --- people answering -----------------------------------------------------------------------------


def acknowledge(
    *,
    incidents: ResponseRepo,
    paging: PagingRepo,
    incident_id: str,
    actor: str,
    via: str,
    now: datetime,
    actor_id: str | None = None,
) -> Answer:
    """Acknowledge: the incident moves to ACKNOWLEDGED (if it had not) and its paging stops; `actor_id`
    is the person acknowledging, if a person is. A person asked to join answers their own request
    only; see `answered` for whose pages stop."""
    row = _open_incident(incidents, incident_id, "acknowledge")
    first = IncidentStatus(row["status"]) is IncidentStatus.DETECTED
    active = paging.active_escalations(incident_id)
    answer, stopping = answered(
        [(str(e.get("kind")), e["assignee_id"]) for e in active], actor_id, acknowledged=not first
    )
    stops = [active[i] for i in stopping]
    if answer is Answer.NOTHING:
        return answer
    if answer is Answer.REQUEST:
        incidents.add_event(incident_id, now, "acknowledged", f"Answered the request to join via {via}", actor=actor)
    elif first:
        move(incidents, incident_id, IncidentStatus.ACKNOWLEDGED, now, actor=actor, note=f"via {via}")
        if actor_id is not None:
            incidents.update(incident_id, {"acknowledged_by": actor_id})
    else:
        incidents.add_event(incident_id, now, "acknowledged", f"Acknowledged via {via}", actor=actor)
    if actor_id is not None and answer is Answer.INCIDENT:
        # Timers before escalations: the timer engine locks in that order too (no deadlock).
        arm_acknowledgement_timeout(
            paging.timers(),
            incident_id=incident_id,
            policy=_running_policy(paging, incident_id),
            sev=Sev(row["sev"]),
            user_id=actor_id,
            now=now,
        )
    _end(
        paging,
        incidents,
        incident_id,
        stops,
        EscalationState.ACKNOWLEDGED,
        now,
        f"acknowledged by {actor}",
        everything=stops == active,
    )
    if actor_id is not None and answer is Answer.INCIDENT:
        name = incidents.person_name(actor_id) or actor
        take_command_on_acknowledgement(incidents, incident_id=incident_id, user=(actor_id, name), actor=actor, at=now)
    return answer


def _running_policy(paging: PagingRepo, incident_id: str) -> Policy | None:
    """The policy the incident's paging ran last (its acknowledgement timeout applies)."""
    escalations = paging.escalations_of(incident_id)
    policy_id = next((str(e["policy_id"]) for e in reversed(escalations) if e["policy_id"]), None)
    rows = paging.policies({policy_id}) if policy_id else []
    return policy_from_row(rows[0]) if rows else None


def resolve(
    *, incidents: IncidentRepo, paging: PagingRepo, incident_id: str, actor: str, via: str, note: str, now: datetime
) -> None:
    """Resolve: the incident moves to RESOLVED, every page and pending notification stops, and its
    alerts resolve with it (an alert that fires again opens a new incident and pages again)."""
    move(incidents, incident_id, IncidentStatus.RESOLVED, now, actor=actor, note=note or f"via {via}")
    for kind in (ACK_TIMEOUT, UNRESOLVED):
        paging.timers().cancel(incident_id, kind, now)
    _stop(paging, incidents, incident_id, EscalationState.RESOLVED, now, f"resolved by {actor}")
    closed = paging.resolve_open_alerts(incident_id, now)
    if closed:
        incidents.add_event(incident_id, now, "alerts_resolved", f"{closed} open alert(s) resolved with the incident")


def reassign(
    *,
    incidents: IncidentRepo,
    paging: PagingRepo,
    incident_id: str,
    actor: str,
    now: datetime,
    policy: tuple[str, str] | None = None,
    person: tuple[str, str] | None = None,
) -> str:
    """Hand the incident to another policy or person (id, name): escalation restarts from level 1."""
    _open_incident(incidents, incident_id, "reassign")
    only = _drill_people(paging.escalations_of(incident_id))
    paging.timers().cancel(incident_id, ACK_TIMEOUT, now)  # the acknowledger handed it on
    _stop(paging, incidents, incident_id, EscalationState.REPLACED, now, "reassigned", spare_responders=True)
    escalation_id = start_escalation(
        paging,
        incident_id=incident_id,
        service_id=None,
        at=now,
        policy_id=policy[0] if policy else None,
        assignee_id=person[0] if person else None,
        only_user_ids=only,
    )
    assert escalation_id is not None  # noqa: S101 - a policy or a person is always given here
    whom = f"policy {policy[1]}" if policy else f"{person[1] if person else ''}"
    incidents.add_event(incident_id, now, "reassigned", f"Reassigned to {whom}; escalation restarts", actor=actor)
    return escalation_id


def respond(
    verb: str,
    *,
    incidents: ResponseRepo,
    paging: PagingRepo,
    incident_id: str,
    actor: str,
    via: str,
    now: datetime,
    actor_id: str | None = None,
) -> Answer | None:
    """`acknowledge` or `resolve`, as a person's button or link names it (`actor_id`: the person's id);
    what an acknowledgement answered."""
    if verb == "acknowledge":
        return acknowledge(
            incidents=incidents,
            paging=paging,
            incident_id=incident_id,
            actor=actor,
            via=via,
            now=now,
            actor_id=actor_id,
        )
    if verb == "resolve":
        resolve(incidents=incidents, paging=paging, incident_id=incident_id, actor=actor, via=via, note="", now=now)
        return None
    raise ValueError(f"cannot {verb} an incident")


def move_to(
    *,
    incidents: ResponseRepo,
    paging: PagingRepo,
    incident_id: str,
    current: IncidentStatus,
    target: IncidentStatus,
    actor: str,
    via: str,
    now: datetime,
    actor_id: str | None = None,
) -> None:
    """Any move of the lifecycle. Acknowledging and resolving answer the page; moving a detected
    incident to a working state acknowledges it first (someone is on it), then moves it."""
    verb = {IncidentStatus.ACKNOWLEDGED: "acknowledge", IncidentStatus.RESOLVED: "resolve"}.get(target)
    if verb is None and current is IncidentStatus.DETECTED and target.is_open:
        verb = "acknowledge"

    def answer(what: str) -> None:
        respond(
            what,
            incidents=incidents,
            paging=paging,
            incident_id=incident_id,
            actor=actor,
            via=via,
            now=now,
            actor_id=actor_id,
        )

    if verb is not None:
        answer(verb)
    if verb == "acknowledge" and target is not IncidentStatus.ACKNOWLEDGED:
        answer(verb)  # moving the incident on acknowledges it, past the person's own request to join
    if target not in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED):
        move(incidents, incident_id, target, now, actor=actor, note=f"via {via}")


def escalate_further(
    *, incidents: IncidentRepo, paging: PagingRepo, incident_id: str, actor: str, reason: str, now: datetime
) -> int | None:
    """Page the next level of the incident's policy now (the level after the highest one paged, or
    the last level again), even though the incident is acknowledged. Returns the 1-based level, or
    None when there is no policy to escalate through."""
    row = _open_incident(incidents, incident_id, "escalate")
    escalations = sorted(paging.escalations_of(incident_id), key=lambda e: str(e["id"]))
    only = _drill_people(escalations)
    policy_id = next((str(e["policy_id"]) for e in reversed(escalations) if e["policy_id"]), None)
    if policy_id is None and row.get("service_id"):
        policy_id = paging.service_policy(str(row["service_id"]))
    rows = paging.policies({policy_id}) if policy_id else []
    if not rows:
        return None
    policy = policy_from_row(rows[0]).for_severity(Sev(row["sev"]))
    if policy is None:
        return None  # no level of the policy pages for this severity
    # Stop (and so lock) the running escalation first: a page it commits meanwhile is counted.
    _stop(paging, incidents, incident_id, EscalationState.REPLACED, now, "escalated", spare_responders=True)
    highest = paging.highest_level_paged(incident_id, str(policy_id))
    above = [i for i in range(len(policy.levels)) if policy.number(i) > highest]
    index = above[0] if above else len(policy.levels) - 1
    offset = sum((level.timeout for level in policy.levels[:index]), timedelta(0))
    paging.add_escalation(
        {
            "id": new_id(),
            "incident_id": incident_id,
            "policy_id": policy_id,
            "assignee_id": None,
            "state": EscalationState.ACTIVE.value,
            "started_at": now - offset,  # so that this level falls due now
            "steps_taken": index,
            "next_due_at": now,
            "ended_at": None,
            "answer_after": now,
            "only_user_ids": only,
            # Someone asked for it (a person, or the unresolved rule): it pages at once, whatever
            # the severity's urgency.
            "kind": "escalated",
        }
    )
    why = f": {reason.strip()[:300]}" if reason.strip() else ""
    incidents.add_event(
        incident_id, now, "escalated", f"Escalated to level {policy.number(index)} of {policy.name}{why}", actor=actor
    )
    return policy.number(index)


def _drill_people(escalations: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """A drill's incident keeps paging only the drill's people, however it is escalated or handed on."""
    return next((list(e["only_user_ids"]) for e in escalations if e.get("only_user_ids") is not None), None)


def _open_incident(incidents: IncidentRepo, incident_id: str, verb: str) -> Mapping[str, Any]:
    row = incidents.get(incident_id)
    if row is None:
        raise NotFound(f"incident {incident_id} not found")
    if not IncidentStatus(row["status"]).is_open:
        raise Conflict(
            f"cannot {verb} an incident that is {row['status']}",
            details=[{"field": "status", "allowed": []}],
        )
    return row


def _stop(
    paging: PagingRepo,
    incidents: IncidentRepo,
    incident_id: str,
    state: EscalationState,
    now: datetime,
    reason: str,
    *,
    spare_responders: bool = False,
) -> None:
    """End the incident's active escalations; with `spare_responders`, people asked to join go on
    being paged (handing the incident on does not answer their requests)."""
    active = paging.active_escalations(incident_id)
    ending = [e for e in active if not (spare_responders and e.get("kind") == RESPONDER)]
    _end(paging, incidents, incident_id, ending, state, now, reason, everything=len(ending) == len(active))


def _end(
    paging: PagingRepo,
    incidents: IncidentRepo,
    incident_id: str,
    escalations: Sequence[Mapping[str, Any]],
    state: EscalationState,
    now: datetime,
    reason: str,
    *,
    everything: bool,
) -> None:
    # In id order, as the delivery claim locks them (no deadlock with a claim on PostgreSQL).
    for escalation in sorted(escalations, key=lambda e: str(e["id"])):
        paging.update_escalation(escalation["id"], {"state": state.value, "next_due_at": None, "ended_at": now})
    if everything:
        cancelled = paging.cancel_pending(incident_id, now, reason)
    else:
        cancelled = paging.cancel_pending_of([str(e["id"]) for e in escalations], now, reason)
    record_unsent_levels(incidents, paging.steps_never_sent(cancelled), now, reason)


def record_unsent_levels(
    incidents: IncidentRepo, steps: Sequence[Mapping[str, Any]], now: datetime, reason: str
) -> None:
    """The timeline says so when a level it recorded as paged reached nobody after all: every one
    of its notifications was cancelled before it went out."""
    for step in steps:
        incidents.add_event(
            str(step["incident_id"]),
            now,
            PAGE_CANCELLED,
            f"Level {step['level']}'s notifications were cancelled before any went out: {reason}",
            data={"level": step["level"], "step": step["step"]},
        )
