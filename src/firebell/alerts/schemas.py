"""Pydantic models of what each source sends, and of what the alert API returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from firebell.alerts.verdict import Verdict


class _Lenient(BaseModel):
    """Senders add fields over time; unknown ones are kept in the raw payload, not refused."""

    model_config = ConfigDict(extra="ignore")


# --- Prometheus Alertmanager webhook, payload version 4; Grafana's webhook contact point, version 1 --


class AlertmanagerAlert(_Lenient):
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = ""
    # Grafana's additions: the values that fired the rule, and links into Grafana.
    values: dict[str, float | str | None] | None = None
    valueString: str = ""
    silenceURL: str = ""
    dashboardURL: str = ""
    panelURL: str = ""
    imageURL: str = ""


class AlertmanagerWebhook(_Lenient):
    version: str = "4"
    groupKey: str = Field(min_length=1)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    truncatedAlerts: int = 0
    alerts: list[AlertmanagerAlert] = Field(min_length=1, max_length=10_000)
    # Grafana's webhook contact point (version "1") adds these; Alertmanager sends none of them.
    orgId: int | None = None
    state: str = ""
    title: str = ""
    message: str = ""

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value not in ("4", "1"):
            raise ValueError("use Alertmanager webhook payload version 4, or Grafana's webhook version 1")
        return value


# --- PagerDuty Events API v2 --------------------------------------------------------------


class PagerDutyPayload(_Lenient):
    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: datetime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: Any = None


class PagerDutyLink(_Lenient):
    href: str
    text: str = ""


class PagerDutyImage(_Lenient):
    src: str
    href: str = ""
    alt: str = ""


class PagerDutyEvent(_Lenient):
    routing_key: str = Field(min_length=32, max_length=32)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, max_length=255)
    payload: PagerDutyPayload | None = None
    client: str | None = None
    client_url: str | None = None
    links: list[PagerDutyLink] = Field(default_factory=list)
    images: list[PagerDutyImage] = Field(default_factory=list)


# --- Opsgenie Alert API ---------------------------------------------------------------------


class OpsgenieCreate(_Lenient):
    message: str = Field(min_length=1, max_length=1024)
    alias: str | None = Field(default=None, max_length=512)
    description: str | None = Field(default=None, max_length=15_000)
    tags: list[str] = Field(default_factory=list)
    details: dict[str, str] = Field(default_factory=dict)
    entity: str | None = None
    source: str | None = None
    priority: Literal["P1", "P2", "P3", "P4", "P5"] = "P3"
    user: str | None = None
    note: str | None = None
    actions: list[str] = Field(default_factory=list)


class OpsgenieAction(_Lenient):
    user: str | None = None
    source: str | None = None
    note: str | None = None


class OpsgenieNote(OpsgenieAction):
    note: str = Field(min_length=1, max_length=25_000)


class OpsgenieTags(OpsgenieAction):
    tags: list[str] = Field(min_length=1, max_length=50)


class OpsgenieDetails(OpsgenieAction):
    details: dict[str, str] = Field(min_length=1, max_length=100)


class OpsgeniePriority(_Lenient):
    priority: Literal["P1", "P2", "P3", "P4", "P5"]


class OpsgenieMessage(_Lenient):
    message: str = Field(min_length=1, max_length=1024)


class OpsgenieDescription(_Lenient):
    description: str = Field(max_length=15_000)


class OpsgenieOwner(_Lenient):
    id: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=200)


class OpsgenieAssign(OpsgenieAction):
    owner: OpsgenieOwner


class OpsgenieEscalation(_Lenient):
    id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)


class OpsgenieEscalate(OpsgenieAction):
    escalation: OpsgenieEscalation


class OpsgenieSnooze(OpsgenieAction):
    endTime: datetime


class OpsgenieError(BaseModel):
    """An Opsgenie-compatible endpoint's refusal, in Opsgenie's shape: `errors` names the fields."""

    message: str
    took: float
    requestId: str
    errors: dict[str, str] = Field(default_factory=dict)


# --- The alert API ---------------------------------------------------------------------------


class TestAlert(BaseModel):
    """A test alert sent through the API (`firebell alert send`)."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, description="service name")
    summary: str = Field(default="Test alert from Firebell", min_length=1, max_length=1024)
    severity: Literal["critical", "error", "warning", "info"] = "warning"
    dedup_key: str | None = Field(default=None, max_length=255)
    action: Literal["trigger", "acknowledge", "resolve"] = "trigger"
    labels: dict[str, str] = Field(default_factory=dict)


class AlertRead(BaseModel):
    id: str
    service_id: str
    service: str
    source: str
    dedup_key: str
    status: str
    severity: str
    summary: str
    origin: str
    disposition: str
    incident_id: str | None
    incident_number: int | None
    join_reason: str | None = Field(
        description="why it joined its incident ('same alert name HighLatency within 5m'); null when it opened it"
    )
    count: int
    labels: dict[str, Any]
    details: dict[str, Any] = Field(description="what the sender said beyond the summary, as it was stored")
    links: list[dict[str, Any]]
    runbook_url: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    verdict: Verdict | None = Field(description="the responder's word: no_action (a false positive) or actionable")
    verdict_by: str = Field(description="who said it (a user, or token:<name>); empty when unset")
    verdict_at: datetime | None


class DetailRow(BaseModel):
    key: str
    value: str = Field(description="the value as text (objects as JSON), at most 10,000 characters")


class ImageRead(BaseModel):
    src: str
    text: str


class RawPayloadRead(BaseModel):
    id: str
    source: str
    received_at: datetime
    body: Any = Field(description="the payload as received (JSON, or its text when not JSON)")


class AlertDetailRead(AlertRead):
    fields: list[DetailRow] = Field(description="the details as rows, as the pages, emails and Slack show them")
    more_fields: int = Field(description="rows left out of `fields` (all are in `details`)")
    images: list[ImageRead]
    raw: RawPayloadRead | None = Field(description="the payload it came in; null once retention removed it")


class VerdictUpdate(BaseModel):
    """A responder's verdict on an alert (or on every alert of an incident); null takes it back."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict | None = Field(description="no_action (a false positive), actionable, or null to clear")
    note: str = Field(default="", max_length=1000, description="why, for the incident timeline")


class IngestResultRead(BaseModel):
    outcome: str
    dedup_key: str
    alert_id: str | None
    incident_id: str | None
