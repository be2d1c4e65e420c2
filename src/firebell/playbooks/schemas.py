"""API models of playbooks and of an incident's playbooks. The shapes are checked here; the bounds
and the rest (keys, repeated steps) by the playbook core, which names the field either way."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PhaseWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, description="default: made from the title, e.g. containment")
    title: str = Field(description="e.g. Containment (first 15 min)")
    steps: list[str] = Field(description="checkable steps, one line each")


class PlaybookWrite(BaseModel):
    """A custom playbook, or an edited copy of a shipped one (same key)."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, description="if given, the same as the URL's")
    name: str = Field(description="e.g. Payments outage")
    incident_type: str = Field(description="outage, performance, security, data_loss, third_party, or your own")
    summary: str = ""
    phases: list[PhaseWrite]


class PhaseRead(BaseModel):
    key: str
    title: str
    list_key: str = Field(description="the incident checklist its steps go to: playbook:<key>:<phase>")
    steps: list[str]


class PlaybookSummary(BaseModel):
    key: str
    name: str
    incident_type: str
    summary: str
    source: str = Field(description="built-in, edited (a built-in changed here) or custom")
    phase_count: int
    step_count: int
    updated_at: datetime | None
    updated_by: str | None
    url: str


class PlaybookRead(PlaybookSummary):
    phases: list[PhaseRead]


class AttachRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    playbook: str = Field(min_length=1, max_length=64, description="the playbook's key, e.g. security")


class AttachedRead(BaseModel):
    key: str
    name: str
    attached_at: datetime
    attached_by: str
    steps: int
    done: int


class SuggestedRead(BaseModel):
    key: str
    name: str
    reason: str = Field(description="why, e.g. an alert is labelled category: security")


class IncidentPlaybooksRead(BaseModel):
    id: str
    number: int
    attached: list[AttachedRead]
    suggested: list[SuggestedRead]


class AttachResult(IncidentPlaybooksRead):
    playbook: str
    added: int = Field(description="checklist items added; 0 when the playbook was attached already")
    message: str


class DeleteResult(BaseModel):
    key: str
    reverted: bool = Field(description="true: the edits to a built-in were dropped and the shipped one is back")
    message: str
