"""API models of incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from firebell.incidents.classifier import Question
from firebell.incidents.comms import Audience
from firebell.incidents.mitigation import Outcome
from firebell.incidents.mitigation import Question as MitigationQuestion
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
    page_gap: str | None = Field(
        default=None,
        description="why paging reached nobody: no_policy, no_level, nobody_on_call, no_contact_methods or "
        "delivery_failed; null once someone was reached, or when the severity pages nobody by design",
    )


class TimelineEntryRead(BaseModel):
    at: datetime
    kind: str
    actor: str
    message: str


class TargetStandingRead(BaseModel):
    target: str = Field(description="acknowledge, assemble, investigate, resolve or update")
    label: str
    within: str
    due_at: datetime
    standing: str = Field(description="met, pending or breached")
    by: str = Field(description="time left (pending) or how late (breached); 0s when met")


class TargetsRead(BaseModel):
    assemble: str | None = Field(description="met, pending or breached; null when the severity has no such target")
    assemble_by: str | None
    acknowledge_within: str
    acknowledge: str = Field(description="met, pending or breached")
    acknowledge_by: str = Field(description="time left (pending) or how late (breached)")
    assemble_within: str | None
    investigate: str | None = Field(description="met, pending or breached; null when the severity has none")
    investigate_by: str | None
    investigate_within: str | None
    resolve: str | None = Field(description="met, pending or breached; null when the severity has none")
    resolve_by: str | None
    resolve_within: str | None
    update_every: str | None
    postmortem: str
    postmortem_within: str | None
    business_hours: bool = Field(description="the response targets count working time only")
    working_hours: str | None = Field(description="the working hours they count, when in business hours")
    standings: list[TargetStandingRead]


class IncidentDetailRead(IncidentRead):
    impact: str
    detection_source: str
    declared_by: str
    war_room: str
    investigating_at: datetime | None
    identified_at: datetime | None
    resolving_at: datetime | None
    timeline: list[TimelineEntryRead]
    alerts: list[dict[str, Any]] = Field(description="its most recently seen alerts, as many as `alerts=` asked")
    alerts_total: int = Field(description="how many alerts it has in all")
    targets: TargetsRead
    response: dict[str, Any] = Field(
        description="roles, staffing warning, checklists, mitigations, communications, missed targets, "
        "next update due, recent changes"
    )


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


# --- running an incident ----------------------------------------------------------------------------


class RoleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(
        description="incident_commander, tech_lead, comms_lead, scribe, sme, postmortem_owner (or ic, tl)"
    )
    user: str = Field(min_length=1, max_length=320, description="the person's handle or email")


class TickRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: bool = True


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)


class SeverityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: str = Field(description="SEV-1..SEV-4 (or P1..P4)")
    reason: str = Field(default="", max_length=1000)


class MitigationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[MitigationQuestion, bool] = Field(
        description="recent_deployment, resource_issue, external_dependency, data_issue: yes or no, in that order"
    )


class OutcomeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    note: str = Field(default="", max_length=2000)


class ComposeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(description="initial.slack, update.email, customer.identified, ...")
    fields: dict[str, str] = Field(default_factory=dict, description="what the template asks the writer for")


class SendRequest(ComposeRequest):
    audiences: list[Audience] = Field(
        default_factory=list, description="where it goes; empty: the template's usual audiences"
    )
    subject: str | None = Field(default=None, max_length=300, description="the subject as edited after the preview")
    body: str | None = Field(default=None, max_length=20_000, description="the text as edited after the preview")


class TemplateWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000)
