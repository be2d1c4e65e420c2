"""The incident side of an alert joining an open incident: a timeline entry, and the `on_join` hook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from firebell.incidents.service import IncidentIntake
from firebell.kernel.severity import Sev

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class TimelineOnly:
    """The one part of the incident repository these calls use."""

    def __init__(self) -> None:
        self.written: list[list[Mapping[str, Any]]] = []

    def add_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.written.append(list(rows))


class Watcher:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, object]]] = []

    def __call__(
        self, incident_id: str, *, alert_id: str, summary: str, severity: Sev, raised_from: Sev | None, at: datetime
    ) -> None:
        self.calls.append(
            (
                incident_id,
                {"alert_id": alert_id, "summary": summary, "severity": severity, "raised_from": raised_from, "at": at},
            )
        )


def intake(repo: TimelineOnly, watcher: Watcher | None = None) -> IncidentIntake:
    return IncidentIntake(repo, on_join=watcher)  # type: ignore[arg-type]  # a partial repository


def test_a_joining_alert_goes_on_the_timeline_and_reaches_the_hook() -> None:
    repo, watcher = TimelineOnly(), Watcher()
    incidents = intake(repo, watcher)
    incidents.alert_joined(
        "i1",
        alert_id="a2",
        summary="Heartbeat missed",
        severity=Sev.SEV1,
        raised_from=Sev.SEV3,
        at=AT,
        reason="any alert of checkout within 5m",
    )
    incidents.alert_joined("i1", alert_id="a3", summary="Disk", severity=Sev.SEV3, raised_from=None, at=AT)
    assert watcher.calls == [
        (
            "i1",
            {"alert_id": "a2", "summary": "Heartbeat missed", "severity": Sev.SEV1, "raised_from": Sev.SEV3, "at": AT},
        ),
        ("i1", {"alert_id": "a3", "summary": "Disk", "severity": Sev.SEV3, "raised_from": None, "at": AT}),
    ]
    assert repo.written == []  # written with the batch, in one statement
    incidents.flush()
    incidents.flush()
    (written,) = repo.written
    assert [(e["incident_id"], e["kind"], e["message"], e["at"]) for e in written] == [
        ("i1", "alert_joined", "Alert joined: Heartbeat missed (any alert of checkout within 5m)", AT),
        ("i1", "alert_joined", "Alert joined: Disk", AT),
    ]
    assert written[0]["data"] == {"alert_id": "a2", "severity": "SEV-1"}


def test_without_a_hook_the_timeline_is_still_written() -> None:
    repo = TimelineOnly()
    incidents = intake(repo)
    incidents.alert_joined("i1", alert_id="a2", summary="x", severity=Sev.SEV2, raised_from=None, at=AT)
    incidents.flush()
    assert len(repo.written[0]) == 1
