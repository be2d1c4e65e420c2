"""API models of postmortems."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PostmortemEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        default=None, description="the version you loaded; a 409 says someone changed it since (omit to overwrite)"
    )
    sections: dict[str, str] | None = Field(default=None, description="section key → text (markdown)")
    tables: dict[str, list[list[str]]] | None = Field(default=None, description="table key → rows of cells")
    first_symptom_at: datetime | None = Field(default=None, description="when users were first affected (UTC)")
    clear_first_symptom: bool = False
    owner: str | None = Field(default=None, description="the owner's handle or email")


class RcaWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = None
    data: dict[str, Any] | None = Field(default=None, description="the tool's JSON form")
    outline: str | None = Field(
        default=None, max_length=50_000, description="or the indented outline the web editor uses"
    )


class StatusMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(description="draft, in_review or final")


class SignOffWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="postmortem_owner, engineering_manager or service_owner")
    user: str | None = Field(default=None, description="handle or email; default the signed-in user")


class MeetingWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime
    attendees: list[str] = Field(default_factory=list, max_length=100)


class MeetingTick(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: bool = True


class PostmortemItem(BaseModel):
    """An action item added from the postmortem."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    priority: str = "P2"
    kind: str = "preventative"
    owner: str | None = None
    due: date | None = None
    description: str = Field(default="", max_length=20_000)
    ticket: str = Field(default="", max_length=500)


class PostmortemSummary(BaseModel):
    id: str
    incident_number: int
    incident_title: str
    severity: str
    status: str
    owner: str | None
    draft_due_at: datetime
    due_at: datetime | None
    overdue: bool
    updated_at: datetime
    finalized_at: datetime | None
