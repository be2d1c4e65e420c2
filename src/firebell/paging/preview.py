"""Page preview: for a service and an instant, who each level would page and exactly what each
channel would carry, without sending anything or writing a row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from firebell.oncall.escalation import Policy, TargetKind, format_duration, paged, step
from firebell.oncall.notification_rules import after_hours
from firebell.paging.escalation_pass import load_directory
from firebell.paging.messages import PageNotice, plain_text, shown_address, slack_payload, subject, webhook_payload
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


@dataclass(frozen=True, slots=True)
class PreviewLevel:
    level: int
    pages_at: datetime  # if nobody acknowledges before
    timeout: str
    targets: list[str]
    people: list[PreviewPerson]
    action: str = ""


@dataclass(frozen=True, slots=True)
class PagePreview:
    service: str
    policy: str | None
    at: datetime
    repeat: int
    levels: list[PreviewLevel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
    sev: str = "SEV-1",
    category: str | None = None,
) -> PagePreview:
    """The first pass of the service's policy (for an alert of `category`) as if an incident opened at `at`."""
    at = at.astimezone(UTC)
    policy_id = repo.service_policy(service_id, category)
    if policy_id is None:
        return PagePreview(
            service_name, None, at, 0, warnings=["this service has no escalation policy: nobody is paged"]
        )
    row = {"policy_id": policy_id, "assignee_id": None}
    directory = load_directory(repo, [row])
    policy: Policy | None = directory.policies.get(policy_id)
    if policy is None:
        return PagePreview(service_name, None, at, 0, warnings=["the service's escalation policy no longer exists"])
    levels: list[PreviewLevel] = []
    warnings: list[str] = []
    if category and policy_id == repo.service_policy(service_id):
        warnings.append(f"alerts of category {category!r} run the service's default policy")
    schedule_names = {sid: s.name for sid, s in directory.schedules.items()}
    for index, level in enumerate(policy.levels):
        when = step(policy, at, index).due_at
        users = paged(policy, index, when, schedules=directory.schedules, teams=directory.teams)
        people = repo.people(users)
        contacts = repo.contact_methods(users)
        described = [_describe(t.kind, t.ref, schedule_names, people) for t in level.targets]
        persons = []
        for user_id in users:
            person = people.get(user_id, {})
            name = str(person.get("display_name") or person.get("handle") or user_id)
            late = after_hours(when, str(person.get("timezone") or "UTC"))
            notice = PageNotice(
                incident_id="preview",
                number=0,
                title="(preview) the alert's summary goes here",
                sev=sev,
                service=service_name,
                status="detected",
                level=index + 1,
                opened_at=at,
                due_at=when,
                incident_url=links.incident(0),
                ack_url=f"{links.base_url}/ack/<signed link, valid {format_duration(links.lifetime)}>",
                after_hours=late,
                person=name,
                idempotency_key="preview",
                action=level.action,
            )
            notifications = [
                PreviewNotification(
                    str(m["kind"]),
                    shown_address(str(m["address"])),
                    format_duration(timedelta(seconds=m["delay_seconds"] or 0)),
                    render(str(m["kind"]), notice),
                )
                for m in sorted(contacts.get(user_id, []), key=lambda m: m["delay_seconds"] or 0)
            ]
            if not notifications:
                warnings.append(f"level {index + 1}: {name} has no contact methods, so nothing reaches them")
            persons.append(PreviewPerson(user_id, name, str(person.get("handle") or ""), late, notifications))
        if not users:
            warnings.append(f"level {index + 1} would page nobody at {when:%Y-%m-%d %H:%M} UTC (a gap)")
        levels.append(PreviewLevel(index + 1, when, format_duration(level.timeout), described, persons, level.action))
    return PagePreview(service_name, policy.name, at, policy.repeat, levels, warnings)


def _describe(kind: TargetKind, ref: str, schedules: dict[str, str], people: dict[str, dict[str, Any]]) -> str:
    if kind is TargetKind.SCHEDULE:
        return f"on call on {schedules.get(ref, ref)}"
    if kind is TargetKind.TEAM:
        return "every member of a team"
    person = people.get(ref, {})
    return str(person.get("display_name") or person.get("handle") or ref)
