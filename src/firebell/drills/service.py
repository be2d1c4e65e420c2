"""Drill use cases: plan a game day, fire a paging drill, record how it went, end it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

from firebell.alerts.model import DRILL_LABEL, AlertEvent, AlertSeverity, EventAction
from firebell.drills.model import (
    DRILL_ALERTNAME,
    MAX_TEXT,
    Kind,
    Result,
    Statement,
    Status,
    alert_summary,
    hypothesis,
    record_outcome,
    reference,
    verdict,
)
from firebell.kernel.errors import Conflict, ValidationFailed
from firebell.kernel.ids import new_id


class DrillRepo(Protocol):
    def next_number(self) -> int: ...

    def insert(self, values: dict[str, Any]) -> None: ...

    def update(self, drill_id: str, values: dict[str, Any]) -> None: ...

    def get(self, number: int) -> dict[str, Any] | None: ...


def _target(text: str) -> str:
    cleaned = " ".join(text.split())
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailed.field("target", f"at most {MAX_TEXT} characters")
    return cleaned


def plan(
    repo: DrillRepo,
    *,
    kind: Kind,
    service_id: str,
    target: str,
    participants: Sequence[str],
    statements: Sequence[str],
    actor: str,
    at: datetime,
) -> dict[str, Any]:
    """Write a drill: a paging drill starts running (its alert is fired next); a game day is planned."""
    if kind is Kind.PAGING and not participants:
        raise ValidationFailed.field("page", "name at least one person: a paging drill notifies only them")
    number = repo.next_number()
    drill_id = new_id()
    repo.insert(
        {
            "id": drill_id,
            "number": number,
            "kind": kind.value,
            "service_id": service_id,
            "target": _target(target) or ("paging drill" if kind is Kind.PAGING else "game day"),
            "participants": list(dict.fromkeys(participants)),
            "hypothesis": [asdict(s) for s in hypothesis(statements)],
            "status": (Status.RUNNING if kind is Kind.PAGING else Status.PLANNED).value,
            "result": None,
            "outcome": "",
            "incident_id": None,
            "dedup_key": f"firebell-drill-{number}" if kind is Kind.PAGING else "",
            "fired_at": at if kind is Kind.PAGING else None,
            "created_at": at,
            "created_by": actor[:200],
            "ended_at": None,
        }
    )
    found = repo.get(number)
    assert found is not None  # noqa: S101 - just written
    return found


def alert_for(drill: Mapping[str, Any]) -> AlertEvent:
    """The drill's synthetic alert: clearly marked, in a group of its own so it joins no real incident."""
    return AlertEvent(
        action=EventAction.TRIGGER,
        dedup_key=str(drill["dedup_key"]),
        summary=alert_summary(str(drill["service"]), str(drill["target"])),
        severity=AlertSeverity.CRITICAL,
        origin="firebell drill",
        group_key=f"drill:{drill['id']}",
        labels={"alertname": DRILL_ALERTNAME, DRILL_LABEL: str(drill["id"]), "drill": reference(int(drill["number"]))},
        details={"drill": reference(int(drill["number"])), "note": "practice: acknowledge it as you would a real page"},
    )


def statements_of(drill: Mapping[str, Any]) -> tuple[Statement, ...]:
    return tuple(Statement(**s) for s in drill["hypothesis"] or [])


def record(
    repo: DrillRepo,
    *,
    drill: Mapping[str, Any],
    held: Mapping[int, bool],
    notes: Mapping[int, str],
    outcome: str,
    result: Result | None,
    at: datetime,
) -> dict[str, Any]:
    """Record how the hypothesis held and what was learnt; the drill is completed. Without a result
    given, the hypothesis decides (failed if any statement did not hold)."""
    if drill["status"] == Status.CANCELLED:
        raise Conflict(f"{reference(int(drill['number']))} was cancelled", details=[{"field": "drill"}])
    statements = record_outcome(statements_of(drill), held, notes)
    decided = result or verdict(statements)
    repo.update(
        str(drill["id"]),
        {
            "hypothesis": [asdict(s) for s in statements],
            "outcome": outcome.strip()[:20_000] or drill["outcome"],
            "result": decided.value if decided else None,
            "status": Status.COMPLETED.value,
            "ended_at": drill["ended_at"] or at,
        },
    )
    found = repo.get(int(drill["number"]))
    assert found is not None  # noqa: S101 - just written
    return found
