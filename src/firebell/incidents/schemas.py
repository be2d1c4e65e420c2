"""API models of incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class IncidentRead(BaseModel):
    id: str
    number: int
    title: str
    status: str
    sev: str
    service_id: str | None
    service: str | None
    runbook_url: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    alert_count: int


class TimelineEntryRead(BaseModel):
    at: datetime
    kind: str
    actor: str
    message: str


class IncidentDetailRead(IncidentRead):
    timeline: list[TimelineEntryRead]
    alerts: list[dict[str, Any]]


class MoveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000)
