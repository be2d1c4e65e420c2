"""Working hours, pure: weekly windows in a time zone, when the next working stretch starts, and
deadlines that count working time only.

A page that waits for working hours goes out at `next_start`; a business-hours target (SEV-3's
"acknowledge within 1 h", counted in working time) falls due at `add`. The playbook's default is
Monday to Friday, 09:00 to 17:00, in the person's (or the service's) own zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from firebell.oncall.schedule import BUSINESS_HOURS, Window

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Far enough to find the next window of any week, and to add any target a severity may have.
_HORIZON_DAYS = 3700


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Weekly windows read in `zone` (an IANA name)."""

    windows: tuple[Window, ...] = (BUSINESS_HOURS,)
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("working hours need at least one window")

    def stretches(self, after: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working stretches ending after `after`, soonest first; overlapping windows merged."""
        tz = ZoneInfo(self.zone)
        day = after.astimezone(tz).date() - timedelta(days=1)  # a window opened yesterday may still be open
        pending: tuple[datetime, datetime] | None = None
        for offset in range(_HORIZON_DAYS):
            spans = sorted(s for w in self.windows if (s := w.spans(day + timedelta(days=offset), tz)) is not None)
            for start, end in spans:
                if end <= after:
                    continue
                if pending is not None and start <= pending[1]:
                    pending = (pending[0], max(pending[1], end))
                    continue
                if pending is not None:
                    yield pending
                pending = (start, end)
            # Every later stretch starts after this day ends: the pending one can be given out.
            if pending is not None and pending[1] <= _day_start(day + timedelta(days=offset + 1), tz):
                yield pending
                pending = None
        if pending is not None:
            yield pending

    def contains(self, at: datetime) -> bool:
        first = next(self.stretches(at), None)
        return first is not None and first[0] <= at < first[1]

    def next_start(self, at: datetime) -> datetime:
        """`at` itself inside working hours, else when the next working stretch begins."""
        for start, _end in self.stretches(at):
            return max(start, at)
        raise ValueError("these working hours never open")  # unreachable: a window opens every week

    def add(self, start: datetime, span: timedelta) -> datetime:
        """The instant by which `span` of working time has passed since `start`."""
        left = span
        for begin, end in self.stretches(start):
            begin = max(begin, start)
            if begin + left <= end:
                return begin + left
            left -= end - begin
        raise ValueError("a span too long for working hours")

    def to_doc(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "windows": [
                {
                    "days": sorted(w.days),
                    "start": w.start.isoformat("minutes"),
                    "end": w.end.isoformat("minutes"),
                }
                for w in self.windows
            ],
        }


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def from_doc(doc: Mapping[str, Any] | None, zone: str) -> WorkingHours:
    """Stored working hours ({"zone", "windows"}), or the default ones in `zone` when none are stored."""
    if not doc:
        return WorkingHours(zone=zone)
    return WorkingHours(windows_from_docs(doc.get("windows") or ()), str(doc.get("zone") or zone))


def windows_from_docs(docs: Sequence[Mapping[str, Any]]) -> tuple[Window, ...]:
    return tuple(
        Window(frozenset(int(d) for d in w["days"]), time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
        for w in docs
    ) or (BUSINESS_HOURS,)
