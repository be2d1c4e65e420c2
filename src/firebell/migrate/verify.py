"""The parity check before a cutover: who the source tool and Firebell put on call, handoff by handoff.

Pure: two lists of final shifts in, differences out; no clock, no I/O. A shift is (start, end, who),
`who` an email (compared without case) or another label for a recipient that is not a person (an
Opsgenie team, say); None is nobody. Shifts on one side may overlap (Opsgenie notifies every rotation
on call at once), so each side says a set of people at an instant.

The handoffs are the union of both sides' boundaries inside the window, and its start. Between two
handoffs neither side changes, so comparing at each handoff compares the whole window. Consecutive
differing intervals that differ the same way are one difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Shift = tuple[datetime, datetime, str | None]  # [start, end), who (None: nobody)
People = frozenset[str]


@dataclass(frozen=True, slots=True)
class Difference:
    """A stretch [start, end) where the two sides name different people."""

    start: datetime
    end: datetime
    source: People
    firebell: People


def handoffs(sides: Iterable[Sequence[Shift]], start: datetime, end: datetime) -> list[datetime]:
    """Every instant in [start, end) where someone's shift begins or ends on either side, and `start`."""
    instants = {start}
    for shifts in sides:
        for begin, finish, _who in shifts:
            instants.update(at for at in (begin, finish) if start < at < end)
    return sorted(instants)


def on_call(shifts: Sequence[Shift], at: datetime) -> People:
    """Who covers `at` (start <= at < end), emails in lower case (other labels as they are)."""
    return frozenset(_person(who) for begin, finish, who in shifts if who and begin <= at < finish)


def _person(who: str) -> str:
    return who.strip().lower() if "@" in who else who.strip()


@dataclass(frozen=True, slots=True)
class Comparison:
    """How many handoffs were checked, and where the sides differ, in order."""

    handoffs: int
    differences: tuple[Difference, ...]

    @property
    def agree(self) -> bool:
        return not self.differences


def compare(source: Sequence[Shift], firebell: Sequence[Shift], start: datetime, end: datetime) -> Comparison:
    """Each handoff in [start, end) checked; differing stretches that differ alike grouped."""
    instants = handoffs((source, firebell), start, end)
    found: list[Difference] = []
    for at, until in zip(instants, [*instants[1:], end], strict=True):
        said, says = on_call(source, at), on_call(firebell, at)
        if said == says:
            continue
        last = found[-1] if found else None
        if last is not None and last.end == at and (last.source, last.firebell) == (said, says):
            found[-1] = Difference(last.start, until, said, says)
        else:
            found.append(Difference(at, until, said, says))
    return Comparison(len(instants), tuple(found))


def who(people: People) -> str:
    return ", ".join(sorted(people)) if people else "nobody"


def moment(at: datetime, zone: ZoneInfo) -> str:
    """`2026-11-11 12:00 CET (2026-11-11 11:00 UTC)`: the instant in the schedule's zone and in UTC."""
    local, utc = at.astimezone(zone), at.astimezone(UTC)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc:%Y-%m-%d %H:%M} UTC)"


def line(schedule: str, difference: Difference, zone: ZoneInfo, vendor: str) -> str:
    """One difference as the report prints it."""
    return (
        f"{schedule}: from {moment(difference.start, zone)} to {moment(difference.end, zone)}: "
        f"{vendor} says {who(difference.source)}, Firebell says {who(difference.firebell)}"
    )


def summary(schedules: int, checked: int, differences: int) -> str:
    tail = f"{differences} difference(s)" if differences else "no differences"
    return f"{schedules} schedule(s) compared, {checked} handoff(s) checked, {tail}"
