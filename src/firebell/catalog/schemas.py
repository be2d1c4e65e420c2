"""API models of services, their catalog facts and integrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

from firebell.kernel.urls import masked_url

GroupingModeIn = Literal["alert", "labels", "service", "none"]
_MODES = (
    "how alerts join an open incident: alert (the same alert only, the default; with group_by_labels "
    "alone: labels), labels (the same group_by_labels values), service (any alert of the service) or "
    "none (each alert opens its own); an Alertmanager group stays one incident in every mode"
)


class ServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    owner_team: str = ""
    tier: int = Field(default=2, ge=1, le=3, description="1 business critical, 2 important, 3 supporting")
    runbook_url: str | None = None
    auto_resolve: bool = True
    grouping_mode: GroupingModeIn | None = Field(default=None, description=_MODES)
    grouping_window_seconds: int = Field(default=300, ge=0, le=86_400)
    group_by_labels: list[str] = Field(default_factory=list, description="labels alerts must share (labels mode)")
    severity_map: dict[str, str | None] = Field(default_factory=dict)


class SloIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="availability, latency_p99, error_rate or throughput")
    target: float | str = Field(description="99.9, or with its unit: '99.9%', '< 500ms', '> 1000 rps'")
    unit: str | None = Field(default=None, description="% (availability, error rate), ms or s, rps or rpm")
    window: str | None = Field(default=None, description="30d, 5m, 1h; default per kind")


class SliIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    query: str = Field(description="the query that measures it, PromQL for instance")


class DashboardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = ""
    url: str = Field(description="http(s) only")


class ServiceUpdate(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    owner_team: str | None = None
    tier: int | None = Field(default=None, description="1 business critical, 2 important, 3 supporting")
    runbook_url: str | None = None
    escalation_policy: str | None = Field(default=None, description="a policy's name; null to unset")
    lifecycle: str | None = None
    system: str | None = None
    component_type: str | None = None
    tags: list[str] | None = None
    slos: list[SloIn] | None = None
    slis: list[SliIn] | None = None
    dashboards: list[DashboardIn] | None = None
    dependencies: list[str] | None = Field(default=None, description="names of the services it depends on")
    grouping_mode: GroupingModeIn | None = Field(default=None, description=_MODES)
    group_by_labels: list[str] | None = Field(default=None, description="labels alerts must share (labels mode)")
    grouping_window_seconds: int | None = Field(default=None, ge=0, le=86_400)


class SloRead(BaseModel):
    kind: str
    target: int | float
    unit: str
    window: str
    label: str = Field(description="'Availability'")
    text: str = Field(description="'99.9% (30-day rolling)'")
    target_text: str = Field(description="'99.9%', '< 500ms'")
    window_text: str = Field(description="'30-day rolling', '5-minute window'")


class SliRead(BaseModel):
    name: str
    query: str


class DashboardRead(BaseModel):
    title: str
    url: str


class ServiceRead(BaseModel):
    id: str
    name: str
    description: str
    owner_team: str
    tier: int
    tier_label: str
    runbook_url: str | None
    escalation_policy: str | None
    lifecycle: str
    system: str
    component_type: str
    tags: list[str]
    slos: list[SloRead]
    slis: list[SliRead]
    dashboards: list[DashboardRead]
    dependencies: list[str] = Field(description="names of the services it depends on")
    external_dependencies: list[str] = Field(description="Backstage references to what Firebell has no service for")
    auto_resolve: bool
    grouping_mode: str = Field(description="alert, labels, service or none")
    grouping_window_seconds: int
    group_by_labels: list[str]
    severity_map: dict[str, Any]
    created_at: datetime


class IncidentBrief(BaseModel):
    number: int
    title: str
    sev: str
    status: str


class RunbookBrief(BaseModel):
    id: str | None
    title: str | None
    state: str = Field(description="missing, stale, failing or passing (runbook coverage)")
    url: str | None


class ServiceDetail(ServiceRead):
    dependents: list[str] = Field(description="names of the services that depend on it")
    open_incidents: list[IncidentBrief]
    runbook: RunbookBrief


class GraphNodeRead(BaseModel):
    name: str
    external: bool
    tier: int | None = None
    tier_label: str | None = None
    owner_team: str | None = None
    open_incidents: int | None = None
    has_runbook: bool | None = None


class GraphEdgeRead(BaseModel):
    source: str
    target: str


class GraphRead(BaseModel):
    nodes: list[GraphNodeRead]
    edges: list[GraphEdgeRead] = Field(description="from a service to what it depends on")
    cycles: list[list[str]] = Field(description="groups of services that depend on each other in a circle")


class NoteRead(BaseModel):
    field: str
    message: str


class ImportRead(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    warnings: list[NoteRead]


_FORWARD_TO = (
    "during a parallel run, the old tool's endpoint that every body this integration accepts is sent on "
    "to as received (e.g. https://events.pagerduty.com/v2/enqueue, https://api.opsgenie.com/v2/alerts)"
)


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["alertmanager", "pagerduty", "opsgenie", "webhook"]
    name: str = ""
    mapping: dict[str, Any] | None = None
    key: str | None = Field(
        default=None,
        description="a key the senders already use (a PagerDuty routing key, an Opsgenie API key): "
        "16-128 letters, digits, '.', '_', '~' or '-'; omitted, a random key is made",
    )
    forward_to: str | None = Field(default=None, max_length=2000, description=_FORWARD_TO)


class IntegrationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    forward_to: str | None = Field(
        default=None, max_length=2000, description=_FORWARD_TO + '; null or "" stops forwarding'
    )


class IntegrationRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, description="the new key; omitted, a random key is made")


class IntegrationRead(BaseModel):
    id: str
    service_id: str
    service_name: str
    name: str
    kind: str
    key_hint: str
    config: dict[str, Any]
    created_at: datetime
    key_rotated_at: datetime | None = None
    forward_to: str | None = Field(default=None, description="where it forwards to, with any credentials masked")
    forward_status: str = Field(default="", description="the old tool's answer to the last forward, or its error")
    forward_at: datetime | None = Field(default=None, description="when the last forward was attempted")
    forward_failures: int = Field(default=0, description="failed forward attempts since the last one delivered")

    @field_serializer("forward_to")
    def _masked(self, url: str | None) -> str | None:
        return masked_url(url) if url else url


class IntegrationCreated(IntegrationRead):
    key: str = Field(description="the secret key, shown only now")
    url: str = Field(description="where to send alerts")


class MaintenanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = ""
