"""Properties of the schedule timeline: every row covers its window in order without overlaps, bars
add up to the whole width, and the final row is the final rotation the pager follows."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall.schedule import Layer, Override, Rotation, Schedule
from firebell.oncall.timeline import WINDOW_DAYS, RowKind, Timeline, timeline, window
from tests.property.test_schedule_properties import ZONES, schedules


@st.composite
def cases(draw: st.DrawFn) -> tuple[Schedule, Timeline]:
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 1)))
    days = draw(st.sampled_from(WINDOW_DAYS))
    start, end = window(day, days, zone)
    now = start + (end - start) * draw(st.floats(-0.5, 1.5))
    schedule = draw(schedules(start))
    return schedule, timeline(schedule, day=day, days=days, zone=zone, now=now)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_each_row_covers_the_window_in_order_without_overlaps(case: tuple[Schedule, Timeline]) -> None:
    schedule, drawn = case
    assert [r.kind for r in drawn.rows] == [RowKind.LAYER] * len(schedule.layers) + [RowKind.OVERRIDES, RowKind.FINAL]
    for row in drawn.rows:
        assert row.segments[0].start == drawn.start
        assert row.segments[-1].end == drawn.end
        for before, after in itertools.pairwise(row.segments):
            assert before.end == after.start  # no gap, no overlap
            assert before.left < after.left
        assert all(s.start < s.end and s.width > 0 for s in row.segments)
        assert math.isclose(sum(s.width for s in row.segments), 100, abs_tol=1e-6)
        assert math.isclose(row.segments[0].left, 0, abs_tol=1e-9)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_the_final_row_is_the_final_rotation_and_layers_agree_with_each_instant(
    case: tuple[Schedule, Timeline],
) -> None:
    schedule, drawn = case
    final = schedule.final_shifts(drawn.start, drawn.end)
    assert [(s.start, s.end, s.user) for s in drawn.rows[-1].segments] == [(s.start, s.end, s.user) for s in final]
    for layer, row in zip(schedule.layers, drawn.rows, strict=False):
        for segment in row.segments:
            assert layer.user_at(segment.start) == segment.user
    for segment in drawn.rows[-2].segments:  # the overrides row: the last override covering, or nobody
        covering = [o for o in schedule.overrides if o.covers(segment.start)]
        assert segment.user == (covering[-1].user if covering else None)


@settings(max_examples=100, deadline=None)
@given(cases())
def test_day_marks_are_local_midnights_and_now_is_marked_only_inside(case: tuple[Schedule, Timeline]) -> None:
    _schedule, drawn = case
    zone = ZoneInfo(drawn.zone)
    days = [t for t in drawn.ticks if t.day]
    assert days[0].at == drawn.start
    for tick in days:
        local = tick.at.astimezone(zone)
        # Midnight of its local day (where a clock change skips midnight, the instant it becomes 01:00).
        assert tick.at == datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)
        assert 0 <= tick.left < 100
    assert [t.at for t in drawn.ticks] == sorted(t.at for t in drawn.ticks)


def test_a_window_of_a_spring_forward_day_is_23_hours_and_now_is_placed_by_real_time() -> None:
    rotation = Rotation(("ana",), start=datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Europe/Paris")), zone="Europe/Paris")
    schedule = Schedule(
        "s",
        (Layer("l", rotation),),
        (Override(datetime(2026, 3, 29, 10, tzinfo=UTC), datetime(2026, 3, 29, 12, tzinfo=UTC), "ben"),),
    )
    now = datetime(2026, 3, 29, 10, 30, tzinfo=UTC)
    drawn = timeline(schedule, day=date(2026, 3, 29), days=1, zone="Europe/Paris", now=now)
    assert drawn.end - drawn.start == timedelta(hours=23)
    assert drawn.now is not None
    assert math.isclose(drawn.now, 50)
    override = next(s for s in drawn.rows[1].segments if s.user == "ben")
    assert math.isclose(override.width, 2 / 23 * 100)
    hours = [t.at.astimezone(ZoneInfo("Europe/Paris")).hour for t in drawn.ticks]
    assert hours == [0, 3, 6, 9, 12, 15, 18, 21]
