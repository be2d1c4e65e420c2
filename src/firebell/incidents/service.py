"""Incident use cases: opening from alerts, auto-acknowledge and auto-resolve, manual moves."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from enum import StrEnum

from firebell.alerts.model import OpenIncidentRef
from firebell.incidents.checklists import Happening, auto_ticks
from firebell.incidents.ports import DrillCheck, IncidentRepo, JoinWatcher, PagingStarter
from firebell.incidents.recurrence import RECURRENCE_WINDOW, recurrence_key
from firebell.incidents.spans import spans
from firebell.incidents.state import IncidentStatus, transition
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.kernel.severity import Sev

_STAMP = {
    IncidentStatus.ACKNOWLEDGED: "acknowledged_at",
    IncidentStatus.INVESTIGATING: "investigating_at",
    IncidentStatus.IDENTIFIED: "identified_at",
    IncidentStatus.RESOLVING: "resolving_at",
    IncidentStatus.RESOLVED: "resolved_at",
    IncidentStatus.CLOSED: "closed_at",
}


class DetectionSource(StrEnum):
    ALERT = "alert"
    USER_REPORT = "user_report"
    SUPPORT_TICKET = "support_ticket"
    MONITORING = "monitoring"
    OTHER = "other"


def titled(sev: Sev, title: str) -> str:
    """The playbook's title form, `[SEV-X] brief description`, whatever tag the title came with."""
    text = " ".join(title.split())
    if text.startswith("[") and "]" in text:
        tag, rest = text[1:].split("]", 1)
        try:
            Sev.parse(tag)
            text = rest.strip()
        except ValueError:
            pass
    if not text:
        raise ValidationFailed.field("title", "say briefly what is wrong")
    return f"[{sev}] {text}"[:1024]


def declare(
    repo: IncidentRepo,
    *,
    title: str,
    sev: Sev,
    service_id: str | None,
    affected_service_ids: list[str],
    impact: str,
    source: DetectionSource,
    actor: str,
    at: datetime,
    make_id: Callable[[], str] = new_id,
) -> tuple[str, int]:
    """Open an incident by hand (a user report, a support ticket); returns its id and number."""
    incident_id = make_id()
    number = repo.next_number()
    key = recurrence_key(title)
    affected = list(dict.fromkeys(([service_id] if service_id else []) + affected_service_ids))
    repo.insert(
        {
            "id": incident_id,
            "number": number,
            "title": titled(sev, title),
            "status": IncidentStatus.DETECTED.value,
            "sev": sev.value,
            "service_id": service_id,
            "group_key": f"declared:{incident_id}",
            "recurrence_key": key,
            "recurs": repo.opened_since(service_id, key, at - RECURRENCE_WINDOW),
            "runbook_url": None,
            "opened_at": at,
            "declared_by": actor[:200],
            "detection_source": source.value,
            "impact": impact,
            "affected_service_ids": affected,
        }
    )
    what = f"Declared at {sev} from a {source.value.replace('_', ' ')}" + (f": {impact[:300]}" if impact else "")
    repo.add_event(incident_id, at, "declared", what, actor=actor)
    return incident_id, number


class IncidentIntake:
    """The incident side of alert intake; runs inside the intake transaction."""

    def __init__(
        self,
        repo: IncidentRepo,
        make_id: Callable[[], str] = new_id,
        start_paging: PagingStarter | None = None,
        drills: DrillCheck | None = None,
        on_join: JoinWatcher | None = None,
    ) -> None:
        self.repo = repo
        self.make_id = make_id
        self.start_paging = start_paging
        self.drills = drills
        self.on_join = on_join
        self.opened = 0  # incidents this instance opened (the caller wakes the paging engine)
        self.pending: list[dict[str, object]] = []  # timeline entries written together by `flush`

    def find_open_by_groups(self, service_id: str, group_keys: Collection[str]) -> dict[str, OpenIncidentRef]:
        rows = self.repo.open_in_groups(service_id, group_keys)  # oldest first: the latest one stays
        return {r["group_key"]: OpenIncidentRef(r["id"], r["group_key"], r["opened_at"], Sev(r["sev"])) for r in rows}

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
        drill: str | None = None,
        alert_name: str = "",
    ) -> str:
        incident_id = self.make_id()
        if drill is not None and (self.drills is None or not self.drills(drill, service_id)):
            drill = None  # a label naming no running drill of this service is an ordinary alert
        key = recurrence_key(alert_name or title)
        recurs = drill is None and self.repo.opened_since(service_id, key, at - RECURRENCE_WINDOW)
        self.repo.insert(
            {
                "id": incident_id,
                "number": self.repo.next_number(),
                "title": title[:1024],
                "status": IncidentStatus.DETECTED.value,
                "sev": sev.value,
                "service_id": service_id,
                "group_key": group_key,
                "recurrence_key": key,
                "recurs": recurs,
                "runbook_url": runbook_url,
                "opened_at": at,
                "drill_id": drill,
            }
        )
        practice = " (a drill: practice, not a real incident)" if drill else ""
        self.repo.add_event(incident_id, at, "opened", f"Opened at {sev} from an alert{practice}: {title[:200]}")
        if self.start_paging is not None:
            self.start_paging(
                incident_id=incident_id, service_id=service_id, at=at, category=category, drill=drill, sev=sev
            )
        self.opened += 1
        return incident_id

    def raise_severity(self, incident_id: str, old: Sev, new: Sev, at: datetime) -> None:
        self.repo.update(incident_id, {"sev": new.value})
        self.repo.add_event(incident_id, at, "severity_changed", f"Raised from {old} to {new} by a new alert")

    def alert_joined(
        self,
        incident_id: str,
        *,
        alert_id: str,
        summary: str,
        severity: Sev,
        raised_from: Sev | None,
        at: datetime,
        reason: str = "",
    ) -> None:
        """Put a joining alert on the incident's timeline (written by `flush`) and tell `on_join`."""
        why = f" ({reason})" if reason else ""
        self.pending.append(
            {
                "id": new_id(),
                "incident_id": incident_id,
                "at": at,
                "kind": "alert_joined",
                "actor": "firebell",
                "message": f"Alert joined: {summary[:200]}{why}",
                "data": {"alert_id": alert_id, "severity": severity.value},
            }
        )
        if self.on_join is not None:
            self.on_join(
                incident_id, alert_id=alert_id, summary=summary, severity=severity, raised_from=raised_from, at=at
            )

    def flush(self) -> None:
        """Write the timeline entries the batch's joining alerts left, in one statement."""
        if self.pending:
            self.repo.add_events(self.pending)
            self.pending = []

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
    values.update(spans({**row, **values}))
    repo.update(incident_id, values)
    message = f"{current} → {target}" + (f" ({note})" if note else "")
    repo.add_event(incident_id, at, "status_changed", message, actor=actor)
    happening = _HAPPENS.get(target)
    if happening is not None:
        for list_key, item_key in auto_ticks(happening):
            repo.set_item(incident_id, list_key, item_key, at, actor)
    return target


_HAPPENS = {
    IncidentStatus.ACKNOWLEDGED: Happening.ACKNOWLEDGED,
    IncidentStatus.RESOLVED: Happening.RESOLVED,
    IncidentStatus.CLOSED: Happening.CLOSED,
}
