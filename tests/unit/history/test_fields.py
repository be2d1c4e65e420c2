"""Reading export values: times in every accepted form and zone, and problems named by line and column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from firebell.history.fields import column_key, csv_rows, json_rows, parse_instant
from firebell.kernel.errors import ValidationFailed

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-02T09:15:00Z", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),
        ("2024-03-02T10:15:00+01:00", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),
        ("2024-03-02 09:15:00 UTC", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),
        ("1709370900", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),  # epoch seconds
        ("1709370900000", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),  # epoch milliseconds (Opsgenie)
        ("1709370900500", datetime(2024, 3, 2, 9, 15, 0, 500_000, tzinfo=UTC)),
        ("1709370900000000", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),  # microseconds
        ("1709370900000000000", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),  # nanoseconds
        ("03/02/2024 10:15:00", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),  # naive: in the zone (CET)
        ("03/02/2024 10:15:00 AM", datetime(2024, 3, 2, 9, 15, tzinfo=UTC)),
    ],
)
def test_times_in_every_form(text: str, expected: datetime) -> None:
    assert parse_instant(text, BERLIN) == expected


def test_a_naive_time_is_read_in_the_zone_given_and_an_offset_wins_over_it() -> None:
    assert parse_instant("2024-07-01T12:00:00", BERLIN) == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)  # CEST
    assert parse_instant("2024-07-01T12:00:00", ZoneInfo("UTC")) == datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    assert parse_instant("2024-07-01T12:00:00-04:00", BERLIN) == datetime(2024, 7, 1, 16, 0, tzinfo=UTC)


def test_naive_times_across_dst_changes() -> None:
    # Spring forward in Berlin, 2024-03-31 02:00 CET -> 03:00 CEST: 01:50 to 03:10 lasted 20 minutes.
    before = parse_instant("2024-03-31T01:50:00", BERLIN)
    after = parse_instant("2024-03-31T03:10:00", BERLIN)
    assert (before, after - before) == (datetime(2024, 3, 31, 0, 50, tzinfo=UTC), timedelta(minutes=20))
    # A time the change skips is read with the offset before it: 02:30 CET, that is 03:30 CEST.
    assert parse_instant("2024-03-31T02:30:00", BERLIN) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    # Fall back, 2024-10-27 03:00 CEST -> 02:00 CET: 02:30 happens twice; the first is meant.
    assert parse_instant("2024-10-27T02:30:00", BERLIN) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    # New York springs forward on another date (2024-03-10).
    new_york = ZoneInfo("America/New_York")
    assert parse_instant("2024-03-10T01:30:00", new_york) == datetime(2024, 3, 10, 6, 30, tzinfo=UTC)
    assert parse_instant("2024-03-10T03:30:00", new_york) == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01T00:00:00", "31/12/2024 10:00", "12:00"])
def test_what_is_not_a_time(text: str) -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_instant(text, BERLIN)


def test_headers_are_matched_whatever_their_case_and_spacing() -> None:
    assert column_key("Created On") == column_key("created_on") == column_key(" CREATED-ON ") == "created_on"
    assert column_key("\ufeffTinyId") == "tinyid"


def test_csv_rows_keep_their_line_numbers_across_quoted_newlines() -> None:
    text = 'id,description\nP1,"two\nlines"\n\nP2,plain\n'
    rows = list(csv_rows(text))
    assert [(r.line, r.text("id")) for r in rows] == [(2, "P1"), (5, "P2")]
    assert rows[0].text("description") == "two\nlines"


def test_a_csv_row_with_more_values_than_columns_refuses_the_file() -> None:
    with pytest.raises(ValidationFailed, match="line 3: 3 values but 2 columns"):
        list(csv_rows("id,title\nP1,a\nP2,b,c\n"))


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="the file is empty"):
        list(csv_rows("\n"))


def test_json_lines_name_the_line_of_a_bad_one() -> None:
    rows = list(json_rows('{"id": "a", "n": 3, "ok": true, "x": null}\n\n{"id": "b"}\n'))
    assert [(r.line, r.text("id")) for r in rows] == [(1, "a"), (3, "b")]
    assert (rows[0].text("n"), rows[0].text("ok"), rows[0].text("x")) == ("3", "true", "")
    with pytest.raises(ValidationFailed, match="line 2: not JSON"):
        list(json_rows('{"id": "a"}\n{"id": \n'))
    with pytest.raises(ValidationFailed, match="line 1: expected a JSON object"):
        list(json_rows("[1, 2]\n"))
