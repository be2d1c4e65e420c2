"""Change events: deployments and configuration changes, per service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime


class ChangeEventRow(Base):
    __tablename__ = "change_events"
    __table_args__ = (sa.Index("ix_change_events_service_at", "service_id", "at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    service_id: Mapped[str] = mapped_column(sa.ForeignKey("services.id"))
    integration_id: Mapped[str | None] = mapped_column(sa.ForeignKey("integrations.id"), nullable=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # deploy, config, infrastructure, other
    summary: Mapped[str] = mapped_column(sa.String(1024))
    source: Mapped[str] = mapped_column(sa.String(255), default="")
    version: Mapped[str] = mapped_column(sa.String(255), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the change happened, as its sender says
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
