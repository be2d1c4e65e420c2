"""In-memory fakes of the ports the alert service uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from firebell.alerts.config import ServiceConfig, service_config
from firebell.alerts.model import AlertEvent, AlertStatus, OpenAlertRef, OpenIncidentRef
from firebell.kernel.severity import Sev


@dataclass
class FakeAlert:
    id: str
    dedup_key: str
    status: str
    incident_id: str | None
    count: int
    disposition: str


@dataclass
class FakeIncident:
    id: str
    group_key: str
    opened_at: datetime
    sev: Sev
    status: str = "detected"


@dataclass
class FakeStore:
    raw: list[str] = field(default_factory=list)
    alerts: dict[str, FakeAlert] = field(default_factory=dict)
    incidents: dict[str, FakeIncident] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def make_id(self) -> str:
        return f"id{next(self.ids)}"


class FakeAlertRepo:
    def __init__(self, store: FakeStore) -> None:
        self.s = store

    def add_raw(self, *, raw_id: str, integration_id: str, source: str, body: str, at: datetime) -> None:
        self.s.raw.append(raw_id)

    def find_open(self, service_id: str, dedup_key: str) -> OpenAlertRef | None:
        for a in self.s.alerts.values():
            if a.dedup_key == dedup_key and a.status != AlertStatus.RESOLVED:
                return OpenAlertRef(a.id, AlertStatus(a.status), a.incident_id)
        return None

    def bump(self, alert_id: str, event: AlertEvent, raw_id: str, at: datetime) -> None:
        self.s.alerts[alert_id].count += 1

    def set_status(self, alert_id: str, status: str, at: datetime) -> None:
        self.s.alerts[alert_id].status = status

    def add(self, *, alert_id: str, event: AlertEvent, disposition: str, incident_id: str | None, **_: object) -> None:
        self.s.alerts[alert_id] = FakeAlert(alert_id, event.dedup_key, "triggered", incident_id, 1, disposition)

    def count_open_in_incident(self, incident_id: str) -> int:
        return sum(1 for a in self.s.alerts.values() if a.incident_id == incident_id and a.status != "resolved")


class FakeIncidents:
    def __init__(self, store: FakeStore) -> None:
        self.s = store

    def find_open_by_group(self, service_id: str, group_key: str) -> OpenIncidentRef | None:
        found = [
            i for i in self.s.incidents.values() if i.group_key == group_key and i.status not in ("resolved", "closed")
        ]
        return OpenIncidentRef(found[-1].id, found[-1].group_key, found[-1].opened_at) if found else None

    def open_from_alert(
        self, *, service_id: str, group_key: str, sev: Sev, title: str, runbook_url: str | None, at: datetime
    ) -> str:
        incident_id = self.s.make_id()
        self.s.incidents[incident_id] = FakeIncident(incident_id, group_key, at, sev)
        return incident_id

    def alert_joined(self, incident_id: str, sev: Sev, at: datetime) -> None:
        incident = self.s.incidents[incident_id]
        incident.sev = Sev.worst(incident.sev, sev)

    def alert_acknowledged(self, incident_id: str, at: datetime) -> None:
        if self.s.incidents[incident_id].status == "detected":
            self.s.incidents[incident_id].status = "acknowledged"

    def all_alerts_resolved(self, incident_id: str, at: datetime) -> None:
        self.s.incidents[incident_id].status = "resolved"


class FakeConfigs:
    def __init__(self, config: ServiceConfig) -> None:
        self.config = config

    def get(self, service_id: str, now: datetime) -> ServiceConfig:
        return self.config


def config(**overrides: object) -> ServiceConfig:
    values: dict[str, object] = {
        "service_id": "svc",
        "name": "svc",
        "auto_resolve": True,
        "grouping_window_seconds": 300,
        "group_by_labels": [],
        "severity_map": {},
        "runbook_url": None,
    }
    values.update(overrides)
    return service_config(**values)  # type: ignore[arg-type]
