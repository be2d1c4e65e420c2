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
from firebell.oncall.escalation import Policy, Step, TargetKind, paged
from firebell.oncall.notification_rules import after_hours
from firebell.oncall.schedule import Schedule
from firebell.oncall.service import policy_from_row, schedule_from_row
from firebell.paging.links import AckGrant, sign_ack
from firebell.paging.messages import PageNotice
from firebell.paging.model import (
    RESPONDER,
    Answer,
    DeliveryStatus,
    EscalationState,
    Progress,
    advance,
    answered,
    direct_policy,
    responder_policy,
    stop_reason,
)
from firebell.paging.ports import PagingRepo

ACK_LINK_LIFETIME = timedelta(hours=24)


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
        }
    )
    return escalation_id


@dataclass
class _Directory:
    """Who the due steps' targets mean: the policies, schedules, teams and people involved."""

    policies: dict[str, Policy]
    schedules: dict[str, Schedule]
    teams: dict[str, tuple[str, ...]]


def load_directory(repo: PagingRepo, rows: Sequence[Mapping[str, Any]]) -> _Directory:
    policy_ids = {str(r["policy_id"]) for r in rows if r["policy_id"]}
    policies = {str(p["id"]): policy_from_row(p) for p in repo.policies(policy_ids)} if policy_ids else {}
    schedule_ids: set[str] = set()
    team_ids: set[str] = set()
    for policy in policies.values():
        for level in policy.levels:
            for target in level.targets:
                if target.kind is TargetKind.SCHEDULE:
                    schedule_ids.add(target.ref)
                elif target.kind is TargetKind.TEAM:
                    team_ids.add(target.ref)
    schedules = {str(row["id"]): schedule_from_row(row, o) for row, o in repo.schedules_with_overrides(schedule_ids)}
    policies.update(_responder_policies(repo, rows))
    return _Directory(policies, schedules, repo.team_members(team_ids))


def _responder_policies(repo: PagingRepo, rows: Sequence[Mapping[str, Any]]) -> dict[str, Policy]:
    """The policies of responder requests, under `responder:<escalation id>`: their pages say who asked."""
    asked = {str(r["id"]): str(r["assignee_id"]) for r in rows if r.get("kind") == RESPONDER and r["assignee_id"]}
    requests = repo.responder_requests(asked) if asked else {}
    return {f"responder:{e}": responder_policy(user, requests.get(e, "")) for e, user in asked.items()}


@dataclass(frozen=True, slots=True)
class _Due:
    row: Mapping[str, Any]
    policy: Policy
    step: Step
    users: tuple[str, ...]
    held_back: tuple[str, ...] = ()  # a drill's: the policy reaches them; the drill's people are paged instead


def escalate(
    repo: PagingRepo,
    timeline: IncidentRepo,
    rows: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    links: Links,
    make_id: Callable[[], str] = new_id,
) -> int:
    """Page every step due by `now` of the claimed escalations `rows`; how many deliveries were made."""
    directory = load_directory(repo, rows)
    updates: list[dict[str, Any]] = []
    due: list[_Due] = []
    for row in rows:
        stop = stop_reason(
            incident_open=IncidentStatus(row["incident_status"]).is_open,
            acknowledged_at=row["acknowledged_at"],
            started_at=row.get("answer_after") or row["started_at"],
        )
        policy = _policy_of(row, directory)
        if stop is not None or policy is None:
            ended = stop or EscalationState.EXHAUSTED
            updates.append(_update(row, row["steps_taken"], None, ended, now))
            if policy is None:
                timeline.add_event(row["incident_id"], now, "escalation_ended", "The escalation policy was deleted")
            continue
        progress: Progress = advance(policy, row["started_at"], row["steps_taken"], now)
        for step in progress.steps:
            users = paged(policy, step.level, now, schedules=directory.schedules, teams=directory.teams)
            only = row.get("only_user_ids")
            if only is not None:
                # A drill: where the policy reaches anyone, the drill's people are paged in their place.
                stand_ins = tuple(only) if users else ()
                due.append(_Due(row, policy, step, stand_ins, tuple(u for u in users if u not in only)))
            else:
                due.append(_Due(row, policy, step, users))
        updates.append(_update(row, progress.taken, progress.next_due_at, progress.ended, now))
        if progress.ended is EscalationState.EXHAUSTED:
            timeline.add_event(
                row["incident_id"], now, "escalation_exhausted", "Every escalation level was paged; nobody acknowledged"
            )
    made = _page(repo, timeline, due, now=now, links=links, make_id=make_id)
    repo.update_escalations(updates)
    return made


def _policy_of(row: Mapping[str, Any], directory: _Directory) -> Policy | None:
    if row["assignee_id"]:
        return directory.policies.get(f"responder:{row['id']}") or direct_policy(str(row["assignee_id"]))
    return directory.policies.get(str(row["policy_id"]))


def _update(
    row: Mapping[str, Any], taken: int, next_due_at: datetime | None, ended: EscalationState | None, now: datetime
) -> dict[str, Any]:
    return {
        "b_id": row["id"],
        "b_steps_taken": taken,
        "b_next_due_at": next_due_at,
        "b_state": (ended or EscalationState.ACTIVE).value,
        "b_ended_at": now if ended else None,
    }


def _page(
    repo: PagingRepo,
    timeline: IncidentRepo,
    due: list[_Due],
    *,
    now: datetime,
    links: Links,
    make_id: Callable[[], str],
) -> int:
    everyone = {user for d in due for user in d.users}
    people = repo.people(everyone | {user for d in due for user in d.held_back})
    contacts = repo.contact_methods(everyone)
    services = repo.service_names({str(d.row["service_id"]) for d in due if d.row["service_id"]})
    pages: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    for item in due:
        row, level = item.row, item.step.level + 1
        said = []
        for user_id in item.users:
            person = people.get(user_id, {})
            name = str(person.get("display_name") or person.get("handle") or user_id)
            page_id = make_id()
            late_hours = after_hours(now, str(person.get("timezone") or "UTC"))
            pages.append(
                {
                    "id": page_id,
                    "escalation_id": row["id"],
                    "incident_id": row["incident_id"],
                    "user_id": user_id,
                    "step": item.step.number,
                    "level": level,
                    "due_at": item.step.due_at,
                    "paged_at": now,
                    "after_hours": late_hours,
                }
            )
            methods = contacts.get(user_id, [])
            for method in methods:
                key = f"{row['id']}:{item.step.number}:{user_id}:{method['id']}"
                notice = PageNotice(
                    incident_id=row["incident_id"],
                    number=int(row["number"]),
                    title=str(row["title"]),
                    sev=str(row["sev"]),
                    service=services.get(str(row["service_id"]), ""),
                    status=str(row["incident_status"]),
                    level=level,
                    opened_at=row["opened_at"],
                    due_at=item.step.due_at,
                    incident_url=links.incident(int(row["number"])),
                    ack_url=links.acknowledge(row["incident_id"], user_id, now),
                    after_hours=late_hours,
                    person=name,
                    idempotency_key=key,
                    action=item.policy.levels[item.step.level].action,
                    runbook_url=str(row.get("runbook_url") or ""),
                )
                deliveries.append(
                    {
                        "id": make_id(),
                        "idempotency_key": key,
                        "page_id": page_id,
                        "incident_id": row["incident_id"],
                        "user_id": user_id,
                        "channel": method["kind"],
                        "address": method["address"],
                        "message": notice.to_message(),
                        "status": DeliveryStatus.PENDING.value,
                        "due_at": now + timedelta(seconds=method["delay_seconds"] or 0),
                        "attempts": 0,
                        "lease_until": None,
                        "last_error": "",
                        "created_at": now,
                        "finished_at": None,
                    }
                )
            channels = ", ".join(sorted({str(m["kind"]) for m in methods})) or "no contact methods: nothing sent"
            said.append(f"{name} ({channels})" + (" after hours" if late_hours else ""))
        round_note = f", round {item.step.round + 1}" if item.step.round else ""
        if said:
            message = f"Level {level}{round_note} paged: " + "; ".join(said)
        else:
            message = f"Level {level}{round_note} paged nobody: its targets have nobody on call now"
        if item.held_back:
            names = (str(people.get(u, {}).get("display_name") or u) for u in item.held_back)
            message += f" (drill: in place of {', '.join(names)}, whom the policy reaches)"
        timeline.add_event(row["incident_id"], now, "paged", message, data={"level": level, "step": item.step.number})
    repo.add_pages(pages)
    repo.add_deliveries(deliveries)
    return len(deliveries)


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
    _end(
        paging,
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


def resolve(
    *, incidents: IncidentRepo, paging: PagingRepo, incident_id: str, actor: str, via: str, note: str, now: datetime
) -> None:
    """Resolve: the incident moves to RESOLVED, every page and pending notification stops, and its
    alerts resolve with it (an alert that fires again opens a new incident and pages again)."""
    move(incidents, incident_id, IncidentStatus.RESOLVED, now, actor=actor, note=note or f"via {via}")
    _stop(paging, incident_id, EscalationState.RESOLVED, now, f"resolved by {actor}")
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
    _stop(paging, incident_id, EscalationState.REPLACED, now, "reassigned", spare_responders=True)
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
    policy = policy_from_row(rows[0])
    # Stop (and so lock) the running escalation first: a page it commits meanwhile is counted.
    _stop(paging, incident_id, EscalationState.REPLACED, now, "escalated", spare_responders=True)
    index = min(paging.highest_level_paged(incident_id, str(policy_id)), len(policy.levels) - 1)
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
        }
    )
    why = f": {reason.strip()[:300]}" if reason.strip() else ""
    incidents.add_event(
        incident_id, now, "escalated", f"Escalated to level {index + 1} of {policy.name}{why}", actor=actor
    )
    return index + 1


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
    _end(paging, incident_id, ending, state, now, reason, everything=len(ending) == len(active))


def _end(
    paging: PagingRepo,
    incident_id: str,
    escalations: Sequence[Mapping[str, Any]],
    state: EscalationState,
    now: datetime,
    reason: str,
    *,
    everything: bool,
) -> None:
    for escalation in escalations:
        paging.update_escalation(escalation["id"], {"state": state.value, "next_due_at": None, "ended_at": now})
    if everything:
        paging.cancel_pending(incident_id, now, reason)
    else:
        paging.cancel_pending_of([str(e["id"]) for e in escalations], now, reason)
