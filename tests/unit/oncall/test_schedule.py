"""Schedule math on hand-checked cases: handoffs, DST, windows, overrides, gaps and warnings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from firebell.oncall.schedule import (
    BUSINESS_HOURS,
    Layer,
    OnCall,
    Override,
    Rotation,
    Schedule,
    Shift,
    ShiftUnit,
    Window,
    warnings,
)

NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


WEEKLY = Rotation(("alice", "bob", "carol"), start=ny(2026, 3, 2, 9), zone="America/New_York")


def test_weekly_rotation_hands_off_monday_9am_in_order() -> None:
    layer = Layer("primary", WEEKLY)
    assert layer.user_at(ny(2026, 3, 2, 9)) == "alice"
    assert layer.user_at(ny(2026, 3, 9, 8, 59)) == "alice"
    assert layer.user_at(ny(2026, 3, 9, 9)) == "bob"
    assert layer.user_at(ny(2026, 3, 16, 9)) == "carol"
    assert layer.user_at(ny(2026, 3, 23, 9)) == "alice"
    assert layer.user_at(ny(2026, 3, 2, 8, 59)) is None  # before the rotation starts


def test_handoff_stays_at_local_time_across_daylight_saving() -> None:
    # New York springs forward on 2026-03-08: the week that contains it is one hour shorter.
    assert WEEKLY.handoff(1) == ny(2026, 3, 9, 9)
    assert WEEKLY.handoff(1) - WEEKLY.handoff(0) == timedelta(days=7, hours=-1)
    assert WEEKLY.handoff(1).astimezone(NY).hour == 9
    daily = Rotation(("a", "b"), start=ny(2026, 10, 30, 9), zone="America/New_York", unit=ShiftUnit.DAYS)
    # Falls back at 02:00 on 2026-11-01: the shift from Saturday 09:00 to Sunday 09:00 lasts 25 hours.
    assert daily.handoff(2) - daily.handoff(1) == timedelta(hours=25)
    assert daily.handoff(2) == ny(2026, 11, 1, 9)
    assert daily.index_at(ny(2026, 11, 1, 8, 59)) == 1
    assert daily.index_at(ny(2026, 11, 1, 9)) == 2


def test_hourly_rotation_counts_elapsed_time() -> None:
    twelve = Rotation(("a", "b"), start=ny(2026, 3, 7, 20), zone="America/New_York", unit=ShiftUnit.HOURS, length=12)
    # 12 real hours after 20:00 EST on the spring-forward night is 09:00 EDT.
    assert twelve.handoff(1) == ny(2026, 3, 8, 9)
    assert twelve.participant(twelve.index_at(ny(2026, 3, 8, 8, 59))) == "a"
    assert twelve.participant(twelve.index_at(ny(2026, 3, 8, 9))) == "b"


def test_handoff_at_a_time_the_clock_skips_falls_after_the_change() -> None:
    night = Rotation(("a", "b"), start=ny(2026, 3, 7, 2, 30), zone="America/New_York", unit=ShiftUnit.DAYS)
    assert night.handoff(1) == ny(2026, 3, 8, 3, 30)  # 02:30 does not exist that night
    assert night.handoff(2) == ny(2026, 3, 9, 2, 30)


def test_higher_layer_wins_inside_its_window_only() -> None:
    base = Layer("follow-the-sun", WEEKLY)
    office = Layer(
        "business hours", Rotation(("dan",), start=ny(2026, 3, 2), zone="America/New_York"), (BUSINESS_HOURS,)
    )
    schedule = Schedule("api", (base, office))
    assert schedule.on_call_at(ny(2026, 3, 4, 10)) == OnCall("dan", "business hours")  # Wednesday 10:00
    assert schedule.on_call_at(ny(2026, 3, 4, 17)) == OnCall("alice", "follow-the-sun")  # window closed
    assert schedule.on_call_at(ny(2026, 3, 7, 10)) == OnCall("alice", "follow-the-sun")  # Saturday


def test_night_window_crosses_midnight() -> None:
    night = Window(frozenset({4}), time(22), time(6))  # Friday 22:00 to Saturday 06:00
    layer = Layer("night", Rotation(("owl",), start=ny(2026, 1, 1), zone="America/New_York"), (night,))
    assert layer.user_at(ny(2026, 3, 6, 23)) == "owl"
    assert layer.user_at(ny(2026, 3, 7, 5, 59)) == "owl"
    assert layer.user_at(ny(2026, 3, 7, 6)) is None
    assert layer.user_at(ny(2026, 3, 5, 23)) is None  # Thursday


def test_override_wins_and_later_override_wins_over_earlier() -> None:
    vacation = Override(ny(2026, 3, 3), ny(2026, 3, 5), "bob", replaces="alice")
    swap = Override(ny(2026, 3, 4), ny(2026, 3, 4, 12), "carol")
    schedule = Schedule("api", (Layer("primary", WEEKLY),), (vacation, swap))
    assert schedule.on_call_at(ny(2026, 3, 3, 12)) == OnCall("bob", "override")
    assert schedule.on_call_at(ny(2026, 3, 4, 6)) == OnCall("carol", "override")
    assert schedule.on_call_at(ny(2026, 3, 5)) == OnCall("alice", "primary")


def test_final_shifts_merge_and_report_gaps() -> None:
    office = Layer(
        "office",
        Rotation(("dan", "erin"), start=ny(2026, 3, 2, 9), zone="America/New_York", unit=ShiftUnit.DAYS),
        (BUSINESS_HOURS,),
    )
    schedule = Schedule("support", (office,), (Override(ny(2026, 3, 3, 12), ny(2026, 3, 3, 13), "dan"),))
    shifts = schedule.final_shifts(ny(2026, 3, 2), ny(2026, 3, 4))
    assert shifts == [
        Shift(ny(2026, 3, 2), ny(2026, 3, 2, 9), None),
        Shift(ny(2026, 3, 2, 9), ny(2026, 3, 2, 17), "dan", "office"),
        Shift(ny(2026, 3, 2, 17), ny(2026, 3, 3, 9), None),
        Shift(ny(2026, 3, 3, 9), ny(2026, 3, 3, 12), "erin", "office"),
        Shift(ny(2026, 3, 3, 12), ny(2026, 3, 3, 13), "dan", "override"),
        Shift(ny(2026, 3, 3, 13), ny(2026, 3, 3, 17), "erin", "office"),
        Shift(ny(2026, 3, 3, 17), ny(2026, 3, 4), None),
    ]
    (gap_warning,) = [w.message for w in warnings(schedule, ny(2026, 3, 2), ny(2026, 3, 4)) if w.code == "gap"]
    assert (
        gap_warning
        == "nobody is on call from 2026-03-02 05:00 to 2026-03-02 14:00 UTC (3 uncovered periods, 32 h in all)"
    )
    # Read in the schedule's zone, as a page in that zone shows it, the times say which zone they are in.
    (local,) = [
        w for w in warnings(schedule, ny(2026, 3, 2), ny(2026, 3, 4), zone="America/New_York") if w.code == "gap"
    ]
    assert local.message.startswith("nobody is on call from 2026-03-02 00:00 to 2026-03-02 09:00 America/New_York (")
    assert [g.start for g in schedule.gaps(ny(2026, 3, 2), ny(2026, 3, 4))] == [
        ny(2026, 3, 2),
        ny(2026, 3, 2, 17),
        ny(2026, 3, 3, 17),
    ]


def test_warnings_follow_the_playbook() -> None:
    lonely = Rotation(("solo",), start=utc(2026, 1, 1), length=2)  # one person, two-week shifts
    primary = Schedule("primary", (Layer("only", lonely),))
    secondary = Schedule("secondary", (Layer("backup", Rotation(("solo", "sam"), start=utc(2026, 1, 1))),))
    found = warnings(primary, utc(2026, 1, 1), utc(2026, 1, 20), secondary=secondary)
    codes = [w.code for w in found]
    assert codes.count("few_participants") == 1
    assert codes.count("long_shifts") == 1
    assert codes.count("primary_is_secondary") == 2  # weeks 1 and 3 of the backup rotation
    assert "gap" not in codes
    assert [w.code for w in warnings(Schedule("empty", ()), utc(2026, 1, 1), utc(2026, 1, 2))] == ["gap"]


def test_rotation_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="participant"):
        Rotation((), start=utc(2026, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        Rotation(("a",), start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="ends after"):
        Override(utc(2026, 1, 2), utc(2026, 1, 1), "a")
