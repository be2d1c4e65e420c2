"""A person's notification rules and the timing of delivery attempts.

Pure: "email at once, Slack after 1 minute, webhook after 5" becomes the list of (contact method,
instant) a page produces; failed deliveries are retried with exponential backoff and jitter (the
random draw is passed in); a page outside the person's business hours is flagged after-hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.oncall.schedule import BUSINESS_HOURS, Window, inside


class ContactKind(StrEnum):
    EMAIL = "email"
    SLACK = "slack"
    WEBHOOK = "webhook"
    SMS = "sms"
    APPRISE = "apprise"  # any URL the notification library understands (Teams, Discord, ntfy, ...)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{5,30}$")


def address_problem(kind: ContactKind, address: str) -> str | None:
    """Why `address` cannot be delivered to through `kind`, or None when it looks deliverable.

    Caught when the method is saved, not at 3 a.m. when the first page cannot go out.
    """
    address = address.strip()
    if kind is ContactKind.EMAIL and not _EMAIL.match(address):
        return f"{address!r} is not an email address"
    if kind in (ContactKind.SLACK, ContactKind.WEBHOOK) and not address.startswith(("https://", "http://")):
        return f"a {kind.value} address is the http(s) URL to post to, not {address!r}"
    if kind is ContactKind.APPRISE and "://" not in address:
        return f"{address!r} is not an apprise URL (such as ntfy://ntfy.sh/topic)"
    if kind is ContactKind.SMS and not _PHONE.match(address):
        return f"{address!r} is not a phone number (such as +15551234567)"
    return None


@dataclass(frozen=True, slots=True)
class ContactMethod:
    kind: ContactKind
    address: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class NotificationRule:
    """Notify through `method` once the page is `delay` old (unless acknowledged by then)."""

    method: ContactMethod
    delay: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.delay < timedelta(0):
            raise ValueError("a notification delay is zero or more")


def planned(rules: tuple[NotificationRule, ...], paged_at: datetime) -> list[tuple[ContactMethod, datetime]]:
    """Each rule's first attempt, soonest first (stable for equal delays)."""
    ordered = sorted(rules, key=lambda rule: rule.delay)
    return [(rule.method, paged_at + rule.delay) for rule in ordered]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=5)
    jitter: float = 0.2  # each wait is spread over ±20 % so failing channels do not retry in step

    def wait_before(self, attempt: int, draw: float) -> timedelta | None:
        """The wait before attempt number `attempt` (2 for the first retry), or None when attempts
        are used up. `draw` is a random number in [0, 1)."""
        if attempt < 2:
            raise ValueError("attempt 1 is the first try; retries count from 2")
        if attempt > self.attempts:
            return None
        nominal = min(self.cap, self.base * (1 << (attempt - 2)))
        return nominal * (1 - self.jitter + 2 * self.jitter * draw)


def after_hours(at: datetime, zone: str, hours: tuple[Window, ...] = (BUSINESS_HOURS,)) -> bool:
    """Whether `at` falls outside the person's working hours in their own zone."""
    return not inside(hours, at, zone)
