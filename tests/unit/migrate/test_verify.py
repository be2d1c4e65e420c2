"""The parity check's pure part: handoffs from both sides, who is on call at each, differences grouped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from firebell.migrate.verify import Difference, Shift, compare, handoffs, line, on_call, summary

T0 = datetime(2026, 11, 2, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_the_same_rota_cut_differently_is_no_difference() -> None:
    source: list[Shift] = [(h(0), h(24), "ann@example.com"), (h(24), h(48), "ben@example.com")]
    firebell: list[Shift] = [
        (h(0), h(12), "Ann@Example.com"),  # emails compare without case
        (h(12), h(24), "ann@example.com"),
        (h(24), h(48), "ben@example.com"),
    ]
    result = compare(source, firebell, h(0), h(48))
    assert result.agree
    assert result.handoffs == 3  # 0, 12, 24


def test_consecutive_intervals_that_differ_alike_are_one_difference() -> None:
    source: list[Shift] = [(h(0), h(10), "cy@example.com"), (h(10), h(20), "cy@example.com")]
    firebell: list[Shift] = [(h(0), h(5), "ann@example.com"), (h(5), h(20), "ann@example.com")]
    result = compare(source, firebell, h(0), h(20))
    assert not result.agree
    assert result.differences == (
        Difference(h(0), h(20), frozenset({"cy@example.com"}), frozenset({"ann@example.com"})),
    )
    assert result.handoffs == 3


def test_a_change_in_who_differs_starts_a_new_difference_and_agreement_ends_one() -> None:
    source: list[Shift] = [(h(0), h(10), "cy@x.io"), (h(10), h(20), "dee@x.io"), (h(20), h(30), "ann@x.io")]
    firebell: list[Shift] = [(h(0), h(30), "ann@x.io")]
    found = compare(source, firebell, h(0), h(30)).differences
    assert [(d.start, d.end, d.source) for d in found] == [
        (h(0), h(10), frozenset({"cy@x.io"})),
        (h(10), h(20), frozenset({"dee@x.io"})),
    ]


def test_a_gap_on_one_side_is_nobody_and_overlaps_are_everyone() -> None:
    source: list[Shift] = [(h(0), h(10), "ann@x.io"), (h(0), h(10), "team Platform")]
    firebell: list[Shift] = [(h(0), h(4), "ann@x.io"), (h(4), h(10), None)]
    found = compare(source, firebell, h(0), h(10)).differences
    assert found == (
        Difference(h(0), h(4), frozenset({"ann@x.io", "team Platform"}), frozenset({"ann@x.io"})),
        Difference(h(4), h(10), frozenset({"ann@x.io", "team Platform"}), frozenset()),
    )


def test_shifts_past_the_window_are_cut_and_the_window_start_is_a_handoff() -> None:
    shifts: list[Shift] = [(h(-5), h(3), "a@x.io"), (h(3), h(50), "b@x.io")]
    assert handoffs([shifts], h(0), h(10)) == [h(0), h(3)]
    assert compare(shifts, [(h(0), h(3), "a@x.io")], h(0), h(10)).differences == (
        Difference(h(3), h(10), frozenset({"b@x.io"}), frozenset()),
    )


def test_a_difference_reads_in_the_schedules_zone_and_in_utc() -> None:
    difference = Difference(
        datetime(2026, 11, 11, 11, tzinfo=UTC),
        datetime(2026, 11, 12, 11, tzinfo=UTC),
        frozenset({"cy@example.com"}),
        frozenset(),
    )
    assert line("Primary", difference, ZoneInfo("Europe/Berlin"), "PagerDuty") == (
        "Primary: from 2026-11-11 12:00 CET (2026-11-11 11:00 UTC) to 2026-11-12 12:00 CET (2026-11-12 11:00 UTC): "
        "PagerDuty says cy@example.com, Firebell says nobody"
    )
    assert summary(2, 40, 0) == "2 schedule(s) compared, 40 handoff(s) checked, no differences"
    assert summary(2, 40, 3) == "2 schedule(s) compared, 40 handoff(s) checked, 3 difference(s)"


PEOPLE = st.sampled_from(["ann@x.io", "ben@x.io", "cy@x.io", None])


@st.composite
def rotas(draw: st.DrawFn) -> list[Shift]:
    """Shifts over hours 0..48 (gaps and overlaps allowed)."""
    shifts: list[Shift] = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(-4, 50))
        length = draw(st.integers(1, 20))
        shifts.append((h(start), h(start + length), draw(PEOPLE)))
    return shifts


@given(rotas(), rotas())
def test_every_hour_differs_exactly_where_a_difference_says(source: list[Shift], firebell: list[Shift]) -> None:
    result = compare(source, firebell, h(0), h(48))
    for hour in range(48):
        at = h(hour)
        covering = [d for d in result.differences if d.start <= at < d.end]
        differs = on_call(source, at) != on_call(firebell, at)
        assert len(covering) == (1 if differs else 0)
        if covering:
            assert (covering[0].source, covering[0].firebell) == (on_call(source, at), on_call(firebell, at))


@given(rotas(), rotas())
def test_differences_are_ordered_disjoint_and_never_split_alike(source: list[Shift], firebell: list[Shift]) -> None:
    found = compare(source, firebell, h(0), h(48)).differences
    for earlier, later in pairwise(found):
        assert earlier.end <= later.start
        assert not (earlier.end == later.start and (earlier.source, earlier.firebell) == (later.source, later.firebell))
    assert compare(source, source, h(0), h(48)).differences == ()
