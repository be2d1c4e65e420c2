"""In-memory fakes of the ports the alert service uses."""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from firebell.alerts.config import ServiceConfig, service_config
from firebell.alerts.model import AlertStatus, OpenAlertRef, OpenIncidentRef
from firebell.alerts.ports import CurrentKey
from firebell.kernel.severity import Sev


@dataclass
class FakeAlert:
    id: str
    dedup_key: str
    status: str
    incident_id: str | None
    count: int
    disposition: str
    join_reason: str | None = None


@dataclass
class FakeIncident:
    id: str
    group_key: str
    opened_at: datetime
    sev: Sev
    status: str = "detected"
    category: str | None = None  # the alert label that picks a policy by category
    drill: str | None = None  # the drill label: a drill's synthetic alert


@dataclass(frozen=True)
class Joined:
    """One call of `alert_joined`."""

    incident_id: str
    alert_id: str
    summary: str
    severity: Sev
    raised_from: Sev | None
    at: datetime
    reason: str


@dataclass
class FakeStore:
    raw: list[str] = field(default_factory=list)
    alerts: dict[str, FakeAlert] = field(default_factory=dict)
    incidents: dict[str, FakeIncident] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)
    keys: dict[str, str] = field(default_factory=dict)  # integration id -> current key digest
    forward_to: dict[str, str] = field(default_factory=dict)  # integration id -> its old tool's URL
    forwards: list[dict[str, object]] = field(default_factory=list)  # forwards queued
    joined: list[Joined] = field(default_factory=list)
    lookups: list[list[str]] = field(default_factory=list)  # the group keys of each incident lookup
    flushes: int = 0

    def make_id(self) -> str:
        return f"id{next(self.ids)}"


class FakeAlertRepo:
    def __init__(self, store: FakeStore) -> None:
        self.s = store

    def add_raw_many(self, rows: list[dict[str, object]]) -> None:
        self.s.raw.extend(str(r["id"]) for r in rows)

    def current_keys(self, integration_ids: Collection[str]) -> dict[str, CurrentKey]:
        return {i: CurrentKey(self.s.keys[i], self.s.forward_to.get(i)) for i in integration_ids if i in self.s.keys}

    def add_forwards(self, rows: list[dict[str, object]]) -> None:
        self.s.forwards.extend(rows)

    def find_open_many(self, service_id: str, dedup_keys: Collection[str]) -> list[OpenAlertRef]:
        return [
            OpenAlertRef(a.id, AlertStatus(a.status), a.incident_id, a.dedup_key)
            for a in self.s.alerts.values()
            if a.dedup_key in dedup_keys and a.status != AlertStatus.RESOLVED
        ]

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            self.s.alerts[r["id"]] = FakeAlert(
                r["id"], r["dedup_key"], r["status"], r["incident_id"], r["count"], r["disposition"], r["join_reason"]
            )

    def update_many(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            alert = self.s.alerts[r["b_id"]]
            alert.count += r["count_delta"]
            alert.status = r["b_status"]

    def count_open_in_incident(self, incident_id: str) -> int:
        return sum(1 for a in self.s.alerts.values() if a.incident_id == incident_id and a.status != "resolved")


class FakeIncidents:
    def __init__(self, store: FakeStore) -> None:
        self.s = store

    def find_open_by_groups(self, service_id: str, group_keys: Collection[str]) -> dict[str, OpenIncidentRef]:
        self.s.lookups.append(sorted(group_keys))
        return {
            i.group_key: OpenIncidentRef(i.id, i.group_key, i.opened_at, i.sev)
            for i in self.s.incidents.values()  # in the order opened: the latest of a group stays
            if i.group_key in group_keys and i.status not in ("resolved", "closed")
        }

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
        incident_id = self.s.make_id()
        self.s.incidents[incident_id] = FakeIncident(incident_id, group_key, at, sev, category=category, drill=drill)
        return incident_id

    def raise_severity(self, incident_id: str, old: Sev, new: Sev, at: datetime) -> None:
        assert new.rank < old.rank
        self.s.incidents[incident_id].sev = new

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
        self.s.joined.append(Joined(incident_id, alert_id, summary, severity, raised_from, at, reason))

    def flush(self) -> None:
        self.s.flushes += 1

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
        "grouping_mode": "alert",
        "severity_map": {},
        "runbook_url": None,
    }
    values.update(overrides)
    return service_config(**values)  # type: ignore[arg-type]
