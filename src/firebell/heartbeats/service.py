"""Heartbeat use cases: create a monitor, record a ping, raise the alerts of missed pings.

A missed ping and a ping after one become alert events that go through alert intake like any
other (same dedup, incident and paging), in the same transaction that changes the heartbeat.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from firebell.alerts.service import Submission
from firebell.catalog.model import SERVICE_NAME
from firebell.catalog.service import IntegrationMaker, create_integration
from firebell.heartbeats.model import MAX_INTERVAL, MIN_INTERVAL, HeartbeatState, deadline, missed, recovered
from firebell.kernel.errors import Conflict, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.oncall.escalation import format_duration

Intake = Callable[[list[Submission]], object]  # alert intake, in the caller's transaction


class HeartbeatRepo(Protocol):
    def add(self, values: dict[str, Any]) -> None: ...

    def by_name(self, name: str) -> Mapping[str, Any] | None: ...

    def by_integration(self, integration_id: str) -> Mapping[str, Any] | None: ...

    def update(self, heartbeat_id: str, values: dict[str, Any]) -> None: ...

    def overdue(self, now: datetime, limit: int) -> list[dict[str, Any]]: ...


def create(
    *,
    catalog: IntegrationMaker,
    repo: HeartbeatRepo,
    name: str,
    service: str,
    interval: timedelta,
    grace: timedelta,
    now: datetime,
) -> tuple[str, str]:
    """A new monitor; returns (id, ping key). The first ping is due one interval plus grace from now."""
    if not SERVICE_NAME.match(name):
        raise ValidationFailed.field("name", "use letters, digits, dots, dashes and underscores (at most 100)")
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        limits = f"{format_duration(MIN_INTERVAL)} and {format_duration(MAX_INTERVAL)}"
        raise ValidationFailed.field("interval", f"the time between pings is between {limits}")
    if grace < timedelta(0) or grace > MAX_INTERVAL:
        raise ValidationFailed.field("grace", "a grace period is zero or more, at most 35 days")
    if repo.by_name(name) is not None:
        raise Conflict(f"a heartbeat named {name} exists", details=[{"field": "name"}])
    integration_id, key = create_integration(
        repo=catalog, service=service, kind="heartbeat", now=now, name=f"heartbeat {name}"
    )
    service_row = catalog.service_by_name(service)
    heartbeat_id = new_id()
    repo.add(
        {
            "id": heartbeat_id,
            "name": name,
            "integration_id": integration_id,
            "service_id": service_row["id"] if service_row else None,
            "interval_seconds": int(interval.total_seconds()),
            "grace_seconds": int(grace.total_seconds()),
            "state": HeartbeatState.WAITING.value,
            "last_ping_at": None,
            "next_due_at": deadline(now, interval, grace),
            "created_at": now,
        }
    )
    return heartbeat_id, key


def _timing(row: Mapping[str, Any]) -> tuple[timedelta, timedelta]:
    return timedelta(seconds=row["interval_seconds"]), timedelta(seconds=row["grace_seconds"])


def _submission(row: Mapping[str, Any], event: Any, now: datetime) -> Submission:
    body = json.dumps({"heartbeat": row["name"], "event": event.action.value, "at": now.isoformat()})
    return Submission(str(row["integration_id"]), str(row["service_id"]), "heartbeat", body, (event,))


def ping(*, repo: HeartbeatRepo, intake: Intake, integration_id: str, now: datetime) -> Mapping[str, Any]:
    """Record a ping; if the heartbeat was down, its alert resolves. Returns the updated row."""
    row = repo.by_integration(integration_id)
    if row is None:
        raise ValidationFailed.field("key", "this key is not a heartbeat's")
    interval, grace = _timing(row)
    values = {"state": HeartbeatState.UP.value, "last_ping_at": now, "next_due_at": deadline(now, interval, grace)}
    repo.update(str(row["id"]), values)
    if row["state"] == HeartbeatState.DOWN:
        intake([_submission(row, recovered(str(row["name"])), now)])
    return {**row, **values}


def raise_missed(*, repo: HeartbeatRepo, intake: Intake, now: datetime, limit: int = 200) -> int:
    """Alert for every heartbeat whose ping is overdue; each alerts once until it pings again."""
    rows = repo.overdue(now, limit)
    if not rows:
        return 0
    submissions = [
        _submission(row, missed(str(row["name"]), _timing(row)[0], row["last_ping_at"]), now) for row in rows
    ]
    intake(submissions)
    for row in rows:
        repo.update(str(row["id"]), {"state": HeartbeatState.DOWN.value, "next_due_at": None})
    return len(rows)
