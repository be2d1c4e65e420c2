"""What change senders post: PagerDuty's Change Events API v2 and Firebell's deploy webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from firebell.changes.model import ChangeKind


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChangeLink(_Lenient):
    href: str = Field(max_length=2000)
    text: str = Field(default="", max_length=500)


class PagerDutyChangePayload(_Lenient):
    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(default="", max_length=255)
    timestamp: AwareDatetime | None = None
    custom_details: dict[str, Any] = Field(default_factory=dict)


class PagerDutyChange(_Lenient):
    routing_key: str = Field(min_length=8, max_length=128)
    payload: PagerDutyChangePayload
    links: list[ChangeLink] = Field(default_factory=list, max_length=50)


class DeployEvent(BaseModel):
    """The generic deploy webhook: `POST /integrations/deploy/{key}` (the key names the service)."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1, max_length=1024, description="what changed, e.g. 'Deploy checkout v2.3.1'")
    kind: ChangeKind = ChangeKind.DEPLOY
    version: str = Field(default="", max_length=255)
    source: str = Field(default="", max_length=255, description="who or what made the change (CI job, person)")
    at: AwareDatetime | None = Field(default=None, description="when it happened (ISO 8601 with offset); default now")
    links: list[ChangeLink] = Field(default_factory=list, max_length=50)
    details: dict[str, Any] = Field(default_factory=dict)


class ChangeCreate(DeployEvent):
    """`POST /api/v1/changes`, with a token: the service is named."""

    service: str = Field(min_length=1, max_length=200)


class ChangeRead(BaseModel):
    id: str
    service: str
    kind: str
    summary: str
    source: str
    version: str
    at: datetime
    received_at: datetime
    links: list[dict[str, str]]
    details: dict[str, Any]
