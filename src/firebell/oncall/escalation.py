"""Escalation math: policies of levels with targets and timeouts, repeated, and who each level pages.

Pure: given when an escalation started and how many steps were already taken, it says which steps
are due at an instant; given the schedules and teams, who a target means at an instant. The engine
stores the progress and the timers; nothing here reads a clock or the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.kernel.severity import Sev
from firebell.oncall.schedule import Schedule
from firebell.oncall.urgency import Urgency

_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhd])\s*$")
MAX_DURATION = timedelta(days=3660)  # ten years: anything longer is a typo
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `2h` or `1d`; anything else is refused with a reason."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration: use a whole number and s, m, h or d, as in 15m")
    value = timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    if value > MAX_DURATION:
        raise ValueError(f"{text!r} is longer than ten years")
    return value


def format_duration(value: timedelta) -> str:
    """The shortest of `parse_duration`'s forms that reads back as `value`."""
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def category_key(category: str) -> str:
    """How an alert's category finds its policy: `Infra/Cloud`, `infra/cloud ` and `INFRA/CLOUD` are one."""
    return " ".join(category.lower().split())


class TargetKind(StrEnum):
    USER = "user"
    SCHEDULE = "schedule"  # whoever is on call on that schedule when the level fires
    TEAM = "team"  # every member
    CURRENT_ON_CALL = "current_on_call"  # the on-call of the service's own schedule


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    ref: str = ""  # user handle, schedule name or team name; empty for current_on_call


@dataclass(frozen=True, slots=True)
class Level:
    targets: tuple[Target, ...]
    timeout: timedelta  # how long this level has to acknowledge before the next one is paged
    action: str = ""  # what the people of this level do first (the escalation matrix's first actions)
    severities: frozenset[Sev] | None = None  # paged only for these (the VP: SEV-1 only); None: all
    urgency: Mapping[Sev, Urgency] = field(default_factory=dict, hash=False)  # over the service's

    def pages_for(self, sev: Sev | None) -> bool:
        return sev is None or self.severities is None or sev in self.severities

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError("an escalation level pages at least one target")
        if self.timeout <= timedelta(0):
            raise ValueError("an escalation timeout is longer than zero")


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Page further when an incident of some severity is still unresolved `after` it opened."""

    after: timedelta
    target: Target | None = None  # None: the level after the highest one paged


@dataclass(frozen=True, slots=True)
class PolicyRules:
    unresolved: Mapping[Sev, Unresolved] = field(default_factory=dict, hash=False)
    acknowledgement_timeout: timedelta | None = None  # page the acknowledger again after this


# The playbook: a P1 lasting over an hour goes to the manager, a P2 after an hour to the team lead
# (in a policy, the next level up).
DEFAULT_UNRESOLVED: Mapping[Sev, Unresolved] = {
    Sev.SEV1: Unresolved(timedelta(hours=1)),
    Sev.SEV2: Unresolved(timedelta(hours=1)),
}


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    levels: tuple[Level, ...]
    repeat: int = 0  # how many more times the whole policy runs after the first pass
    rules: PolicyRules = field(default_factory=PolicyRules, hash=False)
    # Each level's number as configured, when some were left out for a severity (empty: 1, 2, 3, ...).
    numbers: tuple[int, ...] = ()

    def number(self, index: int) -> int:
        """The configured (1-based) number of the level at `index`, as people and pages name it."""
        return self.numbers[index] if self.numbers else index + 1

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError("an escalation policy has at least one level")
        if self.repeat < 0:
            raise ValueError("repeat counts extra passes: zero or more")

    @property
    def step_count(self) -> int:
        return len(self.levels) * (self.repeat + 1)

    @property
    def round_length(self) -> timedelta:
        return sum((level.timeout for level in self.levels), timedelta(0))

    def for_severity(self, sev: Sev | None) -> Policy | None:
        """The policy as it runs for `sev`: levels limited to other severities left out (None: none left)."""
        kept = [i for i, level in enumerate(self.levels) if level.pages_for(sev)]
        if not kept:
            return None
        if len(kept) == len(self.levels):
            return self
        return Policy(
            self.name, tuple(self.levels[i] for i in kept), self.repeat, self.rules, tuple(self.number(i) for i in kept)
        )


@dataclass(frozen=True, slots=True)
class Step:
    """One paging of one level: step 0 is level 1 of the first pass, fired when escalation starts."""

    number: int
    round: int  # 0 for the first pass
    level: int  # 0-based index into the policy's levels
    due_at: datetime


def step(policy: Policy, started_at: datetime, number: int) -> Step:
    if not 0 <= number < policy.step_count:
        raise ValueError(f"policy {policy.name} has steps 0 to {policy.step_count - 1}")
    round_, level = divmod(number, len(policy.levels))
    offset = round_ * policy.round_length + sum((policy.levels[i].timeout for i in range(level)), timedelta(0))
    return Step(number, round_, level, started_at + offset)


def due_steps(policy: Policy, started_at: datetime, taken: int, now: datetime) -> list[Step]:
    """Steps from number `taken` on that are due at `now`, in order (several if the engine was down)."""
    due = []
    for number in range(taken, policy.step_count):
        candidate = step(policy, started_at, number)
        if candidate.due_at > now:
            break
        due.append(candidate)
    return due


def next_due(policy: Policy, started_at: datetime, taken: int) -> datetime | None:
    """When the next step falls due, or None when the policy is exhausted."""
    return step(policy, started_at, taken).due_at if taken < policy.step_count else None


def exhausted_at(policy: Policy, started_at: datetime) -> datetime:
    """When the last level's timeout runs out: escalation has nobody left to page."""
    return started_at + (policy.repeat + 1) * policy.round_length


def who(
    target: Target,
    at: datetime,
    *,
    schedules: Mapping[str, Schedule],
    teams: Mapping[str, tuple[str, ...]],
    service_schedule: str | None = None,
) -> tuple[str, ...]:
    """The users a target means at `at` (none when a schedule has a gap there)."""
    if target.kind is TargetKind.USER:
        return (target.ref,)
    if target.kind is TargetKind.TEAM:
        return teams.get(target.ref, ())
    name = service_schedule if target.kind is TargetKind.CURRENT_ON_CALL else target.ref
    schedule = schedules.get(name or "")
    answer = schedule.on_call_at(at) if schedule is not None else None
    return (answer.user,) if answer is not None else ()


def paged(
    policy: Policy,
    level: int,
    at: datetime,
    *,
    schedules: Mapping[str, Schedule],
    teams: Mapping[str, tuple[str, ...]],
    service_schedule: str | None = None,
) -> tuple[str, ...]:
    """Everyone a level pages at `at`, each once, in the order the targets list them."""
    users: dict[str, None] = {}
    for target in policy.levels[level].targets:
        for user in who(target, at, schedules=schedules, teams=teams, service_schedule=service_schedule):
            users[user] = None
    return tuple(users)


def paged_with_delays(
    policy: Policy,
    level: int,
    at: datetime,
    *,
    schedules: Mapping[str, Schedule],
    teams: Mapping[str, tuple[str, ...]],
) -> tuple[tuple[str, timedelta | None], ...]:
    """Everyone a level pages at `at`, each once, with the escalation delay of their place in the
    schedule that reached them (None: the level's own timeout holds)."""
    users: dict[str, timedelta | None] = {}
    for target in policy.levels[level].targets:
        delay = None
        if target.kind is TargetKind.SCHEDULE and (schedule := schedules.get(target.ref)) is not None:
            answer = schedule.on_call_at(at)
            delay = schedule.delays.get(answer.user) if answer is not None else None
        for user in who(target, at, schedules=schedules, teams=teams):
            known = users.get(user)
            users[user] = delay if known is None else (min(known, delay) if delay is not None else known)
    return tuple(users.items())
