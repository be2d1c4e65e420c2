from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall.schedule import Window
from firebell.oncall.working_hours import WorkingHours, from_doc

BERLIN = WorkingHours(zone="Europe/Berlin")


def test_a_night_page_waits_for_the_morning_in_the_persons_zone() -> None:
    # Tuesday 2026-12-08 04:00 Berlin is 03:00 UTC; the day starts at 09:00 Berlin (08:00 UTC).
    at = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    assert not BERLIN.contains(at)
    assert BERLIN.next_start(at) == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)


def test_inside_working_hours_the_page_goes_at_once() -> None:
    at = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert BERLIN.contains(at)
    assert BERLIN.next_start(at) == at


def test_friday_evening_waits_for_monday() -> None:
    friday_evening = datetime(2026, 12, 11, 18, 0, tzinfo=UTC)
    assert BERLIN.next_start(friday_evening) == datetime(2026, 12, 14, 8, 0, tzinfo=UTC)


def test_a_business_hours_target_counts_working_time_only() -> None:
    # Opened Friday 16:30 Berlin with 1 h of working time to go: 30 min on Friday, 30 on Monday.
    opened = datetime(2026, 12, 11, 15, 30, tzinfo=UTC)
    assert BERLIN.add(opened, timedelta(hours=1)) == datetime(2026, 12, 14, 8, 30, tzinfo=UTC)
    # 4 h at 04:00 on a Tuesday: from 09:00 to 13:00.
    assert BERLIN.add(datetime(2026, 12, 8, 3, 0, tzinfo=UTC), timedelta(hours=4)) == datetime(
        2026, 12, 8, 12, 0, tzinfo=UTC
    )


def test_daylight_saving_moves_the_utc_start() -> None:
    # Summer: 09:00 Berlin is 07:00 UTC.
    assert BERLIN.next_start(datetime(2026, 7, 7, 3, 0, tzinfo=UTC)) == datetime(2026, 7, 7, 7, 0, tzinfo=UTC)


def test_night_windows_that_cross_midnight_and_overlap_merge() -> None:
    nights = WorkingHours(
        (Window(frozenset(range(7)), time(22), time(6)), Window(frozenset(range(7)), time(5), time(8))), "UTC"
    )
    at = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)
    first = next(nights.stretches(at))
    assert first == (datetime(2026, 12, 8, 22, 0, tzinfo=UTC), datetime(2026, 12, 9, 8, 0, tzinfo=UTC))
    assert nights.add(at, timedelta(hours=10)) == datetime(2026, 12, 9, 23, 0, tzinfo=UTC)


def test_stored_documents_round_trip_and_default_to_the_playbooks_hours() -> None:
    custom = WorkingHours((Window(frozenset({0, 2}), time(8), time(12)),), "America/New_York")
    assert from_doc(custom.to_doc(), "UTC") == custom
    assert from_doc(None, "Asia/Tokyo") == WorkingHours(zone="Asia/Tokyo")


instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))


@settings(max_examples=200, derandomize=True, deadline=None)
@given(at=instants, minutes=st.integers(min_value=0, max_value=60 * 24 * 20))
def test_deadlines_never_come_before_the_start_and_grow_with_the_span(at: datetime, minutes: int) -> None:
    due = BERLIN.add(at, timedelta(minutes=minutes))
    assert due >= at
    assert BERLIN.add(at, timedelta(minutes=minutes + 1)) > due
    start = BERLIN.next_start(at)
    assert start >= at
    assert BERLIN.contains(start)


def test_working_hours_need_a_window() -> None:
    with pytest.raises(ValueError, match="at least one window"):
        WorkingHours(())
