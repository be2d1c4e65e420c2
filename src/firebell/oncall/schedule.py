"""Schedule math: rotations, layers with time windows, overrides, final shifts and gaps.

Pure: every function is given the instants it needs; no clock, no I/O. Instants are aware datetimes.
Wall-clock rules (handoff times, business hours) are read in the schedule's zone, so a 09:00 handoff
stays at 09:00 local time across daylight-saving changes (that shift lasts 23 or 25 hours). Shifts
counted in hours are elapsed time instead: a 12-hour rotation hands off every 12 real hours.

Instants are kept in UTC inside (Python compares and subtracts two datetimes of the same zone by
their wall clocks, which is wrong across a clock change).

Precedence at an instant: the last override that covers it, else the highest layer that is active
(started, inside one of its windows if it has any), else nobody (a gap).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


class ShiftUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"


@dataclass(frozen=True, slots=True)
class Rotation:
    """Participants take turns, in order, in shifts of `length` units from `start`.

    `start` is the first handoff; its local time in `zone` is the handoff time of every later one
    (for day and week units).
    """

    participants: tuple[str, ...]
    start: datetime
    zone: str = "UTC"
    unit: ShiftUnit = ShiftUnit.WEEKS
    length: int = 1

    def __post_init__(self) -> None:
        if not self.participants:
            raise ValueError("a rotation needs at least one participant")
        if self.length < 1:
            raise ValueError("a shift is at least one unit long")
        if self.start.tzinfo is None:
            raise ValueError("the rotation start must be an aware datetime")
        ZoneInfo(self.zone)  # an unknown zone fails here, not at the first question
        object.__setattr__(self, "start", _utc(self.start))

    @property
    def nominal_length(self) -> timedelta:
        """The shift length on a day without a clock change."""
        if self.unit is ShiftUnit.HOURS:
            return timedelta(hours=self.length)
        return timedelta(days=self.length * (7 if self.unit is ShiftUnit.WEEKS else 1))

    def handoff(self, index: int) -> datetime:
        """When shift `index` starts (shift 0 starts at `start`; negative ones precede it)."""
        if self.unit is ShiftUnit.HOURS:
            return self.start + index * self.nominal_length
        zone = ZoneInfo(self.zone)
        local = self.start.astimezone(zone)
        day = local.date() + index * self.nominal_length
        return _local_instant(day, local.time(), zone)

    def index_at(self, at: datetime) -> int:
        """The shift that covers `at` (negative before `start`)."""
        at = _utc(at)
        if self.unit is ShiftUnit.HOURS:
            return (at - self.start) // self.nominal_length
        zone = ZoneInfo(self.zone)
        wall = at.astimezone(zone).replace(tzinfo=None) - self.start.astimezone(zone).replace(tzinfo=None)
        index = wall // self.nominal_length
        while self.handoff(index + 1) <= at:
            index += 1
        while self.handoff(index) > at:
            index -= 1
        return index

    def participant(self, index: int) -> str:
        return self.participants[index % len(self.participants)]


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly time window in the layer's zone: from `start` to `end` on each of `days`.

    `days` are ISO weekdays counted from 0 (Monday) to 6 (Sunday), the day the window opens; an
    `end` at or before `start` closes on the next day (a night shift).
    """

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("window days are weekdays 0 (Monday) to 6 (Sunday)")

    def spans(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The instants this window covers when it opens on `day`, if it opens that day."""
        if day.weekday() not in self.days:
            return None
        close_day = day if self.end > self.start else day + timedelta(days=1)
        return _local_instant(day, self.start, zone), _local_instant(close_day, self.end, zone)


BUSINESS_HOURS = Window(frozenset(range(5)), time(9), time(17))


def inside(windows: Sequence[Window], at: datetime, zone: str) -> bool:
    """Whether `at` falls in one of the weekly windows, read in `zone`."""
    tz = ZoneInfo(zone)
    today = at.astimezone(tz).date()
    for day in (today - timedelta(days=1), today):  # a window opened yesterday may still be open
        for window in windows:
            span = window.spans(day, tz)
            if span is not None and span[0] <= at < span[1]:
                return True
    return False


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    rotation: Rotation
    windows: tuple[Window, ...] = ()  # none: active at all times
    end: datetime | None = None  # the layer stops covering here, if set

    def __post_init__(self) -> None:
        if self.end is not None:
            object.__setattr__(self, "end", _utc(self.end))

    def active_at(self, at: datetime) -> bool:
        at = _utc(at)
        if at < self.rotation.start or (self.end is not None and at >= self.end):
            return False
        return not self.windows or inside(self.windows, at, self.rotation.zone)

    def user_at(self, at: datetime) -> str | None:
        """Exactly one participant while the layer is active, else None."""
        if not self.active_at(at):
            return None
        return self.rotation.participant(self.rotation.index_at(at))

    def boundaries(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every instant in (start, end) where this layer's answer may change (and a few outside)."""
        start, end = _utc(start), _utc(end)
        rotation = self.rotation
        yield rotation.start
        if self.end is not None:
            yield self.end
        index = rotation.index_at(max(start, rotation.start))
        while (handoff := rotation.handoff(index)) < end:
            yield handoff
            index += 1
        if self.windows:
            zone = ZoneInfo(rotation.zone)
            day = start.astimezone(zone).date() - timedelta(days=1)
            last = end.astimezone(zone).date()
            while day <= last:
                for window in self.windows:
                    span = window.spans(day, zone)
                    if span is not None:
                        yield from span
                day += timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Override:
    """`user` is on call from `start` to `end` (half-open), whoever the layers say; `replaces` notes
    whose time it covers, for people reading the schedule."""

    start: datetime
    end: datetime
    user: str
    replaces: str | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("an override ends after it starts")
        object.__setattr__(self, "start", _utc(self.start))
        object.__setattr__(self, "end", _utc(self.end))

    def covers(self, at: datetime) -> bool:
        return self.start <= _utc(at) < self.end


@dataclass(frozen=True, slots=True)
class OnCall:
    user: str
    source: str  # "override" or the name of the layer


@dataclass(frozen=True, slots=True)
class Shift:
    """Who is on call over [start, end); `user` None is a gap."""

    start: datetime
    end: datetime
    user: str | None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    layers: tuple[Layer, ...]  # lowest first: a later layer wins where it is active
    overrides: tuple[Override, ...] = ()  # a later override wins where two overlap
    # A participant's own escalation delay: how long the next level waits when they are the one paged.
    delays: Mapping[str, timedelta] = field(default_factory=dict, hash=False)

    def on_call_at(self, at: datetime) -> OnCall | None:
        at = _utc(at)
        for override in reversed(self.overrides):
            if override.covers(at):
                return OnCall(override.user, "override")
        for layer in reversed(self.layers):
            user = layer.user_at(at)
            if user is not None:
                return OnCall(user, layer.name)
        return None

    def final_shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Contiguous shifts covering [start, end) exactly; adjacent equal answers merged."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return []
        cuts = {start, end}
        for layer in self.layers:
            cuts.update(_utc(t) for t in layer.boundaries(start, end) if start < t < end)
        for override in self.overrides:
            cuts.update(t for t in (override.start, override.end) if start < t < end)
        points = sorted(cuts)
        shifts: list[Shift] = []
        for left, right in itertools.pairwise(points):
            answer = self.on_call_at(left)
            user, source = (answer.user, answer.source) if answer else (None, None)
            if shifts and shifts[-1].user == user and shifts[-1].source == source:
                shifts[-1] = Shift(shifts[-1].start, right, user, source)
            else:
                shifts.append(Shift(left, right, user, source))
        return shifts

    def gaps(self, start: datetime, end: datetime) -> list[Shift]:
        return [shift for shift in self.final_shifts(start, end) if shift.user is None]


@dataclass(frozen=True, slots=True)
class ScheduleWarning:
    code: str
    message: str


def warnings(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    secondary: Schedule | None = None,
    zone: str = "UTC",
) -> list[ScheduleWarning]:
    """The practices the playbook asks for, checked over [start, end): at least two people per
    rotation, shifts of at most a week, no uncovered time, nobody primary and secondary at once.
    Times in the messages are read in `zone` (and say so)."""
    tz = ZoneInfo(zone)
    found: list[ScheduleWarning] = []
    for layer in schedule.layers:
        rotation = layer.rotation
        if len(set(rotation.participants)) < 2:
            found.append(ScheduleWarning("few_participants", f"layer {layer.name} has fewer than 2 people"))
        if rotation.nominal_length > WEEK:
            found.append(ScheduleWarning("long_shifts", f"layer {layer.name} has shifts longer than one week"))
    gaps = schedule.gaps(start, end)
    if gaps:
        first = f"{gaps[0].start.astimezone(tz):%Y-%m-%d %H:%M} to {gaps[0].end.astimezone(tz):%Y-%m-%d %H:%M} {zone}"
        hours = sum((g.end - g.start for g in gaps), timedelta(0)) / timedelta(hours=1)
        more = f" ({len(gaps)} uncovered periods, {hours:.0f} h in all)" if len(gaps) > 1 else ""
        found.append(ScheduleWarning("gap", f"nobody is on call from {first}{more}"))
    if secondary is not None:
        for both in same_person(schedule.final_shifts(start, end), secondary.final_shifts(start, end)):
            found.append(
                ScheduleWarning(
                    "primary_is_secondary",
                    f"{both.user} is primary and secondary from {both.start.astimezone(tz):%Y-%m-%d %H:%M} {zone}",
                )
            )
    return found


def same_person(primary: Sequence[Shift], secondary: Sequence[Shift]) -> list[Shift]:
    """The periods where both lists name the same person."""
    overlaps: list[Shift] = []
    for a in primary:
        for b in secondary:
            if a.user is None or a.user != b.user:
                continue
            lo, hi = max(a.start, b.start, key=_utc), min(a.end, b.end, key=_utc)
            if lo < hi:
                overlaps.append(Shift(lo, hi, a.user))
    return overlaps


def _local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant of a local date and wall-clock time. A time skipped by a clock change reads as
    the same distance past the change (02:30 on a spring-forward night is 03:30); a repeated one
    reads as its first occurrence."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
