"""What paging needs from storage, from the incident timeline and from the channels."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from firebell.paging.messages import Notice
from firebell.paging.model import ServicePaging
from firebell.paging.timer_rules import TimerRepo


class RetryableDeliveryError(Exception):
    """The channel may accept the message later (a timeout, a 5xx, a 4xx SMTP reply).

    `retry_after` is the receiver's Retry-After header as it sent it (seconds or an HTTP date), if
    it asked for a wait; the engine turns it into a time with its clock.
    """

    def __init__(self, message: str = "", *, retry_after: str = "") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(Exception):
    """Trying again will not help (a refused address, a 4xx HTTP answer, a bad webhook URL)."""


class Channel(Protocol):
    """Hands one page to one address; returns once the peer accepted it, or raises one of the above."""

    def send(self, address: str, notice: Notice) -> None: ...


class PagingRepo(Protocol):
    def service_policy(self, service_id: str, category: str | None = None) -> str | None: ...

    def add_escalation(self, values: dict[str, Any]) -> None: ...

    def active_escalations(self, incident_id: str) -> list[dict[str, Any]]: ...

    def escalations_of(self, incident_id: str) -> list[dict[str, Any]]: ...

    def highest_level_paged(self, incident_id: str, policy_id: str) -> int: ...

    def update_escalation(self, escalation_id: str, values: dict[str, Any]) -> None: ...

    def update_escalations(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def policies(self, policy_ids: Collection[str]) -> list[dict[str, Any]]: ...

    def schedules_with_overrides(
        self, schedule_ids: Collection[str]
    ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]: ...

    def team_members(self, team_ids: Collection[str]) -> dict[str, tuple[str, ...]]: ...

    def people(self, user_ids: Collection[str]) -> dict[str, dict[str, Any]]: ...

    def contact_methods(self, user_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]: ...

    def service_names(self, service_ids: Collection[str]) -> dict[str, str]: ...

    def service_paging(self, service_ids: Collection[str]) -> dict[str, ServicePaging]: ...

    def incident_reached(self, incident_id: str) -> bool: ...

    def incident_alerts(
        self, incident_ids: Collection[str], limit: int
    ) -> dict[str, tuple[list[dict[str, Any]], int]]: ...

    def timers(self) -> TimerRepo:
        """The incident timers, in the same transaction."""
        ...

    def add_pages(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None: ...

    def cancel_pending(self, incident_id: str, now: datetime, reason: str) -> list[str]: ...

    def cancel_pending_of(self, escalation_ids: Collection[str], now: datetime, reason: str) -> list[str]: ...

    def steps_never_sent(self, page_ids: Collection[str]) -> list[dict[str, Any]]: ...

    def responder_requests(self, escalation_ids: Collection[str]) -> dict[str, str]: ...

    def resolve_open_alerts(self, incident_id: str, now: datetime) -> int: ...
