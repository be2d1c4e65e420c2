"""What the alert use cases need from the outside world."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from firebell.alerts.config import ServiceConfig
from firebell.alerts.model import AlertEvent, OpenAlertRef, OpenIncidentRef, Outcome
from firebell.kernel.severity import Sev


class AlertRepo(Protocol):
    def add_raw(self, *, raw_id: str, integration_id: str, source: str, body: str, at: datetime) -> None: ...

    def find_open(self, service_id: str, dedup_key: str) -> OpenAlertRef | None: ...

    def bump(self, alert_id: str, event: AlertEvent, raw_id: str, at: datetime) -> None: ...

    def set_status(self, alert_id: str, status: str, at: datetime) -> None: ...

    def add(
        self,
        *,
        alert_id: str,
        service_id: str,
        integration_id: str,
        raw_id: str,
        source: str,
        event: AlertEvent,
        group_key: str,
        disposition: str,
        incident_id: str | None,
        at: datetime,
    ) -> None: ...

    def count_open_in_incident(self, incident_id: str) -> int: ...


class IncidentGateway(Protocol):
    """The incident domain, as seen by alert intake (same transaction)."""

    def find_open_by_group(self, service_id: str, group_key: str) -> OpenIncidentRef | None: ...

    def open_from_alert(
        self,
        *,
        service_id: str,
        group_key: str,
        sev: Sev,
        title: str,
        runbook_url: str | None,
        at: datetime,
    ) -> str: ...

    def alert_joined(self, incident_id: str, sev: Sev, at: datetime) -> None: ...

    def alert_acknowledged(self, incident_id: str, at: datetime) -> None: ...

    def all_alerts_resolved(self, incident_id: str, at: datetime) -> None: ...


class ServiceConfigs(Protocol):
    def get(self, service_id: str, now: datetime) -> ServiceConfig: ...


class IngestObserver(Protocol):
    def counted(self, source: str, outcome: Outcome) -> None: ...
