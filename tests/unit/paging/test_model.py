"""Paging decisions: advancing an escalation, when it stops, and what a failed send becomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.oncall.escalation import Level, Policy, Target, TargetKind
from firebell.oncall.notification_rules import RetryPolicy
from firebell.paging.model import (
    AttemptOutcome,
    DeliveryStatus,
    EscalationState,
    advance,
    after_attempt,
    direct_policy,
    stop_reason,
)

T0 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
POLICY = Policy(
    "p",
    (
        Level((Target(TargetKind.USER, "a"),), timedelta(minutes=5)),
        Level((Target(TargetKind.USER, "b"),), timedelta(minutes=10)),
    ),
    repeat=1,
)


def test_level_one_is_due_at_once_and_the_next_after_its_timeout() -> None:
    first = advance(POLICY, T0, 0, T0)
    assert [s.number for s in first.steps] == [0]
    assert (first.taken, first.next_due_at, first.ended) == (1, T0 + timedelta(minutes=5), None)
    early = advance(POLICY, T0, 1, T0 + timedelta(minutes=4, seconds=59))
    assert early.steps == ()
    assert early.next_due_at == T0 + timedelta(minutes=5)


def test_steps_missed_while_down_page_each_level_once_at_its_latest_step() -> None:
    late = advance(POLICY, T0, 1, T0 + timedelta(minutes=21))
    # Steps 1, 2 and 3 fell due; level 2 twice (rounds 1 and 2): it is paged once, for round 2.
    assert [(s.number, s.round, s.level) for s in late.steps] == [(2, 1, 0), (3, 1, 1)]
    assert late.taken == 4
    within_a_round = advance(POLICY, T0, 0, T0 + timedelta(minutes=6))
    assert [s.number for s in within_a_round.steps] == [0, 1]
    assert late.next_due_at == T0 + timedelta(minutes=30)  # the last level's timeout, then exhausted


def test_the_escalation_is_exhausted_when_the_last_timeout_runs_out() -> None:
    done = advance(POLICY, T0, 4, T0 + timedelta(minutes=30))
    assert (done.steps, done.next_due_at, done.ended) == ((), None, EscalationState.EXHAUSTED)


def test_stop_reasons() -> None:
    assert stop_reason(incident_open=False, acknowledged_at=None, started_at=T0) is EscalationState.RESOLVED
    later = T0 + timedelta(seconds=1)
    assert stop_reason(incident_open=True, acknowledged_at=later, started_at=T0) is EscalationState.ACKNOWLEDGED
    # An acknowledgement before a reassignment restarted escalation does not stop the new one.
    assert stop_reason(incident_open=True, acknowledged_at=T0, started_at=later) is None
    assert stop_reason(incident_open=True, acknowledged_at=None, started_at=T0) is None


def test_a_failed_send_is_retried_with_growing_waits_then_failed() -> None:
    retry = RetryPolicy(attempts=4, base=timedelta(seconds=5), cap=timedelta(seconds=12), jitter=0.0)
    waits = []
    for attempt in (1, 2, 3):
        verdict = after_attempt(retry, attempt, sent=False, permanent=False, now=T0, draw=0.5)
        assert (verdict.status, verdict.outcome) == (DeliveryStatus.PENDING, AttemptOutcome.RETRY)
        assert verdict.retry_at is not None
        waits.append(verdict.retry_at - T0)
    assert waits == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=12)]  # capped
    last = after_attempt(retry, 4, sent=False, permanent=False, now=T0, draw=0.5)
    assert (last.status, last.outcome, last.retry_at) == (DeliveryStatus.FAILED, AttemptOutcome.FAILED, None)


@pytest.mark.parametrize(("sent", "permanent", "status"), [(True, False, "sent"), (False, True, "failed")])
def test_a_send_or_a_permanent_refusal_ends_at_once(sent: bool, permanent: bool, status: str) -> None:
    verdict = after_attempt(RetryPolicy(), 1, sent=sent, permanent=permanent, now=T0, draw=0.1)
    assert (verdict.status.value, verdict.retry_at) == (status, None)


def test_a_reassignment_to_one_person_pages_them_three_times() -> None:
    policy = direct_policy("u1")
    assert policy.step_count == 3
    assert {t.ref for level in policy.levels for t in level.targets} == {"u1"}
