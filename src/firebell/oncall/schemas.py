"""The on-call configuration file (`firebell apply -f`): users, teams, schedules, policies, services.

It accepts the on-call rotation block of the playbook as it stands (`schedule:` with `type:
weekly_rotation`, `participants`, `overrides` and a nested `escalation_policy`) and the lists around
it. Unknown fields are refused, so a typo is reported rather than silently ignored.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from firebell.catalog.schemas import DashboardIn, SliIn, SloIn
from firebell.incidents.severity_config import SeverityTargetsIn, SevKey
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import parse_duration
from firebell.oncall.notification_rules import ContactKind, address_problem
from firebell.oncall.urgency import Urgency
from firebell.statuspage.schemas import StatusPageIn

_HANDLE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    # The system's zone files include aliases of this machine's own zone, which mean nothing elsewhere.
    return (frozenset(available_timezones()) | {"UTC"}) - {"localtime", "posixrules", "Factory"}


def _zone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)")
    return value


def _clock_time(value: object) -> object:
    if isinstance(value, int | float):
        raise ValueError("write the time in quotes, as '09:00' (YAML reads 9:00 as a number)")
    if isinstance(value, str) and re.fullmatch(r"\d:\d\d", value.strip()):
        return "0" + value.strip()  # '9:00' as '09:00'
    return value


def _duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


class ContactMethodIn(_Strict):
    type: ContactKind
    address: str = Field(min_length=1, max_length=2000)
    label: str = ""
    delay: str | None = None  # notify through this method once a page is this old, e.g. 1m

    _check_delay = field_validator("delay")(_duration)

    @model_validator(mode="after")
    def _deliverable(self) -> ContactMethodIn:
        problem = address_problem(self.type, self.address)
        if problem is not None:
            raise ValueError(problem)
        return self


class UserIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    handle: str
    email: str
    timezone: str = "UTC"
    phone: str = ""
    slack_member_id: str = ""
    contact_methods: list[ContactMethodIn] = Field(default_factory=list)
    # When pages that wait for working hours reach them (in their time zone); omitted: Mon-Fri 09-17.
    working_hours: list[WindowIn] | None = Field(default=None, min_length=1)

    _check_zone = field_validator("timezone")(_zone)

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str) -> str:
        if not _HANDLE.match(value):
            raise ValueError("a handle is lower-case letters, digits, '.', '_' or '-'")
        return value


class TeamIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    # Responders: paged when the team is, and may respond to the team's incidents.
    members: list[str] = Field(default_factory=list)
    # Given either list, every member's role is declared here (members are responders); given
    # neither, members keep the roles set through the API or the web.
    admins: list[str] | None = None  # also paged; may manage the team's schedules, services and members
    viewers: list[str] | None = None  # may read, not respond; never paged

    def declares_roles(self) -> bool:
        return self.admins is not None or self.viewers is not None


class ParticipantIn(_Strict):
    name: str = Field(min_length=1)
    # When this participant is the one paged, the next level waits this long (not the level's timeout).
    escalation_delay: str | None = None

    @field_validator("escalation_delay")
    @classmethod
    def _positive_delay(cls, value: str | None) -> str | None:
        if value is not None and not parse_duration(value):
            raise ValueError("an escalation delay is longer than zero")
        return value


class WindowIn(_Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    start: time
    end: time

    _check_times = field_validator("start", "end", mode="before")(_clock_time)


class OverrideIn(_Strict):
    user: str
    start: datetime
    end: datetime
    replaces: str | None = None

    @model_validator(mode="after")
    def _order(self) -> OverrideIn:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("override times need a UTC offset, as in 2026-12-24T09:00:00+01:00")
        if self.end <= self.start:
            raise ValueError("an override ends after it starts")
        return self


RotationType = Literal["weekly_rotation", "daily_rotation", "hourly_rotation"]


class LayerIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    type: RotationType = "weekly_rotation"
    participants: list[ParticipantIn | str] = Field(min_length=1)
    start: date | None = None  # the first handoff's date (default 2024-01-01, a Monday)
    handoff: time = time(9)
    length: int = Field(default=1, ge=1, le=24 * 31)  # weeks, days or hours per shift, by type
    windows: list[WindowIn] = Field(default_factory=list)

    _check_handoff = field_validator("handoff", mode="before")(_clock_time)


def _severities(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    found = [Sev.parse(v).value for v in values]
    if len(set(found)) != len(found):
        raise ValueError("a severity is named twice")
    return sorted(found)


def _urgency_keys(values: dict[str, Urgency] | None) -> dict[str, Urgency] | None:
    if values is None:
        return None
    return {Sev.parse(key).value: value for key, value in values.items()}


def ordered_levels(levels: list[LevelIn]) -> list[LevelIn]:
    """The levels in the order their `level:` numbers give (1, 2, 3, ...), or as listed when unnumbered."""
    numbers = [level.level for level in levels]
    if all(n is None for n in numbers):
        return levels
    if any(n is None for n in numbers):
        missing = next(i for i, n in enumerate(numbers) if n is None)
        raise ValueError(f"number every level or none: levels[{missing}] has no level:")
    seen: dict[int, int] = {}
    for i, n in enumerate(numbers):
        assert n is not None  # noqa: S101 - checked above
        if n in seen:
            raise ValueError(f"level {n} is given twice (levels[{seen[n]}] and levels[{i}])")
        seen[n] = i
    wanted = list(range(1, len(levels) + 1))
    if sorted(seen) != wanted:
        gap = next(n for n in wanted if n not in seen)
        raise ValueError(f"levels are numbered 1 to {len(levels)} without gaps: level {gap} is missing")
    return [levels[seen[n]] for n in wanted]


class LevelIn(_Strict):
    level: int | None = Field(default=None, ge=1, le=50)  # orders the levels (1 first); all or none numbered
    targets: list[str] = Field(min_length=1)
    timeout: str = "30m"
    action: str = Field(default="", max_length=500)  # what this level does first, e.g. "Restart/rollback"
    severities: list[str] | None = Field(default=None, min_length=1)  # paged only for these (VP: [SEV-1])
    urgency: dict[str, Urgency] | None = None  # this level's own urgency per severity, over the service's

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: str) -> str:
        if not parse_duration(value):
            raise ValueError("a level waits some time before the next one: give a timeout above zero")
        return value

    _check_severities = field_validator("severities")(_severities)
    _check_urgency = field_validator("urgency")(_urgency_keys)


def _ordered_or_none(levels: list[LevelIn] | None) -> list[LevelIn] | None:
    return ordered_levels(levels) if levels is not None else None


class UnresolvedIn(_Strict):
    after: str  # how long after the incident opened, e.g. 1h
    page: str = "next_level"  # next_level, or a user, schedule or team to page

    @field_validator("after")
    @classmethod
    def _positive_after(cls, value: str) -> str:
        if not parse_duration(value):
            raise ValueError("give a time above zero, as in 1h")
        return value


class PolicyIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    repeat: int = Field(default=0, ge=0, le=20)
    levels: list[LevelIn] = Field(min_length=1)
    # The team whose admins may change it (omitted: no team, and only site admins may).
    team: str | None = Field(default=None, min_length=1, max_length=200)
    # Still unresolved this long after opening: page further (default: SEV-1 and SEV-2 after 1h, the
    # next level up). An empty mapping turns it off.
    unresolved: dict[str, UnresolvedIn] | None = None
    # After an acknowledgement, page the acknowledger again this long later while it is unresolved.
    acknowledgement_timeout: str | None = None

    _check_levels = field_validator("levels")(ordered_levels)
    _check_timeout = field_validator("acknowledgement_timeout")(_duration)

    @field_validator("unresolved")
    @classmethod
    def _unresolved_keys(cls, value: dict[str, UnresolvedIn] | None) -> dict[str, UnresolvedIn] | None:
        return {Sev.parse(k).value: v for k, v in value.items()} if value is not None else None


class ScheduleIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "UTC"
    # The playbook's single-rotation form; `layers` says the same with more than one.
    type: RotationType = "weekly_rotation"
    participants: list[ParticipantIn | str] = Field(default_factory=list)
    start: date | None = None
    handoff: time = time(9)
    length: int = Field(default=1, ge=1, le=24 * 31)
    layers: list[LayerIn] = Field(default_factory=list)
    overrides: list[OverrideIn] = Field(default_factory=list)
    escalation_policy: list[LevelIn] | None = None  # a policy named after the schedule, of its team
    # The team that owns it: its responders add overrides, its admins change it (omitted: no team).
    team: str | None = Field(default=None, min_length=1, max_length=200)

    _check_zone = field_validator("timezone")(_zone)
    _check_handoff = field_validator("handoff", mode="before")(_clock_time)
    _check_levels = field_validator("escalation_policy")(_ordered_or_none)

    @model_validator(mode="after")
    def _some_layer(self) -> ScheduleIn:
        if not self.participants and not self.layers:
            raise ValueError("a schedule needs participants (or layers with participants)")
        return self

    def all_layers(self) -> list[LayerIn]:
        if not self.participants:
            return self.layers
        first = LayerIn(
            name=self.name,
            type=self.type,
            participants=self.participants,
            start=self.start,
            handoff=self.handoff,
            length=self.length,
        )
        return [first, *self.layers]


class WorkingHoursIn(_Strict):
    timezone: str = "UTC"
    windows: list[WindowIn] = Field(min_length=1)

    _check_zone = field_validator("timezone")(_zone)


class IntegrationIn(_Strict):
    """An integration of a service, with the key its senders already use (from another tool)."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["alertmanager", "pagerduty", "opsgenie", "webhook", "change"]
    key: str | None = None
    # The name of an environment variable holding the key, so the file can be kept without secrets.
    key_env: str | None = None
    mapping: dict[str, Any] | None = None
    # During a parallel run: the old tool's endpoint every accepted body is forwarded to (absent: none).
    forward_to: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_key(self) -> IntegrationIn:
        if (self.key is None) == (self.key_env is None):
            raise ValueError("give the key, or key_env naming the environment variable that holds it")
        return self


class MaintenanceIn(_Strict):
    """A maintenance window of a service: its alerts are suppressed from start to end."""

    start: datetime
    end: datetime
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _order(self) -> MaintenanceIn:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("maintenance times need a UTC offset, as in 2026-12-24T09:00:00+01:00")
        if self.end <= self.start:
            raise ValueError("a maintenance window ends after it starts")
        return self


class ServiceIn(_Strict):
    # A service that does not exist yet is created (by a site admin) with the declared settings.
    name: str
    escalation_policy: str | None = None
    # {SEV-3: page}: which severities page at once, wait for working hours, or open a follow-up.
    urgency: dict[str, Urgency] | None = None
    # The service's own working hours, used instead of each person's (omitted: left as is).
    working_hours: WorkingHoursIn | None = None

    _check_urgency = field_validator("urgency")(_urgency_keys)
    # Alerts labelled `category: <key>` run that policy instead (the escalation matrix by category).
    categories: dict[str, str] = Field(default_factory=dict)
    # The services this one depends on (their changes show on its incidents); omitted: left as is.
    depends_on: list[str] | None = None
    # Catalog facts (see catalog.fields); each omitted one is left as is.
    owner_team: str | None = None
    tier: int | None = Field(default=None, ge=1, le=3)
    slos: list[SloIn] | None = None
    slis: list[SliIn] | None = None
    dashboards: list[DashboardIn] | None = None
    # How its alerts join open incidents (alert, labels, service or none; see alerts.grouping);
    # `group_by` alone means labels. Each omitted one is left as is.
    grouping: str | None = None
    group_by: list[str] | None = None
    grouping_window: str | int | None = Field(default=None, description="5m, 90s, 1h or seconds; 0 = off")
    # Integrations matched by name on the service: created, or given the declared key; others are left.
    integrations: list[IntegrationIn] | None = None
    # Windows matched by start and end: each is added once; windows already over are skipped, and
    # windows made elsewhere are left alone.
    maintenance: list[MaintenanceIn] | None = None


class OncallConfig(_Strict):
    users: list[UserIn] = Field(default_factory=list)
    teams: list[TeamIn] = Field(default_factory=list)
    schedule: ScheduleIn | None = None
    schedules: list[ScheduleIn] = Field(default_factory=list)
    escalation_policies: list[PolicyIn] = Field(default_factory=list)
    services: list[ServiceIn] = Field(default_factory=list)
    status_page: StatusPageIn | None = None
    severities: dict[SevKey, SeverityTargetsIn] = Field(default_factory=dict)  # over the playbook's targets

    def all_schedules(self) -> list[ScheduleIn]:
        return ([self.schedule] if self.schedule is not None else []) + self.schedules


class ContactMethodCreate(_Strict):
    """One contact method added over the API; checked by the use case (oncall.contacts), which names the field."""

    kind: str = Field(description="email, sms, slack, webhook or apprise")
    address: str = Field(max_length=2000)
    label: str = ""
    delay: str = Field(default="", description="page through it once a page is this old, such as 1m; empty: at once")


class ContactMethodRead(BaseModel):
    id: str
    kind: str
    address: str = Field(description="whole for the person and admins of everything; else scheme and host only")
    label: str
    delay_seconds: int | None


class TestNotificationRead(BaseModel):
    delivery_id: str
    status: str = Field(description="pending, sent, failed or cancelled (the delivery log's)")
    channel: str
    attempts: int
    last_error: str
    finished_at: datetime | None
