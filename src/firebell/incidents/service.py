"""Incident use cases: opening from alerts, auto-acknowledge and auto-resolve, manual moves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from firebell.alerts.model import OpenIncidentRef
from firebell.incidents.ports import IncidentRepo, PagingStarter
from firebell.incidents.state import IncidentStatus, transition
from firebell.kernel.errors import NotFound
from firebell.kernel.ids import new_id
from firebell.kernel.severity import Sev

_STAMP = {
    IncidentStatus.ACKNOWLEDGED: "acknowledged_at",
    IncidentStatus.RESOLVED: "resolved_at",
    IncidentStatus.CLOSED: "closed_at",
}


class IncidentIntake:
    """The incident side of alert intake; runs inside the intake transaction."""

    def __init__(
        self, repo: IncidentRepo, make_id: Callable[[], str] = new_id, start_paging: PagingStarter | None = None
    ) -> None:
        self.repo = repo
        self.make_id = make_id
        self.start_paging = start_paging
        self.opened = 0  # incidents this instance opened (the caller wakes the paging engine)

    def find_open_by_group(self, service_id: str, group_key: str) -> OpenIncidentRef | None:
        row = self.repo.latest_open_in_group(service_id, group_key)
        if row is None:
            return None
        return OpenIncidentRef(row["id"], row["group_key"], row["opened_at"], Sev(row["sev"]))

    def open_from_alert(
        self,
        *,
        service_id: str,
        group_key: str,
        sev: Sev,
        title: str,
        runbook_url: str | None,
        at: datetime,
        category: str | None = None,
    ) -> str:
        incident_id = self.make_id()
        self.repo.insert(
            {
                "id": incident_id,
                "number": self.repo.next_number(),
                "title": title[:1024],
                "status": IncidentStatus.DETECTED.value,
                "sev": sev.value,
                "service_id": service_id,
                "group_key": group_key,
                "runbook_url": runbook_url,
                "opened_at": at,
            }
        )
        self.repo.add_event(incident_id, at, "opened", f"Opened at {sev} from an alert: {title[:200]}")
        if self.start_paging is not None:
            self.start_paging(incident_id=incident_id, service_id=service_id, at=at, category=category)
        self.opened += 1
        return incident_id

    def raise_severity(self, incident_id: str, old: Sev, new: Sev, at: datetime) -> None:
        self.repo.update(incident_id, {"sev": new.value})
        self.repo.add_event(incident_id, at, "severity_changed", f"Raised from {old} to {new} by a new alert")

    def alert_acknowledged(self, incident_id: str, at: datetime) -> None:
        row = self.repo.get(incident_id)
        if row is not None and row["status"] == IncidentStatus.DETECTED:
            move(self.repo, incident_id, IncidentStatus.ACKNOWLEDGED, at, actor="alert source")

    def all_alerts_resolved(self, incident_id: str, at: datetime) -> None:
        row = self.repo.get(incident_id)
        if row is not None and IncidentStatus(row["status"]).is_open:
            move(
                self.repo,
                incident_id,
                IncidentStatus.RESOLVED,
                at,
                actor="firebell",
                note="every alert resolved",
            )


def move(
    repo: IncidentRepo,
    incident_id: str,
    target: IncidentStatus,
    at: datetime,
    *,
    actor: str,
    note: str = "",
) -> IncidentStatus:
    """Apply one lifecycle move, stamp its time and put it on the timeline."""
    row = repo.get(incident_id)
    if row is None:
        raise NotFound(f"incident {incident_id} not found")
    current = IncidentStatus(row["status"])
    transition(current, target)
    values: dict[str, object] = {"status": target.value}
    stamp = _STAMP.get(target)
    if stamp and row[stamp] is None:
        values[stamp] = at
    if current is IncidentStatus.RESOLVED and target is IncidentStatus.INVESTIGATING:
        values["resolved_at"] = None
    repo.update(incident_id, values)
    message = f"{current} → {target}" + (f" ({note})" if note else "")
    repo.add_event(incident_id, at, "status_changed", message, actor=actor)
    return target
