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


def acknowledgement(sev: Sev, opened_at: datetime, acknowledged_at: datetime | None, now: datetime) -> TargetCheck:
    """The acknowledge target: met when acknowledged in time, breached once late (even if acknowledged since)."""
    target = TARGETS[sev].acknowledge
    deadline = opened_at + target
    if acknowledged_at is not None:
        if acknowledged_at <= deadline:
            return TargetCheck("acknowledge", target, Standing.MET, timedelta(0))
        return TargetCheck("acknowledge", target, Standing.BREACHED, acknowledged_at - deadline)
    if now <= deadline:
        return TargetCheck("acknowledge", target, Standing.PENDING, deadline - now)
    return TargetCheck("acknowledge", target, Standing.BREACHED, now - deadline)


def format_span(span: timedelta) -> str:
    """`4m 10s`, `2h 5m`, `3d 4h`: two units at most, for people at a glance."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or "0s"
