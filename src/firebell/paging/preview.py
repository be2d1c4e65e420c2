"""Page preview: for a service and an instant, who each level would page and exactly what each
channel would carry, without sending anything or writing a row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from firebell.alerts.details import Digest
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import Level, Policy, TargetKind, format_duration, paged_with_delays, step
from firebell.oncall.urgency import WHY, Urgency, urgency_for
from firebell.oncall.working_hours import from_doc
from firebell.paging.escalation_pass import Directory, PeopleCache, load_directory
from firebell.paging.messages import PageNotice, plain_text, shown_address, slack_payload, subject, webhook_payload
from firebell.paging.model import Lookups, PlannedStep, ServicePaging, plan_pass
from firebell.paging.ports import PagingRepo
from firebell.paging.service import Links


@dataclass(frozen=True, slots=True)
class PreviewNotification:
    channel: str
    address: str
    after: str  # how long after the page this goes out, as a duration ("0s" at once)
    payload: dict[str, Any] | str  # exactly what the channel would send


@dataclass(frozen=True, slots=True)
class PreviewPerson:
    user_id: str
    name: str
    handle: str
    after_hours: bool
    notifications: list[PreviewNotification]
    pages_at: datetime | None = None  # when this person's page goes out (later when it waits for their day)


@dataclass(frozen=True, slots=True)
class PreviewLevel:
    level: int
    pages_at: datetime | None  # when the level's notifications go out if nobody acknowledges before; None: never
    timeout: str
    targets: list[str]
    people: list[PreviewPerson]
    action: str = ""
    pages: bool = True  # False: the level is skipped for this severity, or its targets have nobody
    why: str = ""  # in words: the urgency, the working hours, the severity limit or the gap


@dataclass(frozen=True, slots=True)
class PagePreview:
    service: str
    policy: str | None
    at: datetime
    repeat: int
    levels: list[PreviewLevel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sev: str = "SEV-1"
    urgency: str = ""  # the service's urgency for the severity


def render(channel: str, notice: PageNotice) -> dict[str, Any] | str:
    if channel == "email":
        return f"Subject: {subject(notice)}\n\n{plain_text(notice)}"
    if channel == "slack":
        return slack_payload(notice)
    if channel == "webhook":
        return webhook_payload(notice)
    return f"{subject(notice)}\n\n{plain_text(notice)}"


def preview(
    *,
    repo: PagingRepo,
    service_id: str,
    service_name: str,
    at: datetime,
    links: Links,
    sev: Sev = Sev.SEV1,
    category: str | None = None,
) -> PagePreview:
    """The first pass of the service's policy (for an alert of `category`) as if an incident of `sev`
    opened at `at` and nobody acknowledged: per level, whether and when it pages whom, and why."""
    at = at.astimezone(UTC)
    service = repo.service_paging([service_id]).get(service_id) or ServicePaging({})
    urgency = urgency_for(sev, service.urgency)
    policy_id = repo.service_policy(service_id, category)
    if policy_id is None:
        warning = "this service has no escalation policy: nobody is paged"
        return PagePreview(service_name, None, at, 0, warnings=[warning], sev=sev.value, urgency=urgency.value)
    directory = load_directory(repo, [{"policy_id": policy_id, "assignee_id": None, "service_id": service_id}])
    policy: Policy | None = directory.policies.get(policy_id)
    if policy is None:
        warning = "the service's escalation policy no longer exists"
        return PagePreview(service_name, None, at, 0, warnings=[warning], sev=sev.value, urgency=urgency.value)
    warnings: list[str] = []
    if category and policy_id == repo.service_policy(service_id):
        warnings.append(f"alerts of category {category!r} run the service's default policy")
    people = PeopleCache(repo)
    effective = policy.for_severity(sev)
    planned, held = (
        _simulate(effective, at, _look(effective, sev, service, directory, people)) if effective else ({}, set())
    )
    levels = _levels(policy, sev, planned, held, repo, people, directory, service_name, at, links, warnings)
    if effective is None:
        warnings.append(f"no level of {policy.name} pages for {sev}: nobody is paged")
    return PagePreview(service_name, policy.name, at, policy.repeat, levels, warnings, sev.value, urgency.value)


def _look(
    policy: Policy | None, sev: Sev, service: ServicePaging, directory: Directory, people: PeopleCache
) -> Lookups:
    def reached(level: int, when: datetime) -> tuple[tuple[str, timedelta | None], ...]:
        assert policy is not None  # noqa: S101 - only called for a policy with levels
        return paged_with_delays(policy, level, when, schedules=directory.schedules, teams=directory.teams)

    return Lookups(
        reached,
        lambda level: urgency_for(sev, service.urgency, level.urgency),
        lambda user: people.hours(user, service),
    )


def _simulate(policy: Policy, at: datetime, look: Lookups) -> tuple[dict[int, PlannedStep], set[int]]:
    """The first pass's steps by level index, as the engine would take them if nobody acknowledged,
    and the levels that waited for working hours."""
    found: dict[int, PlannedStep] = {}
    held: set[int] = set()
    started, taken, now = at, 0, at
    for _ in range(4 * len(policy.levels) + 4):  # each turn takes a step or moves past a hold
        if taken >= len(policy.levels):
            break
        now = max(now, step(policy, started, taken).due_at)
        plan = plan_pass(policy, started, taken, now, look)
        for planned in plan.steps:
            if planned.step.number < len(policy.levels):
                found[planned.step.level] = planned
        started, taken = plan.started_at, plan.taken
        if plan.hold is not None:
            now = plan.hold.until
            found.pop(plan.hold.level, None)
            held.add(plan.hold.level)
    return found, held


def _levels(
    policy: Policy,
    sev: Sev,
    planned: Mapping[int, PlannedStep],
    held: set[int],
    repo: PagingRepo,
    people: PeopleCache,
    directory: Directory,
    service_name: str,
    at: datetime,
    links: Links,
    warnings: list[str],
) -> list[PreviewLevel]:
    schedule_names = {sid: s.name for sid, s in directory.schedules.items()}
    kept = [i for i, level in enumerate(policy.levels) if level.pages_for(sev)]
    levels = []
    for index, level in enumerate(policy.levels):
        effective_index = kept.index(index) if index in kept else -1
        step_of = planned.get(effective_index)
        users = tuple(p.user for p in step_of.people) if step_of else ()
        known = people.get(set(users))
        described = [_describe(t.kind, t.ref, schedule_names, known) for t in level.targets]

        def shown(
            pages_at: datetime | None, persons: list[PreviewPerson], why: str, i: int = index, d: list[str] = described
        ) -> PreviewLevel:
            lv = policy.levels[i]
            return PreviewLevel(i + 1, pages_at, format_duration(lv.timeout), d, persons, lv.action, bool(persons), why)

        if step_of is None or step_of.skipped:
            levels.append(shown(None, [], _why_not(level, sev, index in kept, step_of)))
            continue
        persons = [
            _person(p.user, p.at, known.get(p.user, {}), step_of, level.action, repo, service_name, sev, at, links)
            for p in step_of.people
        ]
        warnings += [
            f"level {index + 1}: {p.name} has no contact methods, so nothing reaches them"
            for p in persons
            if not p.notifications
        ]
        when = min((p.at for p in step_of.people), default=step_of.step.due_at)
        if not users:
            warnings.append(f"level {index + 1} would page nobody at {when:%Y-%m-%d %H:%M} UTC (a gap)")
        levels.append(
            shown(
                when,
                persons,
                _why(sev, step_of, when, effective_index in held) if users else "nobody on call then (a gap)",
            )
        )
    return levels


def _why_not(level: Level, sev: Sev, kept: bool, planned: PlannedStep | None) -> str:
    if not kept:
        return f"limited to {', '.join(sorted(level.severities or ()))}: not paged for {sev}"
    if planned is not None:
        return f"{sev} {WHY[Urgency.FOLLOW_UP]} at this level"
    return "not reached"


def _why(sev: Sev, planned: PlannedStep, when: datetime, held: bool) -> str:
    if planned.urgency is Urgency.WORKING_HOURS:
        if held or when > planned.step.due_at:
            return f"{sev} {WHY[Urgency.WORKING_HOURS]}: held until {when:%Y-%m-%d %H:%M} UTC"
        return f"{sev} {WHY[Urgency.WORKING_HOURS]}: within working hours, so at once"
    return f"{sev} {WHY[planned.urgency]}"


# Where the incident's alerts and what their senders said go (see alerts.details).
_PREVIEW_ALERT = Digest(
    alert_id="preview",
    summary="(preview) the alert's summary goes here",
    severity="critical",
    status="triggered",
    source="(its source)",
    fields=(("(detail)", "(what the sender said: annotations, custom_details, description…)"),),
    links=(("https://example.com/(its-links)", "(its links)"),),
)


def _person(
    user_id: str,
    pages_at: datetime,
    person: Mapping[str, Any],
    planned: PlannedStep,
    action: str,
    repo: PagingRepo,
    service_name: str,
    sev: Sev,
    opened_at: datetime,
    links: Links,
) -> PreviewPerson:
    name = str(person.get("display_name") or person.get("handle") or user_id)
    late = not from_doc(person.get("working_hours"), str(person.get("timezone") or "UTC")).contains(pages_at)
    notice = PageNotice(
        incident_id="preview",
        number=0,
        title="(preview) the alert's summary goes here",
        sev=sev.value,
        service=service_name,
        status="detected",
        level=planned.step.level + 1,
        opened_at=opened_at,
        due_at=planned.step.due_at,
        incident_url=links.incident(0),
        ack_url=f"{links.base_url}/ack/<signed link, valid {format_duration(links.lifetime)}>",
        after_hours=late,
        person=name,
        idempotency_key="preview",
        action=action,
        alerts=(_PREVIEW_ALERT,),
    )
    methods = sorted(repo.contact_methods([user_id]).get(user_id, []), key=lambda m: m["delay_seconds"] or 0)
    notifications = [
        PreviewNotification(
            str(m["kind"]),
            shown_address(str(m["address"])),
            format_duration(timedelta(seconds=m["delay_seconds"] or 0)),
            render(str(m["kind"]), notice),
        )
        for m in methods
    ]
    return PreviewPerson(user_id, name, str(person.get("handle") or ""), late, notifications, pages_at)


def _describe(kind: TargetKind, ref: str, schedules: dict[str, str], people: dict[str, dict[str, Any]]) -> str:
    if kind is TargetKind.SCHEDULE:
        return f"on call on {schedules.get(ref, ref)}"
    if kind is TargetKind.TEAM:
        return "every member of a team"
    person = people.get(ref, {})
    return str(person.get("display_name") or person.get("handle") or ref)
