"""Action items: vocabulary, horizons, overdue, and completion on time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from firebell.actionitems.model import (
    Horizon,
    ItemStatus,
    Kind,
    Priority,
    completion,
    horizon,
    is_overdue,
    parse_reference,
)
from firebell.kernel.errors import ValidationFailed

TODAY = date(2026, 3, 10)


def test_names_parse_and_unknown_ones_name_their_field() -> None:
    assert Priority.parse("1") is Priority.P1
    assert Kind.parse("Immediate fix") is Kind.IMMEDIATE
    assert Kind.parse("preventive") is Kind.PREVENTATIVE
    assert ItemStatus.parse("In progress") is ItemStatus.IN_PROGRESS
    assert parse_reference("AI-12") == parse_reference("12") == 12
    for parse, field in ((Priority.parse, "priority"), (Kind.parse, "kind"), (ItemStatus.parse, "status")):
        with pytest.raises(ValidationFailed) as caught:
            parse("whenever")
        assert caught.value.details[0]["field"] == field
    with pytest.raises(ValidationFailed):
        parse_reference("AI-x")


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (date(2026, 3, 10), Horizon.IMMEDIATE),
        (date(2026, 3, 17), Horizon.IMMEDIATE),
        (date(2026, 3, 18), Horizon.SHORT_TERM),
        (date(2026, 4, 10), Horizon.SHORT_TERM),
        (date(2026, 4, 11), Horizon.LONG_TERM),
        (None, Horizon.LONG_TERM),
    ],
)
def test_horizon_from_the_due_date(due: date | None, expected: Horizon) -> None:
    assert horizon(due, TODAY) is expected


def test_overdue_only_when_open_and_past_the_due_day() -> None:
    assert is_overdue(ItemStatus.OPEN, date(2026, 3, 9), TODAY)
    assert not is_overdue(ItemStatus.OPEN, TODAY, TODAY)  # due today is not late yet
    assert not is_overdue(ItemStatus.DONE, date(2026, 3, 1), TODAY)
    assert not is_overdue(ItemStatus.IN_PROGRESS, None, TODAY)


def _at(day: int) -> datetime:
    return datetime(2026, 3, day, 23, 30, tzinfo=UTC)


def test_completion_on_time_counts_done_items_and_overdue_ones() -> None:
    items = [
        (ItemStatus.DONE, date(2026, 3, 5), _at(5)),  # on time, late in the day
        (ItemStatus.DONE, date(2026, 3, 5), _at(6)),  # a day late
        (ItemStatus.OPEN, date(2026, 3, 1), None),  # overdue
        (ItemStatus.IN_PROGRESS, date(2026, 3, 20), None),  # not due yet: does not count
        (ItemStatus.WONT_DO, date(2026, 3, 1), None),  # dropped: does not count
        (ItemStatus.DONE, None, _at(2)),  # no due date: does not count
        (ItemStatus.DONE, date(2026, 3, 20), _at(8)),  # done early
    ]
    found = completion(items, TODAY)
    assert (found.total, found.on_time, found.late, found.overdue) == (4, 2, 1, 1)
    assert found.rate == 0.5


def test_completion_with_nothing_due_has_no_rate() -> None:
    assert completion([(ItemStatus.OPEN, date(2026, 4, 1), None)], TODAY).rate is None
