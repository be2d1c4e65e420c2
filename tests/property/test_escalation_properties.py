"""Escalation over any policy and any pattern of engine wake-ups (including long outages): every
step is paged exactly once, in order, never early, and at the first wake-up after it fell due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from firebell.oncall.escalation import Level, Policy, Target, TargetKind, step
from firebell.paging.model import EscalationState, advance

T0 = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)

policies = st.builds(
    lambda timeouts, repeat: Policy(
        "p",
        tuple(Level((Target(TargetKind.USER, f"u{i}"),), timedelta(minutes=m)) for i, m in enumerate(timeouts)),
        repeat,
    ),
    st.lists(st.integers(min_value=1, max_value=90), min_size=1, max_size=4),
    st.integers(min_value=0, max_value=2),
)
gaps = st.lists(st.integers(min_value=0, max_value=200 * 60), min_size=1, max_size=60)  # seconds between wake-ups


@given(policies, gaps)
def test_each_step_is_paged_at_most_once_in_order_never_early(policy: Policy, waits: list[int]) -> None:
    taken, now, ended = 0, T0, None
    paged: list[int] = []
    for wait in waits:
        now += timedelta(seconds=wait)
        if ended is not None:
            break
        due = [n for n in range(taken, policy.step_count) if step(policy, T0, n).due_at <= now]
        progress = advance(policy, T0, taken, now)
        numbers = [s.number for s in progress.steps]
        # Everything due is taken now; each level's latest due step is paged, earlier repeats are not.
        assert progress.taken == taken + len(due)
        assert numbers == due[-len(policy.levels) :]
        assert all(step(policy, T0, n).due_at <= now for n in numbers)  # never early
        if progress.next_due_at is not None:
            assert progress.next_due_at > now  # nothing due is left behind
        paged += numbers
        taken, ended = progress.taken, progress.ended
    assert paged == sorted(set(paged))  # at most once each, in order
    if ended is EscalationState.EXHAUSTED:
        assert taken == policy.step_count
        assert now >= T0 + (policy.repeat + 1) * policy.round_length
