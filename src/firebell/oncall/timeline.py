"""A schedule as a timeline, pure: one row of bars per layer, one for the overrides and one for the
final rotation, over a window of whole days in one time zone, with day marks and the current time.

Bars are placed in percent of the window, so a page can draw them without knowing its width. Each
row covers the window exactly, in order, without overlaps: stretches where a layer is inactive (or
no override applies) are segments of nobody. The final row is `Schedule.final_shifts`, the same
shifts the pager follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from firebell.oncall.schedule import Schedule, Shift

WINDOW_DAYS = (1, 7, 14)


class RowKind(StrEnum):
    LAYER = "layer"
    OVERRIDES = "overrides"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class Segment:
    start: datetime
    end: datetime
    user: str | None  # None: nobody (a layer off duty, no override, or a gap in the final row)
    left: float  # percent of the window from its start
    width: float  # percent of the window


@dataclass(frozen=True, slots=True)
class Row:
    kind: RowKind
    label: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Tick:
    at: datetime
    left: float
    day: bool  # a local midnight (else an hour mark, in a one-day window)


@dataclass(frozen=True, slots=True)
class Timeline:
    start: datetime
    end: datetime
    zone: str
    rows: tuple[Row, ...]
    ticks: tuple[Tick, ...]
    now: float | None  # percent of the window, None when now is outside it


def window(day: date, days: int, zone: str) -> tuple[datetime, datetime]:
    """From local midnight of `day` to local midnight `days` days later, in UTC (23-hour and
    25-hour days included)."""
    if days < 1:
        raise ValueError("a window is at least one day long")
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=days), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _percent(at: datetime, start: datetime, length: timedelta) -> float:
    return (at - start) / length * 100


def segments(shifts: Sequence[Shift], start: datetime, end: datetime) -> tuple[Segment, ...]:
    """Shifts that partition [start, end) as bars in percent of it."""
    length = end - start
    found = []
    for s in shifts:
        left = _percent(s.start, start, length)
        found.append(Segment(s.start, s.end, s.user, left, _percent(s.end, start, length) - left))
    return tuple(found)


def rows(schedule: Schedule, start: datetime, end: datetime) -> tuple[Row, ...]:
    """Each layer (lowest first), the overrides, then the final rotation, over [start, end)."""
    out = [
        Row(RowKind.LAYER, layer.name, segments(Schedule(schedule.name, (layer,)).final_shifts(start, end), start, end))
        for layer in schedule.layers
    ]
    overrides = Schedule(schedule.name, (), schedule.overrides).final_shifts(start, end)
    out.append(Row(RowKind.OVERRIDES, "Overrides", segments(overrides, start, end)))
    out.append(Row(RowKind.FINAL, "Final rotation", segments(schedule.final_shifts(start, end), start, end)))
    return tuple(out)


def ticks(start: datetime, end: datetime, zone: str) -> tuple[Tick, ...]:
    """Local midnights inside [start, end); in a window of a day or less, every third hour too."""
    tz = ZoneInfo(zone)
    length = end - start
    found: list[Tick] = []
    day = start.astimezone(tz).date()
    hourly = length <= timedelta(hours=25)
    while (midnight := datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)) < end:
        if midnight >= start:
            found.append(Tick(midnight, _percent(midnight, start, length), True))
        if hourly:
            for hour in range(3, 24, 3):
                at = datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)
                if start < at < end:
                    found.append(Tick(at, _percent(at, start, length), False))
        day += timedelta(days=1)
    return tuple(sorted(found, key=lambda t: t.at))


def timeline(schedule: Schedule, *, day: date, days: int, zone: str, now: datetime) -> Timeline:
    """The timeline of `days` days from local midnight of `day` in `zone`."""
    start, end = window(day, days, zone)
    marker = _percent(now.astimezone(UTC), start, end - start) if start <= now < end else None
    return Timeline(start, end, zone, rows(schedule, start, end), ticks(start, end, zone), marker)
