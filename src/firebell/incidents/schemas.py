"""API models of incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from firebell.incidents.classifier import Question
from firebell.incidents.service import DetectionSource
from firebell.incidents.state import IncidentStatus


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


class TargetsRead(BaseModel):
    acknowledge_within: str
    acknowledge: str = Field(description="met, pending or breached")
    acknowledge_by: str = Field(description="time left (pending) or how late (breached)")
    assemble_within: str | None
    update_every: str | None
    postmortem: str
    postmortem_within: str | None


class IncidentDetailRead(IncidentRead):
    timeline: list[TimelineEntryRead]
    alerts: list[dict[str, Any]]
    targets: TargetsRead


class MoveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000)


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[Question, bool] = Field(
        default_factory=dict, description="yes/no answers to the decision tree's questions, by name"
    )


class ClassifyStep(BaseModel):
    question: Question
    text: str
    answer: bool


class ClassifyRead(BaseModel):
    severity: str | None = Field(description="SEV-1..SEV-4 once settled, else null")
    reason: str
    path: list[ClassifyStep]
    next_question: Question | None
    next_question_text: str | None


class IncidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=1000, description="what is wrong, briefly")
    severity: str = Field(description="SEV-1..SEV-4 (or P1..P4)")
    service: str | None = Field(default=None, description="the main service: its policy is paged")
    affected_services: list[str] = Field(default_factory=list, max_length=100)
    impact: str = Field(default="", max_length=5000)
    source: DetectionSource = DetectionSource.USER_REPORT


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: IncidentStatus
    note: str = Field(default="", max_length=2000)
