"""API models of action items."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class ActionItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident: str = Field(description="the incident's number or id")
    title: str = Field(min_length=1, max_length=500)
    priority: str = Field(default="P2", description="P1, P2 or P3")
    kind: str = Field(default="preventative", description="immediate, preventative or detection")
    owner: str | None = Field(default=None, description="the owner's handle or email")
    due: date | None = None
    description: str = Field(default="", max_length=20_000)
    ticket: str = Field(default="", max_length=500, description="the issue tracker's key or URL")


class ActionItemChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=500)
    priority: str | None = None
    kind: str | None = None
    status: str | None = Field(default=None, description="open, in_progress, done or wont_do")
    owner: str | None = Field(default=None, description="handle or email; an empty string clears it")
    due: date | None = None
    clear_due: bool = Field(default=False, description="remove the due date")
    description: str | None = Field(default=None, max_length=20_000)
    ticket: str | None = Field(default=None, max_length=500)


class ActionItemRead(BaseModel):
    id: str
    number: int
    ref: str = Field(description="AI-<number>")
    incident_number: int
    incident_title: str
    from_postmortem: bool
    title: str
    description: str
    priority: str
    kind: str
    status: str
    owner: str | None
    owner_handle: str | None
    due: date | None
    overdue: bool
    ticket: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    version: int


class CompletionRead(BaseModel):
    total: int = Field(description="items that count: done, or open past their due date")
    on_time: int
    late: int
    overdue: int
    rate: float | None = Field(description="completed on time / total (target above 0.9)")
    target: float = 0.9
    met: bool | None
