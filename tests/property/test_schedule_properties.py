"""Properties of schedule math over random rotations, layers, windows, overrides and time zones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall.schedule import Layer, Override, Rotation, Schedule, ShiftUnit, Window

# Zones with clock changes of an hour, of half an hour (Lord Howe), in both hemispheres, and none.
ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"]
PEOPLE = ["ana", "ben", "cy", "dee", "eli"]

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    zone = draw(st.sampled_from(ZONES))
    unit = draw(st.sampled_from(list(ShiftUnit)))
    length = draw(st.integers(1, 48)) if unit is ShiftUnit.HOURS else draw(st.integers(1, 3))
    people = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=5, unique=True))
    local = draw(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 6, 30)))
    start = local.replace(minute=local.minute // 15 * 15, second=0, microsecond=0, tzinfo=ZoneInfo(zone))
    return Rotation(tuple(people), start=start, zone=zone, unit=unit, length=length)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    opens, closes = draw(st.integers(0, 23)), draw(st.integers(0, 23))
    return Window(days, time(opens), time(closes))


@st.composite
def schedules(draw: st.DrawFn, around: datetime) -> Schedule:
    layers = tuple(
        Layer(f"layer{i}", draw(rotations()), tuple(draw(st.lists(windows(), max_size=2))))
        for i in range(draw(st.integers(1, 3)))
    )
    overrides = []
    for _ in range(draw(st.integers(0, 3))):
        begin = around + timedelta(hours=draw(st.integers(-48, 24 * 20)))
        overrides.append(
            Override(begin, begin + timedelta(hours=draw(st.integers(1, 72))), draw(st.sampled_from(PEOPLE)))
        )
    return Schedule("s", layers, tuple(overrides))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Schedule, datetime, datetime, list[datetime]]:
    start = draw(instants)
    end = start + timedelta(hours=draw(st.integers(1, 24 * 21)))
    span = (end - start) // timedelta(microseconds=1)
    probes = [start + timedelta(microseconds=draw(st.integers(0, span - 1))) for _ in range(8)]
    return draw(schedules(start)), start, end, probes


@settings(max_examples=150, deadline=None)
@given(cases())
def test_final_shifts_partition_the_range_and_agree_with_every_instant(
    case: tuple[Schedule, datetime, datetime, list[datetime]],
) -> None:
    schedule, start, end, probes = case
    shifts = schedule.final_shifts(start, end)
    assert shifts[0].start == start
    assert shifts[-1].end == end
    for before, after in itertools.pairwise(shifts):
        assert before.end == after.start
        assert (before.user, before.source) != (after.user, after.source)  # merged when equal
    for shift in shifts:
        assert shift.start < shift.end
    for at in probes:
        for layer in schedule.layers:  # each layer: exactly one of its people while active, else nobody
            user = layer.user_at(at)
            assert (user in layer.rotation.participants) if layer.active_at(at) else user is None
        (containing,) = [s for s in shifts if s.start <= at < s.end]
        answer = schedule.on_call_at(at)
        # Exactly one person, or a reported gap.
        assert (containing.user, containing.source) == ((answer.user, answer.source) if answer else (None, None))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_the_latest_override_covering_an_instant_wins(
    case: tuple[Schedule, datetime, datetime, list[datetime]],
) -> None:
    schedule, _start, _end, probes = case
    for override in schedule.overrides:
        probes.append(override.start + (override.end - override.start) / 2)
    for at in probes:
        covering = [o for o in schedule.overrides if o.start <= at < o.end]
        answer = schedule.on_call_at(at)
        if covering:
            assert answer is not None
            assert (answer.user, answer.source) == (covering[-1].user, "override")
        else:
            assert answer is None or answer.source != "override"


@settings(max_examples=200, deadline=None)
@given(rotations(), st.integers(-60, 400))
def test_a_rotation_visits_participants_in_order(rotation: Rotation, index: int) -> None:
    handoff, following = rotation.handoff(index), rotation.handoff(index + 1)
    assert handoff < following
    assert rotation.index_at(handoff) == index
    assert rotation.index_at(following - timedelta(microseconds=1)) == index
    assert rotation.participant(index) == rotation.participants[index % len(rotation.participants)]
    assert rotation.participant(index + 1) == rotation.participants[(index + 1) % len(rotation.participants)]


@settings(max_examples=200, deadline=None)
@given(rotations(), st.integers(-60, 400))
def test_day_and_week_handoffs_keep_their_local_time_across_clock_changes(rotation: Rotation, index: int) -> None:
    zone = ZoneInfo(rotation.zone)
    wall = rotation.start.astimezone(zone).time()
    local = rotation.handoff(index).astimezone(zone)
    if rotation.unit is ShiftUnit.HOURS:
        assert rotation.handoff(index) - rotation.start == index * timedelta(hours=rotation.length)
        return
    exists = datetime.combine(local.date(), wall, tzinfo=zone).astimezone(UTC).astimezone(zone).time() == wall
    if exists:
        assert local.time() == wall
    days = rotation.length * (7 if rotation.unit is ShiftUnit.WEEKS else 1)
    assert (local.date() - rotation.start.astimezone(zone).date()).days in {index * days, index * days + 1}
