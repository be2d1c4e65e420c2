"""What the alert use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from firebell.alerts.config import ServiceConfig
from firebell.alerts.model import OpenAlertRef, OpenIncidentRef
from firebell.alerts.verdict import JudgedAlert
from firebell.kernel.severity import Sev


class CurrentKey(NamedTuple):
    digest: str
    forward_to: str | None  # where accepted bodies are forwarded to (None: nowhere)


class AlertRepo(Protocol):
    """Set-at-a-time storage of alerts: one call per batch, not per alert."""

    def add_raw_many(self, rows: list[dict[str, Any]]) -> None: ...

    def current_keys(self, integration_ids: Collection[str]) -> dict[str, CurrentKey]:
        """The key digest and forward target of each of these integrations that is enabled."""
        ...

    def add_forwards(self, rows: list[dict[str, Any]]) -> None:
        """Queue forwards to old tools (one statement for the batch)."""
        ...

    def find_open_many(self, service_id: str, dedup_keys: Collection[str]) -> list[OpenAlertRef]: ...

    def insert_many(self, rows: list[dict[str, Any]]) -> None: ...

    def update_many(self, rows: list[dict[str, Any]]) -> None: ...

    def count_open_in_incident(self, incident_id: str) -> int: ...


class IncidentGateway(Protocol):
    """The incident domain, as seen by alert intake (same transaction)."""

    def find_open_by_groups(self, service_id: str, group_keys: Collection[str]) -> dict[str, OpenIncidentRef]:
        """The latest open incident of the service in each of these groups that has one."""
        ...

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
    ) -> str: ...

    def raise_severity(self, incident_id: str, old: Sev, new: Sev, at: datetime) -> None: ...

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
        """A new alert joined the open incident (after `raise_severity` when it raised it: then
        `raised_from` is the severity before). Called once per joining alert, never for a repeat;
        the alert's row is written with the rest of the batch, after this call."""
        ...

    def alert_acknowledged(self, incident_id: str, at: datetime) -> None: ...

    def flush(self) -> None:
        """Write what the calls above left for the end of the batch (in one statement, not one each)."""
        ...

    def all_alerts_resolved(self, incident_id: str, at: datetime) -> None: ...


class VerdictRepo(Protocol):
    """The responders' verdicts on alerts."""

    def judged_alert(self, alert_id: str) -> JudgedAlert | None: ...

    def judged_alerts_of_incident(self, incident_id: str) -> list[JudgedAlert]: ...

    def set_verdict(self, alert_ids: Collection[str], values: dict[str, object]) -> None: ...


class IncidentTimeline(Protocol):
    """An incident's timeline, as verdicts on its alerts write to it (same transaction)."""

    def add_event(
        self,
        incident_id: str,
        at: datetime,
        kind: str,
        message: str,
        actor: str = "firebell",
        data: dict[str, Any] | None = None,
    ) -> None: ...


class ServiceConfigs(Protocol):
    def get(self, service_id: str, now: datetime) -> ServiceConfig: ...
