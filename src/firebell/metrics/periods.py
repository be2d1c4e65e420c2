"""The stretch of time a metric or report covers. Pure: "now" is passed in.

Periods are half-open, [start, end), in UTC. A date given as the end is included whole; weeks run
Monday to Monday (ISO weeks) and months from the 1st to the 1st.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from firebell.kernel.errors import ValidationFailed

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years: beyond that a period is a typo


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs aware datetimes")

    @property
    def weeks(self) -> float:
        return (self.end - self.start) / timedelta(weeks=1)

    @property
    def hours(self) -> float:
        return (self.end - self.start) / timedelta(hours=1)

    def label(self) -> str:
        last = self.end - timedelta(microseconds=1)
        return f"{self.start:%Y-%m-%d} – {last:%Y-%m-%d}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def parse_instant(text: str, field: str, *, end: bool = False) -> datetime:
    """A date (`2026-11-01`: its start, or for an end the start of the next day, so the day is
    included) or an ISO datetime (naive ones are UTC)."""
    cleaned = text.strip()
    try:
        if len(cleaned) == 10:
            day = date.fromisoformat(cleaned)
            return _midnight(day + timedelta(days=1) if end else day)
        value = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.field(field, f"{text!r} is not a date (YYYY-MM-DD) or an ISO datetime") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def period(start: str | None, end: str | None, now: datetime, *, default_days: int = DEFAULT_DAYS) -> Period:
    """The period from `start` to `end` (both optional): by default the `default_days` up to now."""
    stop = parse_instant(end, "to", end=True) if end else now
    begin = parse_instant(start, "from") if start else stop - timedelta(days=default_days)
    if begin >= stop:
        raise ValidationFailed.field("from", "the period must start before it ends")
    if stop - begin > timedelta(days=MAX_DAYS):
        raise ValidationFailed.field("from", f"a period is at most {MAX_DAYS} days")
    return Period(begin, stop)


def week(text: str | None, now: datetime) -> Period:
    """An ISO week (`2026-W47`, or any date inside it); by default the last full week before now."""
    if text:
        cleaned = text.strip().upper()
        try:
            if "W" in cleaned:
                year, number = cleaned.split("-W")
                monday = date.fromisocalendar(int(year), int(number), 1)
            else:
                day = date.fromisoformat(cleaned)
                monday = day - timedelta(days=day.weekday())
        except ValueError:
            raise ValidationFailed.field("week", f"{text!r} is not a week (2026-W47) or a date") from None
    else:
        today = now.astimezone(UTC).date()
        monday = today - timedelta(days=today.weekday() + 7)
    return Period(_midnight(monday), _midnight(monday + timedelta(days=7)))


def month(text: str | None, now: datetime) -> Period:
    """A calendar month (`2026-10`); by default the last full month before now."""
    if text:
        try:
            year, number = (int(part) for part in text.strip().split("-")[:2])
            first = date(year, number, 1)
        except ValueError:
            raise ValidationFailed.field("month", f"{text!r} is not a month (YYYY-MM)") from None
    else:
        this = now.astimezone(UTC).date().replace(day=1)
        first = (this - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(_midnight(first), _midnight(following))


def months_back(period: Period, count: int) -> Period:
    """The `count` calendar months ending with the month `period` starts in (for monthly trends)."""
    first = period.start.date().replace(day=1)
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(_midnight(first), period.end)


def week_label(monday: date) -> str:
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"
