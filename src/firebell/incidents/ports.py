"""What the incident use cases need from storage."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol


class IncidentRepo(Protocol):
    def get(self, incident_id: str) -> Mapping[str, Any] | None: ...

    def latest_open_in_group(self, service_id: str, group_key: str) -> Mapping[str, Any] | None: ...

    def next_number(self) -> int: ...

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


class PagingStarter(Protocol):
    """Starts paging for a new incident, in the transaction that opens it."""

    def __call__(self, *, incident_id: str, service_id: str, at: datetime, category: str | None) -> None: ...
