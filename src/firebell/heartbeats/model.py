"""Heartbeat rules, pure: when a missing ping becomes an alert, and the alert events it raises."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction
from firebell.oncall.escalation import format_duration

MIN_INTERVAL = timedelta(seconds=10)
MAX_INTERVAL = timedelta(days=35)  # monthly jobs, with room for a long month


class HeartbeatState(StrEnum):
    WAITING = "waiting"  # created, never pinged: the first deadline runs from creation
    UP = "up"
    DOWN = "down"


def deadline(pinged_at: datetime, interval: timedelta, grace: timedelta) -> datetime:
    """When the next ping is overdue: one interval after the last, plus the grace period."""
    return pinged_at + interval + grace


def dedup_key(name: str) -> str:
    return f"heartbeat:{name}"


def missed(name: str, interval: timedelta, last_ping_at: datetime | None) -> AlertEvent:
    since = f"last ping {last_ping_at:%Y-%m-%d %H:%M:%S} UTC" if last_ping_at else "never pinged"
    return AlertEvent(
        action=EventAction.TRIGGER,
        dedup_key=dedup_key(name),
        summary=f"Heartbeat {name} missed: expected a ping every {format_duration(interval)} ({since})",
        severity=AlertSeverity.CRITICAL,
        origin="firebell heartbeat",
        labels={"heartbeat": name},
    )


def recovered(name: str) -> AlertEvent:
    return AlertEvent(
        action=EventAction.RESOLVE,
        dedup_key=dedup_key(name),
        summary=f"Heartbeat {name} is pinging again",
        origin="firebell heartbeat",
        labels={"heartbeat": name},
    )
