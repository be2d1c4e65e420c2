"""Tables of the service catalog: services, their integrations and maintenance windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, NullableJSON, UTCDateTime


class ServiceRow(Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_team: Mapped[str] = mapped_column(sa.String(200), default="")
    tier: Mapped[int] = mapped_column(sa.Integer, default=2)
    runbook_url: Mapped[str | None] = mapped_column(sa.String(2000), nullable=True)
    escalation_policy_id: Mapped[str | None] = mapped_column(sa.String(26), nullable=True)
    # {category: policy id}: alerts labelled with a category run its policy (see oncall.service).
    category_policies: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict, server_default="{}")
    auto_resolve: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    grouping_window_seconds: Mapped[int] = mapped_column(sa.Integer, default=300)
    group_by_labels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    severity_map: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # How alerts gather into incidents: alert (same identity), labels (group_by), service (any), none.
    grouping_mode: Mapped[str] = mapped_column(sa.String(16), default="alert", server_default="alert")
    # {severity: page | working_hours | follow_up} over the defaults (see oncall.urgency).
    urgency: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict, server_default="{}")
    # The service's own working hours ({"zone", "windows"}), used instead of each person's; None: theirs.
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON, nullable=True)
    # The services this one depends on (ids): their changes and incidents matter to it.
    dependencies: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    # Dependencies Firebell has no service for, as Backstage entity references ("resource:default/db").
    external_dependencies: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    # The catalog: SLOs, SLIs and dashboards as documents (see catalog.slo and catalog.fields).
    slos: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, server_default="[]")
    slis: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, server_default="[]")
    dashboards: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, server_default="[]")
    # Backstage's facts, kept so that an exported catalog-info.yaml says what was imported.
    lifecycle: Mapped[str] = mapped_column(sa.String(100), default="production", server_default="production")
    system: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    component_type: Mapped[str] = mapped_column(sa.String(100), default="service", server_default="service")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    backstage_annotations: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IntegrationRow(Base):
    __tablename__ = "integrations"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    service_id: Mapped[str] = mapped_column(sa.ForeignKey("services.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(32))
    key_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(sa.String(8))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    key_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Forwarding to the old tool during a parallel run (alerts/forwarding.py): where to, and how the
    # last attempt went (its answer or error, when, and the failed attempts since the last success).
    forward_to: Mapped[str | None] = mapped_column(sa.String(2000), nullable=True)
    forward_status: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    forward_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    forward_failures: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class MaintenanceWindowRow(Base):
    __tablename__ = "maintenance_windows"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    service_id: Mapped[str] = mapped_column(sa.ForeignKey("services.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
