"""One engine pass, pure: urgency, working hours, levels limited to severities, escalation delays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.kernel.severity import Sev
from firebell.oncall.escalation import Level, Policy, Target, TargetKind
from firebell.oncall.schemas import LevelIn, ordered_levels
from firebell.oncall.urgency import Urgency, parse_urgency_map, urgency_for
from firebell.oncall.working_hours import WorkingHours
from firebell.paging.model import EscalationState, Lookups, plan_pass

# Tuesday 2026-12-08 04:00 in New York.
NIGHT = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
NEW_YORK = WorkingHours(zone="America/New_York")
BERLIN = WorkingHours(zone="Europe/Berlin")


def _policy(*levels: Level, repeat: int = 0) -> Policy:
    return Policy("p", levels, repeat)


def _level(
    user: str,
    minutes: int = 15,
    severities: frozenset[Sev] | None = None,
    urgency: dict[Sev, Urgency] | None = None,
) -> Level:
    return Level((Target(TargetKind.USER, user),), timedelta(minutes=minutes), "", severities, urgency or {})


def _look(
    people: dict[int, tuple[tuple[str, timedelta | None], ...]],
    urgency: Urgency = Urgency.PAGE,
    hours: dict[str, WorkingHours] | None = None,
) -> Lookups:
    return Lookups(
        lambda level, _at: people.get(level, ()),
        lambda level: urgency_for(Sev.SEV3, {Sev.SEV3: urgency}, level.urgency),
        lambda user: (hours or {}).get(user, NEW_YORK),
    )


def test_a_page_at_once_goes_out_now_and_the_next_level_follows_its_timeout() -> None:
    policy = _policy(_level("alice"), _level("dave"))
    plan = plan_pass(policy, NIGHT, 0, NIGHT, _look({0: (("alice", None),), 1: (("dave", None),)}))
    assert [(s.step.level, [p.user for p in s.people], s.people[0].at) for s in plan.steps] == [(0, ["alice"], NIGHT)]
    assert plan.next_due_at == NIGHT + timedelta(minutes=15)
    assert plan.hold is None


def test_working_hours_hold_the_step_and_every_later_one_until_the_day_starts() -> None:
    policy = _policy(_level("alice"), _level("dave"))
    look = _look({0: (("alice", None),), 1: (("dave", None),)}, Urgency.WORKING_HOURS)
    plan = plan_pass(policy, NIGHT, 0, NIGHT, look)
    morning = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)  # 09:00 New York
    assert plan.steps == ()
    assert plan.hold is not None
    assert (plan.hold.level, plan.hold.until, plan.hold.users) == (0, morning, ("alice",))
    assert (plan.taken, plan.next_due_at, plan.started_at) == (0, morning, morning)
    later = plan_pass(policy, plan.started_at, plan.taken, morning, look)
    assert [p.user for p in later.steps[0].people] == ["alice"]
    assert later.next_due_at == morning + timedelta(minutes=15)


def test_a_level_pages_those_at_work_now_and_the_rest_when_their_day_starts() -> None:
    # 16:00 in Berlin is 10:00 in New York: Bob is at work, Alice's day started too; at 18:00 Berlin
    # (12:00 New York) Bob's day is over: he is paged the next morning.
    evening = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    policy = _policy(Level((Target(TargetKind.TEAM, "t"),), timedelta(minutes=10)))
    look = _look({0: (("alice", None), ("bob", None))}, Urgency.WORKING_HOURS, {"bob": BERLIN})
    plan = plan_pass(policy, evening, 0, evening, look)
    (only,) = plan.steps
    assert [(p.user, p.at) for p in only.people] == [
        ("alice", evening),
        ("bob", datetime(2026, 12, 9, 8, 0, tzinfo=UTC)),
    ]


def test_a_follow_up_level_is_skipped_without_waiting_its_timeout() -> None:
    policy = _policy(_level("alice", urgency={Sev.SEV3: Urgency.FOLLOW_UP}), _level("dave"))
    plan = plan_pass(policy, NIGHT, 0, NIGHT, _look({0: (("alice", None),), 1: (("dave", None),)}))
    assert [(s.step.level, s.skipped) for s in plan.steps] == [(0, True), (1, False)]
    assert [p.user for p in plan.steps[1].people] == ["dave"]


def test_every_level_a_follow_up_ends_the_escalation_at_once() -> None:
    policy = _policy(_level("alice"), _level("dave"))
    plan = plan_pass(policy, NIGHT, 0, NIGHT, _look({0: (("alice", None),)}, Urgency.FOLLOW_UP))
    assert all(s.skipped for s in plan.steps)
    assert plan.ended is EscalationState.EXHAUSTED


def test_the_paged_persons_escalation_delay_replaces_the_levels_timeout() -> None:
    policy = _policy(_level("alice", 15), _level("dave", 30))
    plan = plan_pass(policy, NIGHT, 0, NIGHT, _look({0: (("alice", timedelta(minutes=2)),)}))
    assert plan.next_due_at == NIGHT + timedelta(minutes=2)


def test_a_policy_for_a_severity_leaves_out_levels_limited_to_others() -> None:
    vp = _level("vera", severities=frozenset({Sev.SEV1}))
    policy = _policy(_level("alice"), _level("dave"), vp)
    assert policy.for_severity(Sev.SEV1) is policy
    sev2 = policy.for_severity(Sev.SEV2)
    assert sev2 is not None
    assert [lv.targets[0].ref for lv in sev2.levels] == ["alice", "dave"]
    assert _policy(vp).for_severity(Sev.SEV2) is None
    # Pages and timelines name levels as configured, whichever were left out.
    middle = _policy(_level("alice"), vp, _level("dave"))
    left = middle.for_severity(Sev.SEV2)
    assert left is not None
    assert [left.number(i) for i in range(len(left.levels))] == [1, 3]


def test_urgency_comes_from_the_level_then_the_service_then_the_playbook() -> None:
    assert urgency_for(Sev.SEV3, {}) is Urgency.WORKING_HOURS
    assert urgency_for(Sev.SEV4, {}) is Urgency.FOLLOW_UP
    assert urgency_for(Sev.SEV1, {}) is Urgency.PAGE
    assert urgency_for(Sev.SEV3, {Sev.SEV3: Urgency.PAGE}) is Urgency.PAGE
    assert urgency_for(Sev.SEV3, {Sev.SEV3: Urgency.PAGE}, {Sev.SEV3: Urgency.FOLLOW_UP}) is Urgency.FOLLOW_UP
    assert parse_urgency_map({"p3": "page"}) == {Sev.SEV3: Urgency.PAGE}
    with pytest.raises(ValueError, match=r"urgency\.SEV-3: use page, working_hours or follow_up"):
        parse_urgency_map({"SEV-3": "loud"})


def test_level_numbers_order_the_levels_and_gaps_or_repeats_are_refused() -> None:
    def levels(*numbers: int | None) -> list[LevelIn]:
        return [LevelIn(level=n, targets=[f"t{i}"]) for i, n in enumerate(numbers)]

    assert [lv.targets for lv in ordered_levels(levels(3, 1, 2))] == [["t1"], ["t2"], ["t0"]]
    assert [lv.targets for lv in ordered_levels(levels(None, None))] == [["t0"], ["t1"]]
    with pytest.raises(ValueError, match="level 1 is given twice"):
        ordered_levels(levels(3, 1, 1))
    with pytest.raises(ValueError, match="level 2 is missing"):
        ordered_levels(levels(1, 3))
    with pytest.raises(ValueError, match="number every level or none"):
        ordered_levels(levels(1, None))


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    timeouts=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=4),
    delays=st.lists(st.one_of(st.none(), st.integers(min_value=1, max_value=60)), min_size=4, max_size=4),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)),
    urgency=st.sampled_from([Urgency.PAGE, Urgency.WORKING_HOURS]),
    waits=st.lists(st.integers(min_value=0, max_value=6 * 3600), min_size=1, max_size=30),
)
def test_holds_and_delays_never_move_a_due_time_backwards_nor_page_early(
    timeouts: list[int], delays: list[int | None], start: datetime, urgency: Urgency, waits: list[int]
) -> None:
    policy = _policy(*(_level(f"u{i}", m) for i, m in enumerate(timeouts)))
    people = {i: ((f"u{i}", timedelta(minutes=d) if d else None),) for i, d in enumerate(delays)}
    look = _look(people, urgency)
    started, taken, now, due = start, 0, start, start
    for wait in waits:
        now += timedelta(seconds=wait)
        plan = plan_pass(policy, started, taken, now, look)
        for planned in plan.steps:
            assert all(p.at >= planned.step.due_at for p in planned.people)
            assert all(p.at >= now for p in planned.people)
        if plan.next_due_at is not None:
            assert plan.next_due_at >= due
            due = plan.next_due_at
        if plan.ended is not None:
            break
        started, taken = plan.started_at, plan.taken


def _without(disabled: set[str], look: Lookups) -> Lookups:
    return Lookups(look.reached, look.urgency, look.hours, lambda user: user in disabled)


def test_a_disabled_person_is_skipped_and_a_level_of_only_them_passes_to_the_next_at_once() -> None:
    policy = _policy(_level("alice"), _level("dave"), _level("erin"))
    people = {0: (("alice", None),), 1: (("dave", None), ("bob", None)), 2: (("erin", None),)}
    plan = plan_pass(policy, NIGHT, 0, NIGHT, _without({"alice", "bob"}, _look(people)))
    assert [(s.step.level, [p.user for p in s.people], s.disabled) for s in plan.steps] == [
        (0, [], ("alice",)),
        (1, ["dave"], ("bob",)),
    ]
    assert plan.next_due_at == NIGHT + timedelta(minutes=15)  # level 3 waits level 2's timeout, from now


def test_when_everyone_is_disabled_the_escalation_runs_out_without_paging() -> None:
    policy = _policy(_level("alice"), _level("dave"), repeat=1)
    plan = plan_pass(
        policy, NIGHT, 0, NIGHT, _without({"alice", "dave"}, _look({0: (("alice", None),), 1: (("dave", None),)}))
    )
    assert all(not s.people for s in plan.steps)
    assert plan.ended is EscalationState.EXHAUSTED
