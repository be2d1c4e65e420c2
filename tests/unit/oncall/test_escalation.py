"""Escalation math: the seeds' three-level policy, repeats, catch-up after downtime, targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.oncall.escalation import (
    Level,
    Policy,
    Target,
    TargetKind,
    due_steps,
    exhausted_at,
    format_duration,
    next_due,
    paged,
    parse_duration,
    step,
)
from firebell.oncall.schedule import Layer, Override, Rotation, Schedule

T0 = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
ON_CALL = Target(TargetKind.CURRENT_ON_CALL)
LEAD = Target(TargetKind.USER, "engineering_lead")
VP = Target(TargetKind.USER, "vp_engineering")

# The playbook's policy: current on-call for 15 minutes, the engineering lead for 30, then the VP.
SEED = Policy(
    "default",
    (
        Level((ON_CALL,), parse_duration("15m")),
        Level((LEAD,), parse_duration("30m")),
        Level((VP,), parse_duration("30m")),
    ),
)


def test_seed_policy_pages_each_level_after_the_previous_timeout() -> None:
    assert [step(SEED, T0, n).due_at - T0 for n in range(3)] == [
        timedelta(0),
        timedelta(minutes=15),
        timedelta(minutes=45),
    ]
    assert next_due(SEED, T0, 3) is None
    assert exhausted_at(SEED, T0) == T0 + timedelta(minutes=75)


def test_due_steps_catch_up_after_downtime_in_order() -> None:
    assert [s.number for s in due_steps(SEED, T0, 0, T0)] == [0]
    assert due_steps(SEED, T0, 1, T0 + timedelta(minutes=14, seconds=59)) == []
    # The engine was down for an hour: both missing levels are due, once each.
    assert [s.level for s in due_steps(SEED, T0, 1, T0 + timedelta(hours=1))] == [1, 2]
    assert due_steps(SEED, T0, 3, T0 + timedelta(days=1)) == []


def test_repeat_runs_the_whole_policy_again() -> None:
    again = Policy("twice", SEED.levels, repeat=1)
    assert again.step_count == 6
    fourth = step(again, T0, 3)
    assert (fourth.round, fourth.level, fourth.due_at) == (1, 0, T0 + timedelta(minutes=75))
    with pytest.raises(ValueError, match="steps 0 to 5"):
        step(again, T0, 6)


def test_targets_resolve_to_people_at_the_instant() -> None:
    rotation = Rotation(("alice", "bob", "carol"), start=datetime(2026, 5, 4, tzinfo=UTC))
    schedule = Schedule("api", (Layer("primary", rotation),), (Override(T0, T0 + timedelta(hours=1), "bob"),))
    teams = {"sre": ("carol", "alice")}
    both = Policy("p", (Level((ON_CALL, Target(TargetKind.TEAM, "sre"), LEAD), timedelta(minutes=5)),))
    pages = paged(both, 0, T0, schedules={"api": schedule}, teams=teams, service_schedule="api")
    assert pages == ("bob", "carol", "alice", "engineering_lead")
    later = paged(both, 0, T0 + timedelta(hours=2), schedules={"api": schedule}, teams=teams, service_schedule="api")
    assert later == ("alice", "carol", "engineering_lead")  # alice once, though she is on call and in sre
    by_name = Policy("n", (Level((Target(TargetKind.SCHEDULE, "api"),), timedelta(minutes=5)),))
    assert paged(by_name, 0, T0, schedules={"api": schedule}, teams={}) == ("bob",)
    assert paged(by_name, 0, T0, schedules={}, teams={}) == ()  # no such schedule: nobody, not an error


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("30s", 30), ("2h", 7200), ("1d", 86400), (" 5 m ", 300)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["15", "m", "1.5h", "-5m", "5w", ""])
def test_bad_durations_are_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(ValueError, match="use a whole number and s, m, h or d"):
        parse_duration(text)


@given(st.integers(1, 10**7))
def test_format_duration_reads_back(seconds: int) -> None:
    assert parse_duration(format_duration(timedelta(seconds=seconds))) == timedelta(seconds=seconds)


@given(
    st.lists(st.integers(1, 3600), min_size=1, max_size=5),
    st.integers(0, 3),
    st.integers(0, 6 * 3600 * 4),
    st.integers(0, 30),
)
def test_due_steps_are_exactly_the_untaken_steps_whose_time_has_come(
    timeouts: list[int], repeat: int, elapsed: int, taken: int
) -> None:
    policy = Policy("p", tuple(Level((LEAD,), timedelta(seconds=t)) for t in timeouts), repeat=repeat)
    now = T0 + timedelta(seconds=elapsed)
    due = due_steps(policy, T0, taken, now)
    expected = [n for n in range(taken, policy.step_count) if step(policy, T0, n).due_at <= now]
    assert [s.number for s in due] == expected
    dues = [step(policy, T0, n).due_at for n in range(policy.step_count)]
    assert dues == sorted(dues)
    assert len(set(dues)) == len(dues)  # every timeout is positive, so no two steps share an instant
