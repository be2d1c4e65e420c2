"""Drills and game days: practice that proves the response works before a real incident does.

Pure. A *paging drill* fires a clearly marked synthetic alert through the real pipeline (intake,
incident, escalation, notification) and times each step; only the people it names are notified.
A *game day* records a chaos experiment: its target, the steady-state hypothesis and how it held.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.kernel.choices import parse_choice
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.ids import parse_number

DRILL_LABEL = "firebell_drill"  # on the synthetic alert: the drill's id
DRILL_ALERTNAME = "FirebellDrill"
MAX_STATEMENTS = 20
MAX_TEXT = 500

# The chaos experiment's steady state, as the seeds state it.
DEFAULT_HYPOTHESIS: tuple[str, ...] = (
    "p99 latency stays below 500 ms",
    "error rate stays below 1 %",
    "no data loss or corruption",
)


class Kind(StrEnum):
    PAGING = "paging"
    GAME_DAY = "game_day"


class Status(StrEnum):
    RUNNING = "running"  # a paging drill whose alert is out
    PLANNED = "planned"  # a game day not yet run
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Result(StrEnum):
    PASSED = "passed"
    FAILED = "failed"

    @classmethod
    def parse(cls, text: str) -> Result:
        return parse_choice(cls, text, field="result", aliases={"pass": "passed", "ok": "passed", "fail": "failed"})


def reference(number: int) -> str:
    return f"DR-{number}"


def parse_reference(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("DR-").removeprefix("DR")
    number = parse_number(cleaned)
    if number is None:
        raise ValidationFailed.field("drill", f"{text!r} is not a drill; use DR-<number> or the number")
    return number


@dataclass(frozen=True, slots=True)
class Statement:
    """One part of the steady-state hypothesis, and whether it held (None until recorded)."""

    text: str
    held: bool | None = None
    note: str = ""


def hypothesis(texts: Sequence[str]) -> tuple[Statement, ...]:
    cleaned = [" ".join(t.split()) for t in texts if t.strip()]
    if len(cleaned) > MAX_STATEMENTS:
        raise ValidationFailed.field("hypothesis", f"at most {MAX_STATEMENTS} statements")
    for i, text in enumerate(cleaned):
        if len(text) > MAX_TEXT:
            raise ValidationFailed.field(f"hypothesis.{i}", f"at most {MAX_TEXT} characters")
    return tuple(Statement(t) for t in dict.fromkeys(cleaned))


def record_outcome(
    statements: Sequence[Statement], held: Mapping[int, bool], notes: Mapping[int, str] | None = None
) -> tuple[Statement, ...]:
    """The statements with `held[i]` recorded; an index that is not a statement is refused."""
    for index in held:
        if not 0 <= index < len(statements):
            raise ValidationFailed.field(f"held.{index}", f"the hypothesis has {len(statements)} statement(s)")
    notes = notes or {}
    return tuple(
        Statement(s.text, held.get(i, s.held), notes.get(i, s.note)[:MAX_TEXT]) for i, s in enumerate(statements)
    )


def verdict(statements: Sequence[Statement]) -> Result | None:
    """Failed if any statement did not hold; passed when all held; None while any is unrecorded."""
    if any(s.held is False for s in statements):
        return Result.FAILED
    if statements and all(s.held for s in statements):
        return Result.PASSED
    return None


_SLUG = re.compile(r"[^A-Za-z0-9 _.-]+")


def alert_summary(service: str, target: str) -> str:
    text = _SLUG.sub("", target).strip()
    return f"[DRILL] {service}: {text or 'paging drill'} (practice, not a real incident)"[:1024]


class Step(StrEnum):
    """The pipeline's steps, in the order a page travels them."""

    FIRED = "fired"
    ACCEPTED = "accepted"  # intake stored the alert
    INCIDENT = "incident_opened"
    ESCALATION = "escalation_started"
    PAGED = "paged"
    NOTIFIED = "notification_sent"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return {
            "fired": "Alert fired",
            "accepted": "Intake accepted and stored it",
            "incident_opened": "Incident opened",
            "escalation_started": "Escalation started",
            "paged": "First person paged",
            "notification_sent": "First notification delivered",
            "acknowledged": "Acknowledged",
            "resolved": "Resolved",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Timing:
    step: Step
    at: datetime | None
    since_fired: timedelta | None


def timings(stamps: Mapping[Step, datetime | None]) -> list[Timing]:
    """Each step's time and its delay since the alert fired; a step not reached has neither."""
    fired = stamps.get(Step.FIRED)
    out = []
    for step in Step:
        at = stamps.get(step)
        out.append(Timing(step, at, at - fired if at is not None and fired is not None else None))
    return out


def missing_steps(found: Sequence[Timing], *, need_ack: bool = False) -> list[Step]:
    """The pipeline steps a paging drill did not reach (acknowledgement only when asked for)."""
    wanted = [Step.ACCEPTED, Step.INCIDENT, Step.ESCALATION, Step.PAGED, Step.NOTIFIED]
    if need_ack:
        wanted.append(Step.ACKNOWLEDGED)
    reached = {t.step for t in found if t.at is not None}
    return [s for s in wanted if s not in reached]


def millis(delta: timedelta | None) -> int | None:
    return None if delta is None else round(delta.total_seconds() * 1000)
