"""Paging decisions, pure: how an escalation advances, when it stops, and what a failed send becomes.

The engine loads rows, asks these functions, and writes their answers; nothing here reads a clock
or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.oncall.escalation import Level, Policy, Step, Target, TargetKind, due_steps, next_due
from firebell.oncall.notification_rules import RetryPolicy

# A reassignment to one person pages them, and again twice more while nobody acknowledges.
DIRECT_TIMEOUT = timedelta(minutes=10)
DIRECT_REPEATS = 2


class EscalationState(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    EXHAUSTED = "exhausted"  # every level paged and timed out; nobody acknowledged
    REPLACED = "replaced"  # the incident was reassigned; a new escalation took over


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
    retry: RetryPolicy, attempt: int, *, sent: bool, permanent: bool, now: datetime, draw: float
) -> AfterAttempt:
    """The delivery's state after attempt number `attempt` (1 for the first try)."""
    if sent:
        return AfterAttempt(DeliveryStatus.SENT, AttemptOutcome.SENT, None)
    wait = None if permanent else retry.wait_before(attempt + 1, draw)
    if wait is None:
        return AfterAttempt(DeliveryStatus.FAILED, AttemptOutcome.FAILED, None)
    return AfterAttempt(DeliveryStatus.PENDING, AttemptOutcome.RETRY, now + wait)
