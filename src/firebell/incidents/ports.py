"""What the incident use cases need from storage."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from firebell.incidents.targets import SeverityTargets
from firebell.kernel.severity import Sev


class IncidentRepo(Protocol):
    def get(self, incident_id: str) -> Mapping[str, Any] | None: ...

    def open_in_groups(self, service_id: str, group_keys: Collection[str]) -> Sequence[Mapping[str, Any]]:
        """The service's open incidents in these groups, oldest first."""
        ...

    def next_number(self) -> int: ...

    def opened_since(self, service_id: str | None, recurrence_key: str, since: datetime) -> bool:
        """Whether an incident (not a drill) of the service with this key opened at or after `since`."""
        ...

    def insert(self, values: dict[str, Any]) -> None: ...

    def update(self, incident_id: str, values: dict[str, Any]) -> None: ...

    def add_event(
        self,
        incident_id: str,
        at: datetime,
        kind: str,
        message: str,
        actor: str = "firebell",
        data: dict[str, Any] | None = None,
    ) -> None: ...

    def add_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Timeline entries in bulk, each with its id, incident_id, at, kind, actor, message and data."""
        ...

    def set_item(self, incident_id: str, list_key: str, item_key: str, done_at: datetime | None, by: str) -> int: ...

    def flag_page_gap(self, incident_id: str, reason: str) -> None:
        """Say why paging reached nobody (kept if a reason is already there)."""
        ...

    def clear_page_gaps(self, incident_ids: Collection[str]) -> None:
        """Someone was reached (or is answering): the incidents' gaps are closed."""
        ...


class PagingStarter(Protocol):
    """Starts paging for a new incident, in the transaction that opens it (a drill's incident pages
    only the drill's people)."""

    def __call__(
        self,
        *,
        incident_id: str,
        service_id: str,
        at: datetime,
        category: str | None,
        drill: str | None = None,
        sev: Sev = Sev.SEV1,
    ) -> None: ...


class JoinWatcher(Protocol):
    """Told of each alert that joins an open incident, in the transaction that records it
    (`raised_from`: the severity before, when the alert raised it; else None)."""

    def __call__(
        self,
        incident_id: str,
        *,
        alert_id: str,
        summary: str,
        severity: Sev,
        raised_from: Sev | None,
        at: datetime,
    ) -> None: ...


class DrillCheck(Protocol):
    """Whether `drill` is a running drill of the service (only then is an alert's drill label honoured)."""

    def __call__(self, drill: str, service_id: str) -> bool: ...


class ResponseRepo(IncidentRepo, Protocol):
    """Roles, checklists, mitigation and communications of incidents."""

    def roles(self, incident_id: str) -> list[dict[str, Any]]: ...

    def add_role(self, values: dict[str, Any]) -> None: ...

    def remove_role(self, incident_id: str, role: str, at: datetime, user_id: str | None = None) -> int: ...

    def person_name(self, user_id: str) -> str | None: ...

    def checklist_items(self, incident_id: str) -> list[dict[str, Any]]: ...

    def add_checklist_items(self, rows: list[dict[str, Any]]) -> None: ...

    def mitigations(self, incident_id: str) -> list[dict[str, Any]]: ...

    def add_mitigation(self, values: dict[str, Any]) -> None: ...

    def update_mitigation(self, mitigation_id: str, values: dict[str, Any]) -> None: ...

    def add_communication(self, values: dict[str, Any]) -> None: ...

    def war_room_taken(self, name: str, incident_id: str) -> bool: ...

    def severity_targets(self) -> SeverityTargets:
        """Every severity's response targets as configured."""
        ...


class Messenger(Protocol):
    """Queues messages about an incident on the notification channels (the delivery log)."""

    def announce(
        self,
        *,
        incident_id: str,
        number: int,
        subject: str,
        text: str,
        slack_text: str,
        audiences: Sequence[str],
        war_room: str,
        responder_ids: Sequence[str],
        key: str,
        now: datetime,
    ) -> list[str]:
        """Queue the message for each audience; returns the recipients as people read them."""
        ...

    def remind(
        self,
        *,
        user_ids: Sequence[str],
        incident_id: str,
        number: int,
        subject: str,
        text: str,
        key: str,
        now: datetime,
    ) -> int:
        """Queue a reminder to people on their contact methods; how many notifications were queued."""
        ...

    def notify(
        self,
        *,
        kind: str,
        user_ids: Sequence[str],
        incident_id: str,
        number: int,
        subject: str,
        text: str,
        key: str,
        now: datetime,
    ) -> int:
        """Queue a notice (not a page: nothing to acknowledge) to people on their contact methods,
        once per `key`; how many notifications were queued."""
        ...

    def open_room(
        self, *, incident_id: str, number: int, name: str, topic: str, invite: Sequence[str], text: str, now: datetime
    ) -> bool:
        """Queue creating the war-room channel; False when no Slack bot token is configured."""
        ...
