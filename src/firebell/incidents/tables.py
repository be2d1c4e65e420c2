"""Tables of the incident domain: incidents and their timelines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        sa.Index("ix_incidents_group", "service_id", "group_key", "status"),
        sa.Index("ix_incidents_opened", "opened_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, unique=True)
    title: Mapped[str] = mapped_column(sa.String(1024))
    status: Mapped[str] = mapped_column(sa.String(16))
    sev: Mapped[str] = mapped_column(sa.String(8))
    service_id: Mapped[str | None] = mapped_column(sa.ForeignKey("services.id"), nullable=True)
    group_key: Mapped[str] = mapped_column(sa.String(1024), default="")
    runbook_url: Mapped[str | None] = mapped_column(sa.String(2000), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When each working state was first reached (for MTTI and the other metrics).
    investigating_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolving_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Declared by hand: who, from what (user report, support ticket, ...), the impact in words, and
    # every service it touches (service_id is the main one).
    declared_by: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    detection_source: Mapped[str] = mapped_column(sa.String(32), default="alert", server_default="alert")
    impact: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    affected_service_ids: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")


class IncidentEventRow(Base):
    __tablename__ = "incident_events"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(sa.String(64))
    actor: Mapped[str] = mapped_column(sa.String(200), default="")
    message: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
