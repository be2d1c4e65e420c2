"""The audit log as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryRead(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="a user's email, `token:<name>`, or `cli:<os user>`")
    actor_user_id: str | None
    via: str = Field(description="the request or command that made the change")
    action: str = Field(description="insert, update or delete")
    entity: str = Field(description="what changed: the table")
    entity_id: str = Field(description="the changed row's key")
    before: dict[str, Any] | None = Field(description="the row before (for an update, the changed columns)")
    after: dict[str, Any] | None = Field(description="the row after (for an update, the changed columns)")
