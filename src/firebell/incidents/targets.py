"""Response targets per severity, from the playbook, and which of them an incident has missed.

Pure: given an incident's severity, its timestamps and an instant, it says which targets are met,
pending (with how long is left) or breached (and by how much).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.kernel.severity import Sev


class Postmortem(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "not needed"


@dataclass(frozen=True, slots=True)
class Targets:
    acknowledge: timedelta
    assemble: timedelta | None  # the team (its required roles) in place; None: one responder is enough
    update_every: timedelta | None  # status-update cadence while open; None: through regular channels
    postmortem: Postmortem
    postmortem_within: timedelta | None  # after resolution


TARGETS: dict[Sev, Targets] = {
    Sev.SEV1: Targets(
        timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=15), Postmortem.REQUIRED, timedelta(hours=48)
    ),
    Sev.SEV2: Targets(
        timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=30), Postmortem.REQUIRED, timedelta(weeks=1)
    ),
    Sev.SEV3: Targets(timedelta(hours=1), None, timedelta(days=1), Postmortem.OPTIONAL, None),
    Sev.SEV4: Targets(timedelta(hours=24), None, None, Postmortem.NONE, None),
}


class Standing(StrEnum):
    MET = "met"
    PENDING = "pending"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class TargetCheck:
    name: str  # "acknowledge"
    target: timedelta
    standing: Standing
    by: timedelta  # how much time is left (pending), or how late it was or is (breached), or 0 (met)


def check(name: str, target: timedelta, start: datetime, done_at: datetime | None, now: datetime) -> TargetCheck:
    """Met when done within `target` of `start`; breached once late (even if done since); else pending."""
    deadline = start + target
    if done_at is not None:
        if done_at <= deadline:
            return TargetCheck(name, target, Standing.MET, timedelta(0))
        return TargetCheck(name, target, Standing.BREACHED, done_at - deadline)
    if now <= deadline:
        return TargetCheck(name, target, Standing.PENDING, deadline - now)
    return TargetCheck(name, target, Standing.BREACHED, now - deadline)


def acknowledgement(sev: Sev, opened_at: datetime, acknowledged_at: datetime | None, now: datetime) -> TargetCheck:
    """The acknowledge target: met when acknowledged in time, breached once late (even if acknowledged since)."""
    return check("acknowledge", TARGETS[sev].acknowledge, opened_at, acknowledged_at, now)


def assembly(sev: Sev, opened_at: datetime, assembled_at: datetime | None, now: datetime) -> TargetCheck | None:
    """The assemble-the-team target (every required role filled), for the severities that have one."""
    target = TARGETS[sev].assemble
    return check("assemble", target, opened_at, assembled_at, now) if target is not None else None


def next_update_due(sev: Sev, opened_at: datetime, last_update_at: datetime | None) -> datetime | None:
    """When the next status update is due, by the severity's cadence (None: no cadence)."""
    every = TARGETS[sev].update_every
    if every is None:
        return None
    return max(opened_at, last_update_at or opened_at) + every


@dataclass(frozen=True, slots=True)
class Watched:
    """What the breach watch knows of one open incident."""

    incident_id: str
    sev: Sev
    opened_at: datetime
    acknowledged_at: datetime | None
    assembled_at: datetime | None
    last_update_at: datetime | None


@dataclass(frozen=True, slots=True)
class Deadline:
    incident_id: str
    target: str  # acknowledge, assemble, update
    due_at: datetime


def deadlines(incident: Watched) -> list[Deadline]:
    """The acknowledge and assemble deadlines of an open incident not (or not in time) met."""
    found: list[Deadline] = []
    t = TARGETS[incident.sev]
    ack_by = incident.opened_at + t.acknowledge
    if incident.acknowledged_at is None or incident.acknowledged_at > ack_by:
        found.append(Deadline(incident.incident_id, "acknowledge", ack_by))
    if t.assemble is not None:
        assemble_by = incident.opened_at + t.assemble
        if incident.assembled_at is None or incident.assembled_at > assemble_by:
            found.append(Deadline(incident.incident_id, "assemble", assemble_by))
    return found


def missed_update(
    sev: Sev, opened_at: datetime, last_update_at: datetime | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """(the latest update deadline missed by `now`, the next one after `now`). While no update goes
    out, a deadline falls every cadence period, so the reminder repeats at the cadence."""
    due = next_update_due(sev, opened_at, last_update_at)
    every = TARGETS[sev].update_every
    if due is None or every is None:
        return None, None
    if now < due:
        return None, due
    latest = due + every * ((now - due) // every)
    return latest, latest + every


def format_span(span: timedelta) -> str:
    """`4m 10s`, `2h 5m`, `3d 4h`: two units at most, for people at a glance."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or "0s"
