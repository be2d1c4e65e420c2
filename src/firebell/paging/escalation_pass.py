"""One engine pass over the escalations that fell due: who each due level reaches, under the
incident's severity, urgency and working hours, and the pages and notifications that go out.

Everything runs in the caller's transaction: the pages, their deliveries and the escalation's
progress are written together, so a step is paged once, whatever crashes when.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from firebell.alerts.details import Digest, digest
from firebell.incidents.ports import IncidentRepo
from firebell.incidents.state import IncidentStatus
from firebell.kernel.ids import new_id
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import Level, Policy, TargetKind, paged_with_delays
from firebell.oncall.schedule import Schedule
from firebell.oncall.service import policy_from_row, schedule_from_row
from firebell.oncall.urgency import Urgency, urgency_for
from firebell.oncall.working_hours import WorkingHours, from_doc
from firebell.paging.messages import PageNotice
from firebell.paging.model import (
    RESPONDER,
    DeliveryStatus,
    EscalationState,
    Lookups,
    PassPlan,
    PlannedStep,
    Reached,
    ServicePaging,
    direct_policy,
    plan_pass,
    responder_policy,
    stop_reason,
)
from firebell.paging.ports import PagingRepo
from firebell.paging.timer_rules import TimerRepo, arm_unresolved

if TYPE_CHECKING:
    from firebell.paging.service import Links

ALERTS_PAGED = 5  # the most recently seen alerts of an incident whose details a page carries

# Escalations that page a person someone asked for: they page at once, whatever the severity.
_DIRECT_KINDS = frozenset({"responder", "unresolved", "ack_timeout", "escalated"})


class FollowUp(Protocol):
    """Opens the follow-up of an incident whose severity pages nobody (a ticket, not a person)."""

    def __call__(self, *, incident_id: str, number: int, title: str, sev: Sev, now: datetime) -> str: ...


@dataclass
class Directory:
    """Who the due steps' targets mean: the policies, schedules, teams and services involved."""

    policies: dict[str, Policy]
    schedules: dict[str, Schedule]
    teams: dict[str, tuple[str, ...]]
    services: dict[str, ServicePaging]


def load_directory(repo: PagingRepo, rows: Sequence[Mapping[str, Any]]) -> Directory:
    policy_ids = {str(r["policy_id"]) for r in rows if r["policy_id"]}
    policies = {str(p["id"]): policy_from_row(p) for p in repo.policies(policy_ids)} if policy_ids else {}
    policies.update(_responder_policies(repo, rows))
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
    service_ids = {str(r["service_id"]) for r in rows if r.get("service_id")}
    return Directory(policies, schedules, repo.team_members(team_ids), repo.service_paging(service_ids))


@dataclass(frozen=True, slots=True)
class _Due:
    row: Mapping[str, Any]
    policy: Policy
    planned: PlannedStep
    people: tuple[Reached, ...]
    held_back: tuple[str, ...] = ()  # a drill's: the policy reaches them; the drill's people are paged instead


class PeopleCache:
    """People's names, zones and working hours, read once per pass as they are needed."""

    def __init__(self, repo: PagingRepo) -> None:
        self.repo = repo
        self.known: dict[str, dict[str, Any]] = {}

    def get(self, user_ids: set[str]) -> dict[str, dict[str, Any]]:
        missing = user_ids - self.known.keys()
        if missing:
            self.known.update(self.repo.people(missing))
        return {u: self.known.get(u, {}) for u in user_ids}

    def hours(self, user_id: str, service: ServicePaging | None) -> WorkingHours:
        if service is not None and service.working_hours is not None:
            return service.working_hours
        person = self.get({user_id})[user_id]
        return from_doc(person.get("working_hours"), str(person.get("timezone") or "UTC"))


def escalate(
    repo: PagingRepo,
    timeline: IncidentRepo,
    rows: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    links: Links,
    follow_up: FollowUp | None = None,
    timers: TimerRepo | None = None,
    make_id: Callable[[], str] = new_id,
) -> int:
    """Page every step due by `now` of the claimed escalations `rows`; how many deliveries were made.

    The first pass of a policy's escalation also sets the policy's unresolved rule for the severity.
    """
    directory = load_directory(repo, rows)
    people = PeopleCache(repo)
    updates: list[dict[str, Any]] = []
    due: list[_Due] = []
    for row in rows:
        stop = stop_reason(
            incident_open=IncidentStatus(row["incident_status"]).is_open,
            acknowledged_at=row["acknowledged_at"],
            started_at=row.get("answer_after") or row["started_at"],
        )
        sev = Sev(row.get("run_sev") or row["sev"])
        base = _policy_of(row, directory)
        policy = base.for_severity(sev) if base is not None else None
        if stop is not None or policy is None:
            updates.append(_update(row, row["steps_taken"], None, stop or EscalationState.EXHAUSTED, now))
            if stop is None:
                service_of = directory.services.get(str(row.get("service_id") or ""))
                quiet = urgency_for(sev, service_of.urgency if service_of else {}) is Urgency.FOLLOW_UP
                _no_policy(timeline, row, base, sev, now, flag=not quiet)
            continue
        if timers is not None and row.get("kind", "policy") == "policy" and row["policy_id"] and not row["steps_taken"]:
            arm_unresolved(
                timers,
                incident_id=row["incident_id"],
                policy_id=str(row["policy_id"]),
                policy=policy,
                sev=sev,
                opened_at=row["opened_at"],
                now=now,
            )
        service = directory.services.get(str(row.get("service_id") or ""))
        plan = plan_pass(
            policy, row["started_at"], row["steps_taken"], now, _lookups(row, policy, sev, service, directory, people)
        )
        due += _dues(row, policy, plan)
        _tell(timeline, row, policy, plan, sev, people, now)
        ended = plan.ended
        if ended is EscalationState.EXHAUSTED and not row["steps_taken"] and all(s.skipped for s in plan.steps):
            ended = EscalationState.FOLLOW_UP
            _open_follow_up(timeline, follow_up, row, sev, now)
        elif ended is EscalationState.EXHAUSTED:
            timeline.add_event(
                row["incident_id"], now, "escalation_exhausted", "Every escalation level was paged; nobody acknowledged"
            )
        updates.append(_update(row, plan.taken, plan.next_due_at, ended, now, plan.started_at))
    made = _page(repo, timeline, due, people, now=now, links=links, make_id=make_id)
    repo.update_escalations(updates)
    return made


def _lookups(
    row: Mapping[str, Any],
    policy: Policy,
    sev: Sev,
    service: ServicePaging | None,
    directory: Directory,
    people: PeopleCache,
) -> Lookups:
    direct = bool(row["assignee_id"]) or row.get("kind") in _DIRECT_KINDS
    urgency = service.urgency if service is not None else {}

    def reached(level: int, at: datetime) -> tuple[tuple[str, timedelta | None], ...]:
        return paged_with_delays(policy, level, at, schedules=directory.schedules, teams=directory.teams)

    def level_urgency(level: Level) -> Urgency:
        return Urgency.PAGE if direct else urgency_for(sev, urgency, level.urgency)

    def disabled(user: str) -> bool:
        return people.get({user})[user].get("disabled_at") is not None

    return Lookups(reached, level_urgency, lambda user: people.hours(user, service), disabled)


def _dues(row: Mapping[str, Any], policy: Policy, plan: PassPlan) -> list[_Due]:
    found = []
    only = row.get("only_user_ids")
    for planned in plan.steps:
        if planned.skipped:
            continue
        if only is None:
            found.append(_Due(row, policy, planned, planned.people))
            continue
        # A drill: where the policy reaches anyone, the drill's people are paged in their place.
        reached = {p.user for p in planned.people}
        stand_ins = tuple(Reached(u, _first_at(planned)) for u in only) if reached else ()
        found.append(_Due(row, policy, planned, stand_ins, tuple(u for u in reached if u not in only)))
    return found


def _first_at(planned: PlannedStep) -> datetime:
    """When a drill's stand-ins are paged: when the first person the step reaches would be."""
    return min(p.at for p in planned.people)


def _tell(
    timeline: IncidentRepo,
    row: Mapping[str, Any],
    policy: Policy,
    plan: PassPlan,
    sev: Sev,
    people: PeopleCache,
    now: datetime,
) -> None:
    """Skipped levels and a level held for working hours go on the timeline, with the reason."""
    for planned in plan.steps:
        if planned.skipped and not all(s.skipped for s in plan.steps):
            level = policy.number(planned.step.level)
            timeline.add_event(
                row["incident_id"], now, "level_skipped", f"Level {level} skipped: it opens a follow-up for {sev}"
            )
    hold = plan.hold
    if hold is None:
        return
    names = people.get(set(hold.users))
    who = ", ".join(str(names[u].get("display_name") or names[u].get("handle") or u) for u in hold.users)
    timeline.add_event(
        row["incident_id"],
        now,
        "page_held",
        f"Level {policy.number(hold.level)} waits for working hours ({sev}): {who} paged at "
        f"{hold.until:%Y-%m-%d %H:%M} UTC",
        data={"level": policy.number(hold.level), "until": hold.until.isoformat()},
    )


def _no_policy(
    timeline: IncidentRepo, row: Mapping[str, Any], base: Policy | None, sev: Sev, now: datetime, *, flag: bool
) -> None:
    """The escalation ends with nobody to page; unless its severity pages nobody by design (`flag`
    False), the incident is flagged as having reached nobody."""
    if base is None:
        timeline.add_event(row["incident_id"], now, "escalation_ended", "The escalation policy was deleted")
        if flag:
            timeline.flag_page_gap(row["incident_id"], "no_policy")
        return
    timeline.add_event(
        row["incident_id"], now, "escalation_ended", f"No level of escalation policy {base.name} pages for {sev}"
    )
    if flag:
        timeline.flag_page_gap(row["incident_id"], "no_level")


def _open_follow_up(
    timeline: IncidentRepo, follow_up: FollowUp | None, row: Mapping[str, Any], sev: Sev, now: datetime
) -> None:
    ref = ""
    if follow_up is not None:
        ref = follow_up(
            incident_id=row["incident_id"], number=int(row["number"]), title=str(row["title"]), sev=sev, now=now
        )
    where = f": {ref}" if ref else ""
    timeline.add_event(row["incident_id"], now, "follow_up", f"{sev} opens a follow-up and pages nobody{where}")


def _responder_policies(repo: PagingRepo, rows: Sequence[Mapping[str, Any]]) -> dict[str, Policy]:
    """The policies of responder requests, under `responder:<escalation id>`: their pages say who asked."""
    asked = {str(r["id"]): str(r["assignee_id"]) for r in rows if r.get("kind") == RESPONDER and r["assignee_id"]}
    requests = repo.responder_requests(asked) if asked else {}
    return {f"responder:{e}": responder_policy(user, requests.get(e, "")) for e, user in asked.items()}


def _policy_of(row: Mapping[str, Any], directory: Directory) -> Policy | None:
    if row["assignee_id"]:
        return directory.policies.get(f"responder:{row['id']}") or direct_policy(str(row["assignee_id"]))
    return directory.policies.get(str(row["policy_id"]))


def _update(
    row: Mapping[str, Any],
    taken: int,
    next_due_at: datetime | None,
    ended: EscalationState | None,
    now: datetime,
    started_at: datetime | None = None,
) -> dict[str, Any]:
    started = started_at or row["started_at"]
    # Moving the start (a hold, a delay) must not let an earlier acknowledgement stop the escalation
    # any more than it did before: it is answered only after its original start.
    answer_after = row.get("answer_after") or (row["started_at"] if started != row["started_at"] else None)
    return {
        "b_id": row["id"],
        "b_steps_taken": taken,
        "b_next_due_at": next_due_at,
        "b_state": (ended or EscalationState.ACTIVE).value,
        "b_ended_at": now if ended else None,
        "b_started_at": started,
        "b_answer_after": answer_after,
    }


def _page(
    repo: PagingRepo,
    timeline: IncidentRepo,
    due: list[_Due],
    directory_people: PeopleCache,
    *,
    now: datetime,
    links: Links,
    make_id: Callable[[], str],
) -> int:
    everyone = {p.user for d in due for p in d.people}
    skipped = {user for d in due for user in d.planned.disabled}
    people = directory_people.get(everyone | skipped | {user for d in due for user in d.held_back})
    contacts = repo.contact_methods(everyone)
    services = repo.service_names({str(d.row["service_id"]) for d in due if d.row["service_id"]})
    alerts = {
        incident_id: (tuple(digest(a) for a in rows), more)
        for incident_id, (rows, more) in repo.incident_alerts(
            {str(d.row["incident_id"]) for d in due if d.people}, ALERTS_PAGED
        ).items()
    }
    pages: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    unreached: dict[str, str] = {}
    for item in due:
        row, level = item.row, item.policy.number(item.planned.step.level)
        said = []
        for reached in item.people:
            person = people.get(reached.user, {})
            page, sent, note = _page_person(
                item,
                reached,
                person,
                contacts.get(reached.user, []),
                services,
                links,
                now,
                make_id,
                alerts.get(str(row["incident_id"]), ((), 0)),
            )
            pages.append(page)
            deliveries += sent
            said.append(note)
        if not any(d["incident_id"] == row["incident_id"] for d in deliveries):
            unreached[row["incident_id"]] = "no_contact_methods" if item.people else "nobody_on_call"
        timeline.add_event(
            row["incident_id"],
            now,
            "paged",
            _paged_message(item, said, people),
            data={"level": level, "step": item.planned.step.number},
        )
    repo.add_pages(pages)
    repo.add_deliveries(deliveries)
    for incident_id, reason in unreached.items():
        if not repo.incident_reached(incident_id):
            timeline.flag_page_gap(incident_id, reason)
    return len(deliveries)


def _paged_message(item: _Due, said: list[str], people: Mapping[str, Mapping[str, Any]]) -> str:
    step = item.planned.step
    round_note = f", round {step.round + 1}" if step.round else ""
    level = item.policy.number(step.level)
    skipped = [f"{_name(people.get(u, {}), u)} (disabled)" for u in item.planned.disabled]
    if said:
        message = f"Level {level}{round_note} paged: " + "; ".join(said)
    elif skipped:
        message = f"Level {level}{round_note} paged nobody"
    else:
        message = f"Level {level}{round_note} paged nobody: its targets have nobody on call now"
    if skipped:
        message += "; skipped: " + ", ".join(skipped)
    if item.held_back:
        names = (str(people.get(u, {}).get("display_name") or u) for u in item.held_back)
        message += f" (drill: in place of {', '.join(names)}, whom the policy reaches)"
    return message


def _name(person: Mapping[str, Any], user_id: str) -> str:
    return str(person.get("display_name") or person.get("handle") or user_id)


def _page_person(
    item: _Due,
    reached: Reached,
    person: Mapping[str, Any],
    methods: list[dict[str, Any]],
    services: Mapping[str, str],
    links: Links,
    now: datetime,
    make_id: Callable[[], str],
    alerts: tuple[tuple[Digest, ...], int] = ((), 0),
) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """The page row of one person, a pending delivery per contact method, and what the timeline says."""
    row, step = item.row, item.planned.step
    user_id = reached.user
    name = str(person.get("display_name") or person.get("handle") or user_id)
    zone = str(person.get("timezone") or "UTC")
    late_hours = not from_doc(person.get("working_hours"), zone).contains(reached.at)
    page_id = make_id()
    page = {
        "id": page_id,
        "escalation_id": row["id"],
        "incident_id": row["incident_id"],
        "user_id": user_id,
        "step": step.number,
        "level": item.policy.number(step.level),
        "due_at": step.due_at,
        "paged_at": reached.at,
        "after_hours": late_hours,
    }
    deliveries = []
    for method in methods:
        key = f"{row['id']}:{step.number}:{user_id}:{method['id']}"
        notice = PageNotice(
            incident_id=row["incident_id"],
            number=int(row["number"]),
            title=str(row["title"]),
            sev=str(row["sev"]),
            service=services.get(str(row["service_id"]), ""),
            status=str(row["incident_status"]),
            level=item.policy.number(step.level),
            opened_at=row["opened_at"],
            due_at=step.due_at,
            incident_url=links.incident(int(row["number"])),
            ack_url=links.acknowledge(row["incident_id"], user_id, max(now, reached.at)),
            after_hours=late_hours,
            person=name,
            idempotency_key=key,
            action=item.policy.levels[step.level].action,
            runbook_url=str(row.get("runbook_url") or ""),
            alerts=alerts[0],
            more_alerts=alerts[1],
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
                "due_at": reached.at + timedelta(seconds=method["delay_seconds"] or 0),
                "attempts": 0,
                "lease_until": None,
                "last_error": "",
                "created_at": now,
                "finished_at": None,
            }
        )
    channels = ", ".join(sorted({str(m["kind"]) for m in methods})) or "no contact methods: nothing sent"
    when = f" at {reached.at:%Y-%m-%d %H:%M} UTC (start of working hours)" if reached.at > now else ""
    return page, deliveries, f"{name} ({channels})" + (" after hours" if late_hours else "") + when
