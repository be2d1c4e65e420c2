"""Action items: what an incident or its postmortem says must change, tracked to done.

Pure: the vocabulary (priority, kind, status), the template's horizons, which items are overdue,
and the completion-on-time rate the metrics report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from firebell.kernel.choices import parse_choice
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.ids import parse_number


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    @classmethod
    def parse(cls, text: str) -> Priority:
        return parse_choice(cls, text, field="priority", aliases={"1": "p1", "2": "p2", "3": "p3"})


class Kind(StrEnum):
    """The three kinds of corrective action: fix it now, stop it happening again, see it sooner."""

    IMMEDIATE = "immediate"
    PREVENTATIVE = "preventative"
    DETECTION = "detection"

    @property
    def label(self) -> str:
        return {"immediate": "Immediate fix", "preventative": "Preventative", "detection": "Detection"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Kind:
        return parse_choice(cls, text, field="kind", aliases=_KIND_ALIASES)


_KIND_ALIASES = {
    "immediate_fix": "immediate",
    "fix": "immediate",
    "preventive": "preventative",
    "prevention": "preventative",
    "detect": "detection",
}


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"

    @property
    def closed(self) -> bool:
        return self in {ItemStatus.DONE, ItemStatus.WONT_DO}

    @property
    def label(self) -> str:
        return {"open": "Open", "in_progress": "In progress", "done": "Done", "wont_do": "Won't do"}[self.value]

    @classmethod
    def parse(cls, text: str) -> ItemStatus:
        return parse_choice(cls, text, field="status", aliases=_STATUS_ALIASES)


_STATUS_ALIASES = {
    "todo": "open",
    "doing": "in_progress",
    "started": "in_progress",
    "closed": "done",
    "complete": "done",
    "completed": "done",
    "won't_do": "wont_do",
    "cancelled": "wont_do",
}


class Horizon(StrEnum):
    """The postmortem template groups action items by when they are due."""

    IMMEDIATE = "Immediate (This Week)"
    SHORT_TERM = "Short-term (This Sprint)"
    LONG_TERM = "Long-term (This Quarter)"


def horizon(due: date | None, written: date) -> Horizon:
    """Within a week of the postmortem: immediate; within a month (a sprint or two): short-term."""
    if due is None:
        return Horizon.LONG_TERM
    days = (due - written).days
    if days <= 7:
        return Horizon.IMMEDIATE
    if days <= 31:
        return Horizon.SHORT_TERM
    return Horizon.LONG_TERM


def reference(number: int) -> str:
    return f"AI-{number}"


def parse_reference(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("AI-").removeprefix("AI").lstrip("#")
    number = parse_number(cleaned)
    if number is None:
        raise ValidationFailed.field("item", f"{text!r} is not an action item; use AI-<number> or the number")
    return number


def is_overdue(status: ItemStatus, due: date | None, today: date) -> bool:
    return not status.closed and due is not None and today > due


@dataclass(frozen=True, slots=True)
class Completion:
    total: int  # items due by now, or done: the ones that count
    on_time: int
    late: int  # done after their due date
    overdue: int  # still open past their due date

    @property
    def rate(self) -> float | None:
        """Completed on time over all that count (target above 90 %); None when nothing counts yet."""
        return self.on_time / self.total if self.total else None


def completion(items: Iterable[tuple[ItemStatus, date | None, datetime | None]], today: date) -> Completion:
    """Completion on time over `(status, due date, completed at)`. An item counts once it is done or
    its due date has passed; items dropped as won't-do and items without a due date do not count."""
    total = on_time = late = overdue = 0
    for status, due, completed_at in items:
        if status is ItemStatus.WONT_DO or due is None:
            continue
        if status is ItemStatus.DONE and completed_at is not None:
            total += 1
            if completed_at.date() <= due:
                on_time += 1
            else:
                late += 1
        elif today > due:
            total += 1
            overdue += 1
    return Completion(total, on_time, late, overdue)


MAX_TITLE = 500
