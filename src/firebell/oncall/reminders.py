"""Shift reminders and handoffs, pure: which notices a schedule's shifts produce, and when.

Each shift gives its person a reminder 48 hours and 24 hours before it starts and one at its
start, each with the playbook's checklist for that moment, and a handoff report when it ends.
Consecutive shifts of one person count as one (a rotation's handoff to the same person, or an
override that extends a shift, is not a new shift).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.oncall.schedule import Shift


class NoticeKind(StrEnum):
    BEFORE_48H = "48h"
    BEFORE_24H = "24h"
    START = "start"
    HANDOFF = "handoff"


# When each notice falls due, relative to the shift's start (the handoff: to its end).
OFFSETS = {
    NoticeKind.BEFORE_48H: timedelta(hours=-48),
    NoticeKind.BEFORE_24H: timedelta(hours=-24),
    NoticeKind.START: timedelta(0),
}

CHECKLISTS: dict[NoticeKind, tuple[str, ...]] = {
    NoticeKind.BEFORE_48H: (
        "Look over the schedule around your shift",
        "Find out who backs you up (the secondary on call)",
        "Keep your calendar free enough to respond",
        "Read up on recent incidents and issues still open",
    ),
    NoticeKind.BEFORE_24H: (
        "Check that your laptop and VPN work",
        "Send yourself a test notification on every channel Firebell pages you on",
        "Have your phone charged",
        "Look over the monitoring dashboards",
        "Check for deployments or maintenance planned during your shift",
    ),
    NoticeKind.START: (
        "Tell the on-call channel your shift has started",
        "Go through open incidents and alerts",
        "Check the deployment calendar for upcoming changes",
        "Skim the latest postmortems",
        "Make sure you can reach every critical system",
    ),
    NoticeKind.HANDOFF: (
        "Tell the on-call channel your shift has ended",
        "Hand over the open incidents below with their status",
        "Note ongoing issues or concerns for the next person",
        "Mention changes planned for the next 24 hours",
        "Note toil to reduce, runbooks to update and alerts to tune",
    ),
}


@dataclass(frozen=True, slots=True)
class ShiftNoticeDue:
    kind: NoticeKind
    user: str
    start: datetime
    end: datetime
    due_at: datetime
    next_user: str | None = None  # who takes over (handoff only)


def merged(shifts: Iterable[Shift]) -> list[Shift]:
    """Shifts with back-to-back stretches of the same person joined into one."""
    result: list[Shift] = []
    for shift in shifts:
        if result and result[-1].user == shift.user and result[-1].end == shift.start:
            last = result[-1]
            result[-1] = Shift(last.start, shift.end, last.user, last.source)
        else:
            result.append(shift)
    return result


def due_between(shifts: Iterable[Shift], start: datetime, end: datetime) -> list[ShiftNoticeDue]:
    """Every notice due in [start, end), soonest first. `shifts` must cover that range widened by 48 h
    on either side, so a shift's true start and end are known."""
    found: list[ShiftNoticeDue] = []
    ordered = merged(shifts)
    for index, shift in enumerate(ordered):
        if shift.user is None:
            continue
        for kind, offset in OFFSETS.items():
            due = shift.start + offset
            if start <= due < end:
                found.append(ShiftNoticeDue(kind, shift.user, shift.start, shift.end, due))
        if start <= shift.end < end:
            following = ordered[index + 1].user if index + 1 < len(ordered) else None
            found.append(ShiftNoticeDue(NoticeKind.HANDOFF, shift.user, shift.start, shift.end, shift.end, following))
    return sorted(found, key=lambda notice: notice.due_at)
