"""The working hours an incident's business-hours targets count in: its service's, else the default
Monday to Friday, 09:00 to 17:00 UTC.

Pure. A service's stored `working_hours` document ({"zone", "windows"}) is read with the on-call
domain's working-hours core; this adds the length of a working day, which a target of whole days
counts in (see `incidents.targets`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from firebell.oncall.working_hours import DAY_NAMES, WorkingHours, from_doc

# Incidents have no zone of their own: without the service's working hours, UTC office hours.
DEFAULT_ZONE = "UTC"
# A week in which no zone changes its clocks in the usual way (most switch in March and October).
_REFERENCE_MONDAY = datetime(2025, 1, 6, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BusinessTime:
    """Working hours with the length of their working day (build it with `business_time`)."""

    hours: WorkingHours
    day: timedelta

    def add(self, start: datetime, span: timedelta) -> datetime:
        return self.hours.add(start, span)

    def describe(self) -> str:
        """`Mon-Fri 09:00-17:00 UTC`, for people."""
        parts = []
        for w in self.hours.windows:
            days = sorted(w.days)
            if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
                named = f"{DAY_NAMES[days[0]].title()}-{DAY_NAMES[days[-1]].title()}"
            else:
                named = ", ".join(DAY_NAMES[d].title() for d in days)
            parts.append(f"{named} {w.start:%H:%M}-{w.end:%H:%M}")
        return f"{'; '.join(parts)} {self.hours.zone}"


def business_time(hours: WorkingHours) -> BusinessTime:
    """`hours` with their working day: a week's working time spread over the days a window opens on."""
    start = _REFERENCE_MONDAY.replace(tzinfo=ZoneInfo(hours.zone))
    end = start + timedelta(days=7)
    week = timedelta(0)
    for begin, finish in hours.stretches(start):
        if begin >= end:
            break
        week += min(finish, end) - max(begin, start)
    days = len({d for w in hours.windows for d in w.days})
    return BusinessTime(hours, week / days)


DEFAULT = business_time(WorkingHours())


def of_service(doc: Mapping[str, Any] | None) -> BusinessTime:
    """A service's stored working hours, else the default."""
    if not doc:
        return DEFAULT
    try:
        return business_time(from_doc(doc, DEFAULT_ZONE))
    except (KeyError, TypeError, ValueError):
        # Checked when written; should an odd document slip through, the default keeps the watch running.
        return DEFAULT
