"""API models of services and integrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    owner_team: str = ""
    tier: int = Field(default=2, ge=1, le=4)
    runbook_url: str | None = None
    auto_resolve: bool = True
    grouping_window_seconds: int = Field(default=300, ge=0, le=86_400)
    group_by_labels: list[str] = Field(default_factory=list)
    severity_map: dict[str, str | None] = Field(default_factory=dict)


class ServiceRead(BaseModel):
    id: str
    name: str
    description: str
    owner_team: str
    tier: int
    runbook_url: str | None
    auto_resolve: bool
    grouping_window_seconds: int
    group_by_labels: list[str]
    severity_map: dict[str, Any]
    created_at: datetime


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["alertmanager", "pagerduty", "opsgenie", "webhook"]
    name: str = ""
    mapping: dict[str, Any] | None = None


class IntegrationRead(BaseModel):
    id: str
    service_id: str
    service_name: str
    name: str
    kind: str
    key_hint: str
    config: dict[str, Any]
    created_at: datetime


class IntegrationCreated(IntegrationRead):
    key: str = Field(description="the secret key, shown only now")
    url: str = Field(description="where to send alerts")


class MaintenanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = ""
