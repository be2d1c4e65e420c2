"""Tables of the alert domain: raw payloads as received and the normalized alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime


class RawPayloadRow(Base):
    __tablename__ = "raw_payloads"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    integration_id: Mapped[str] = mapped_column(sa.ForeignKey("integrations.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    body: Mapped[str] = mapped_column(sa.Text)


class ForwardRow(Base):
    """The outbox of forwards to an integration's old tool: one accepted request, sent on as received."""

    __tablename__ = "forwards"
    __table_args__ = (
        sa.Index("ix_forwards_status_due", "status", "due_at"),
        sa.Index("ix_forwards_integration", "integration_id", "status", "queued_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    integration_id: Mapped[str] = mapped_column(sa.String(26))
    url: Mapped[str] = mapped_column(sa.String(4000))
    method: Mapped[str] = mapped_column(sa.String(10))
    headers: Mapped[str] = mapped_column(sa.Text)  # a JSON object
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16))  # pending, sent or failed
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # The database itself refuses a second open alert with the same key on one service.
        sa.Index(
            "uq_alerts_open_dedup",
            "service_id",
            "dedup_key",
            unique=True,
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        ),
        sa.Index("ix_alerts_last_seen", "last_seen_at"),
        # The list filters, each in the listing's order (newest first), so none walks every alert.
        sa.Index("ix_alerts_status_seen", "status", "last_seen_at", "id"),
        sa.Index(
            "ix_alerts_open_seen",
            "last_seen_at",
            "id",
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        ),
        sa.Index("ix_alerts_service_seen", "service_id", "last_seen_at", "id"),
        sa.Index("ix_alerts_verdict_seen", "verdict", "last_seen_at", "id"),
        # The metrics and the hygiene review read alerts by when they fired, per service and name.
        sa.Index("ix_alerts_metrics", "first_seen_at", "service_id", "name", "verdict"),
        # Imported history: one row per record of the export, however often it is imported.
        sa.Index(
            "uq_alerts_external_ref",
            "external_ref",
            unique=True,
            sqlite_where=sa.text("external_ref IS NOT NULL"),
            postgresql_where=sa.text("external_ref IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    service_id: Mapped[str] = mapped_column(sa.ForeignKey("services.id"))
    integration_id: Mapped[str] = mapped_column(sa.ForeignKey("integrations.id"))
    raw_payload_id: Mapped[str] = mapped_column(sa.String(26))
    source: Mapped[str] = mapped_column(sa.String(32))
    dedup_key: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(16))
    severity: Mapped[str] = mapped_column(sa.String(16))
    summary: Mapped[str] = mapped_column(sa.String(1024))
    origin: Mapped[str] = mapped_column(sa.String(255), default="")
    group_key: Mapped[str] = mapped_column(sa.String(1024))
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    links: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    runbook_url: Mapped[str | None] = mapped_column(sa.String(2000), nullable=True)
    disposition: Mapped[str] = mapped_column(sa.String(16))
    # Why it joined its incident ("same alert name ... within 5m"); None when it opened it or none.
    join_reason: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    incident_id: Mapped[str | None] = mapped_column(sa.ForeignKey("incidents.id"), nullable=True, index=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=1)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What the alert is called across firings (its alertname label, else its summary).
    name: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    # The responder's word on it: "no_action" (a false positive) or "actionable"; None: not said.
    verdict: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    verdict_by: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    verdict_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set on an alert imported from another tool's export: "<source>:<its id>".
    external_ref: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)


class AlertDayRow(Base):
    """Alerts fired per UTC day and service, and how many of them needed no action: kept as alerts
    are written and judged (see alerts.daily), so long periods are counted without reading every
    alert. Days outlive the alerts themselves when retention removes old ones."""

    __tablename__ = "alert_days"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    service_id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    alerts: Mapped[int] = mapped_column(sa.Integer, default=0)
    no_action: Mapped[int] = mapped_column(sa.Integer, default=0)


# --- What the Opsgenie-compatible Alert API needs beyond the alert itself ----------------------


class OpsgenieRequestRow(Base):
    """One request to the Opsgenie-compatible API, as its request-status endpoint tells it."""

    __tablename__ = "opsgenie_requests"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(sa.String(26))
    integration_id: Mapped[str] = mapped_column(sa.String(26))
    action: Mapped[str] = mapped_column(sa.String(32))
    success: Mapped[bool] = mapped_column(sa.Boolean)
    status: Mapped[str] = mapped_column(sa.String(300))
    alert_id: Mapped[str | None] = mapped_column(sa.String(26), nullable=True)
    alias: Mapped[str] = mapped_column(sa.String(255), default="")
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OpsgenieTinyIdRow(Base):
    """An alert's short number (Opsgenie's tinyId), given the first time the API shows the alert."""

    __tablename__ = "opsgenie_tiny_ids"

    tiny_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(sa.String(26), unique=True)


class OpsgenieNoteRow(Base):
    """A note on an alert (one on an alert of an incident goes on its timeline too)."""

    __tablename__ = "opsgenie_notes"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    alert_id: Mapped[str] = mapped_column(sa.String(26), index=True)
    note: Mapped[str] = mapped_column(sa.Text)
    owner: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
