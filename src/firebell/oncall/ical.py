"""iCal (RFC 5545) feeds of on-call shifts, for calendar applications to subscribe to.

Calendar applications are strict in quiet ways, so: times are UTC (`...Z`), every event's UID is
stable for as long as the shift is unchanged (a re-fetch updates events rather than duplicating
them), DTSTAMP is the schedule's last change rather than the fetch time, and the feed says how
often to refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from firebell.oncall.service import FeedShift

REFRESH = timedelta(hours=1)


def render(title: str, shifts: Sequence[FeedShift], changed_at: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Firebell//On-call shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", _duration(REFRESH))
    for shift in shifts:
        start, end = shift.start.astimezone(UTC), shift.end.astimezone(UTC)
        event = Event()
        event.add("uid", f"{shift.schedule_id}-{start:%Y%m%dT%H%M%SZ}-{shift.user_id}@firebell")
        event.add("dtstamp", changed_at.astimezone(UTC))
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", f"On call: {shift.person} ({shift.schedule_name})")
        event.add("transp", "TRANSPARENT")  # being on call does not make anyone busy
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body


def _duration(value: timedelta) -> str:
    """An RFC 5545 duration (`PT1H`) for a property icalendar does not know the type of."""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return (
        "PT" + "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
        if seconds or minutes or hours
        else "PT0S"
    )
