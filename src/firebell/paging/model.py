"""Paging decisions, pure: how an escalation advances, when it stops, and what a failed send becomes.

The engine loads rows, asks these functions, and writes their answers; nothing here reads a clock
or the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

from firebell.kernel.severity import Sev
from firebell.oncall.escalation import (
    Level,
    Policy,
    Step,
    Target,
    TargetKind,
    due_steps,
    exhausted_at,
    next_due,
    step,
)
from firebell.oncall.notification_rules import RetryPolicy
from firebell.oncall.urgency import Urgency
from firebell.oncall.working_hours import WorkingHours

# A reassignment to one person pages them, and again twice more while nobody acknowledges.
DIRECT_TIMEOUT = timedelta(minutes=10)
DIRECT_REPEATS = 2


class EscalationState(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    EXHAUSTED = "exhausted"  # every level paged and timed out; nobody acknowledged
    REPLACED = "replaced"  # the incident was reassigned; a new escalation took over
    FOLLOW_UP = "follow_up"  # its severity pages nobody at any level: a follow-up was opened instead


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AttemptOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


def direct_policy(user_id: str) -> Policy:
    """The policy of an incident reassigned to one person."""
    return Policy("direct", (Level((Target(TargetKind.USER, user_id),), DIRECT_TIMEOUT),), repeat=DIRECT_REPEATS)


# The kind of escalation that pages one person asked to join an incident (a responder request).
RESPONDER = "responder"
# The timeline entry recording a responder request; its data holds the escalation's id and the request.
RESPONDER_PAGED = "responder_paged"


def responder_policy(user_id: str, request: str) -> Policy:
    """The policy of a person asked to join an incident: paged like a reassignment, with `request`
    (who asked, and why) as the first action of every page."""
    level = Level((Target(TargetKind.USER, user_id),), DIRECT_TIMEOUT, request)
    return Policy("responder", (level,), repeat=DIRECT_REPEATS)


class Answer(StrEnum):
    """What an acknowledgement answered."""

    INCIDENT = "incident"  # the incident (or its paging since): escalation stops
    REQUEST = "request"  # only the acknowledger's own request to join: the incident's paging goes on
    NOTHING = "nothing"  # already acknowledged, and nobody is paged whom it answers


def answered(
    active: Sequence[tuple[str, str | None]], acknowledger: str | None, *, acknowledged: bool
) -> tuple[Answer, tuple[int, ...]]:
    """What an acknowledgement answers, and which of the incident's `active` escalations (each its kind
    and assignee) it stops, by index.

    A person asked to join answers their own request, and only that. Anyone else acknowledging an
    incident not yet `acknowledged` stops all of its paging; once it is, they answer the incident's own
    paging (a reassignment, an escalation by hand), while others asked to join are paged until each
    answers.
    """
    own = tuple(
        i
        for i, (kind, who) in enumerate(active)
        if kind == RESPONDER and acknowledger is not None and who == acknowledger
    )
    if own:
        return Answer.REQUEST, own
    stops = tuple(i for i, (kind, _who) in enumerate(active) if not acknowledged or kind != RESPONDER)
    return (Answer.INCIDENT if stops or not acknowledged else Answer.NOTHING), stops


@dataclass(frozen=True, slots=True)
class Progress:
    """What one engine pass does to one escalation."""

    steps: tuple[Step, ...]  # the steps to page now, in order
    taken: int  # steps taken after this pass
    next_due_at: datetime | None  # None: the escalation ends in `ended`
    ended: EscalationState | None


def advance(policy: Policy, started_at: datetime, taken: int, now: datetime) -> Progress:
    """Page every step due by `now`; the escalation is exhausted once the last level's timeout ran out.

    Steps that fell due while the engine was down are paged now, in order; when more than one pass of
    the policy fell due, only the latest step of each level is (a person is paged once, not once per
    missed round).
    """
    due = due_steps(policy, started_at, taken, now)
    taken += len(due)
    steps = tuple(due[-len(policy.levels) :])
    upcoming = next_due(policy, started_at, taken)
    if upcoming is not None:
        return Progress(steps, taken, upcoming, None)
    end = started_at + (policy.repeat + 1) * policy.round_length
    if end <= now:
        return Progress(steps, taken, None, EscalationState.EXHAUSTED)
    return Progress(steps, taken, end, None)


def stop_reason(
    *, incident_open: bool, acknowledged_at: datetime | None, started_at: datetime
) -> EscalationState | None:
    """Why an escalation must stop before paging again, or None to go on.

    An acknowledgement made before the escalation started, or at the same instant (an incident
    reassigned after being acknowledged), does not stop it; the new assignee must acknowledge again.
    """
    if not incident_open:
        return EscalationState.RESOLVED
    if acknowledged_at is not None and acknowledged_at > started_at:
        return EscalationState.ACKNOWLEDGED
    return None


@dataclass(frozen=True, slots=True)
class AfterAttempt:
    status: DeliveryStatus
    outcome: AttemptOutcome
    retry_at: datetime | None


def after_attempt(
    retry: RetryPolicy,
    attempt: int,
    *,
    sent: bool,
    permanent: bool,
    now: datetime,
    draw: float,
    asked_wait: timedelta | None = None,
) -> AfterAttempt:
    """The delivery's state after attempt number `attempt` (1 for the first try).

    `asked_wait` is how long the receiver asked us to wait (a 429 or 503's Retry-After): the retry
    comes no sooner than that, but never later than the policy's longest wait (`retry.cap`), so a
    receiver asking for an hour cannot hold a page past the point where it would still be useful.
    """
    if sent:
        return AfterAttempt(DeliveryStatus.SENT, AttemptOutcome.SENT, None)
    wait = None if permanent else retry.wait_before(attempt + 1, draw)
    if wait is None:
        return AfterAttempt(DeliveryStatus.FAILED, AttemptOutcome.FAILED, None)
    if asked_wait is not None and asked_wait > wait:
        wait = min(asked_wait, max(retry.cap, wait))
    return AfterAttempt(DeliveryStatus.PENDING, AttemptOutcome.RETRY, now + wait)


def retry_after(value: str, now: datetime) -> timedelta | None:
    """The wait a Retry-After header asks for: delay-seconds or an HTTP date (RFC 9110 10.2.3);
    None when it is absent or says nothing usable. A date in the past asks for no wait."""
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return timedelta(seconds=min(int(text), 86_400))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), min(when - now, timedelta(days=1)))


# --- one engine pass over one escalation, with urgency, working hours and escalation delays --------


@dataclass(frozen=True, slots=True)
class ServicePaging:
    """What a service says about paging: urgency per severity and its own working hours, if any."""

    urgency: Mapping[Sev, Urgency]
    working_hours: WorkingHours | None = None


@dataclass(frozen=True, slots=True)
class Reached:
    """A person a level reaches: paged now, or (waiting for working hours) at `at`."""

    user: str
    at: datetime
    delay: timedelta | None = None  # their escalation delay from the schedule that reached them


@dataclass(frozen=True, slots=True)
class PlannedStep:
    step: Step
    urgency: Urgency
    people: tuple[Reached, ...]  # empty: nobody on call (a gap), or the level is skipped
    skipped: bool = False  # the level opens a follow-up for this severity: nobody is paged
    disabled: tuple[str, ...] = ()  # whom the level reaches but who are disabled: never paged


@dataclass(frozen=True, slots=True)
class Hold:
    """The next step waits for working hours: nobody it reaches is working at the moment it falls due."""

    level: int  # 0-based
    until: datetime
    users: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PassPlan:
    steps: tuple[PlannedStep, ...]
    taken: int
    started_at: datetime  # moved on by holds and escalation delays: every later step counts from it
    next_due_at: datetime | None
    ended: EscalationState | None
    hold: Hold | None = None


@dataclass(frozen=True, slots=True)
class Lookups:
    """What planning asks of the directory: pure functions of data the engine loaded."""

    reached: Callable[[int, datetime], tuple[tuple[str, timedelta | None], ...]]  # level index, instant
    urgency: Callable[[Level], Urgency]
    hours: Callable[[str], WorkingHours]  # a person's working hours (or the service's)
    disabled: Callable[[str], bool] = lambda _user: False  # a disabled person is never paged


def plan_pass(policy: Policy, started_at: datetime, taken: int, now: datetime, look: Lookups) -> PassPlan:
    """Every step due by `now`, in order, as the engine pages them.

    A disabled person is never paged: a level that reaches only disabled people is passed over at
    once, to the next level. A level that waits for working hours pages those of its people who are
    working now and the rest when their day starts; when none is working, the step (and every later
    one) waits for the first to start. A level whose urgency is a follow-up is skipped without
    waiting its timeout. When a person paged has an escalation delay of their own, the next level
    waits that long instead.
    When more than one pass of the policy fell due (the engine was down), a level is paged once.
    """
    planned: list[PlannedStep] = []
    hold = None
    while taken < policy.step_count:
        current = step(policy, started_at, taken)
        if current.due_at > now:
            break
        level = policy.levels[current.level]
        urgency = look.urgency(level)
        if urgency is Urgency.FOLLOW_UP:
            planned.append(PlannedStep(current, urgency, (), skipped=True))
            started_at -= level.timeout
            taken += 1
            continue
        reached = look.reached(current.level, now)
        disabled = tuple(user for user, _delay in reached if look.disabled(user))
        people = tuple(Reached(user, now, delay) for user, delay in reached if user not in disabled)
        if disabled and not people:
            # Everyone it reaches is disabled: the next level is paged now, not after this one's timeout.
            planned.append(PlannedStep(current, urgency, (), disabled=disabled))
            started_at -= level.timeout
            taken += 1
            continue
        if urgency is Urgency.WORKING_HOURS and people:
            people = tuple(Reached(p.user, look.hours(p.user).next_start(now), p.delay) for p in people)
            if current.round and any(p.at <= now for p in people):
                # A later round pages only those at work: the others' pages already wait for their day.
                people = tuple(p for p in people if p.at <= now)
            if all(p.at > now for p in people):
                until = min(p.at for p in people)
                hold = Hold(current.level, until, tuple(p.user for p in people))
                started_at += until - current.due_at
                break
        planned.append(PlannedStep(current, urgency, people, disabled=disabled))
        delays = [p.delay for p in people if p.delay is not None and p.at <= now]
        if delays:
            started_at += min(delays) - level.timeout
        taken += 1
    steps = tuple(planned[-len(policy.levels) :])
    upcoming = next_due(policy, started_at, taken)
    if upcoming is not None or hold is not None:
        return PassPlan(steps, taken, started_at, upcoming, None, hold)
    end = exhausted_at(policy, started_at)
    if end <= now:
        return PassPlan(steps, taken, started_at, None, EscalationState.EXHAUSTED)
    return PassPlan(steps, taken, started_at, end, None)
