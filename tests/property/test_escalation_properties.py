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
def test_each_step_is_paged_once_in_order_never_early(policy: Policy, waits: list[int]) -> None:
    taken, now, ended = 0, T0, None
    wakeups: list[datetime] = []
    paged: list[tuple[int, int]] = []  # (step number, index of the wake-up that paged it)
    for wait in waits:
        now += timedelta(seconds=wait)
        if ended is not None:
            break
        wakeups.append(now)
        progress = advance(policy, T0, taken, now)
        paged += [(s.number, len(wakeups) - 1) for s in progress.steps]
        assert progress.taken == taken + len(progress.steps)
        if progress.next_due_at is not None:
            assert progress.next_due_at > now  # nothing due is left behind
        taken, ended = progress.taken, progress.ended
    numbers = [number for number, _k in paged]
    assert numbers == list(range(len(numbers)))  # once each, in order, with no step skipped
    for number, k in paged:
        due = step(policy, T0, number).due_at
        assert due <= wakeups[k]  # never early
        assert k == 0 or due > wakeups[k - 1]  # and at the first wake-up after it fell due
    due_by_the_end = sum(1 for n in range(policy.step_count) if step(policy, T0, n).due_at <= now)
    if wakeups and ended is None:
        assert len(numbers) == sum(1 for n in range(policy.step_count) if step(policy, T0, n).due_at <= wakeups[-1])
    assert len(numbers) <= due_by_the_end
    if ended is EscalationState.EXHAUSTED:
        assert numbers == list(range(policy.step_count))
        assert now >= T0 + (policy.repeat + 1) * policy.round_length
