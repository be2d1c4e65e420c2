"""Heartbeat monitors: a job that should ping every `interval_seconds` and an alert when it does not.

Each heartbeat is an integration of kind `heartbeat` (its secret key is the ping URL's secret) with
the expected interval and a grace period. `next_due_at` is when a missing ping becomes an alert;
it is cleared once the alert is raised, and set again by the next ping.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, UTCDateTime


class HeartbeatRow(Base):
    __tablename__ = "heartbeats"
    __table_args__ = (sa.Index("ix_heartbeats_due", "next_due_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    integration_id: Mapped[str] = mapped_column(sa.ForeignKey("integrations.id", ondelete="CASCADE"), unique=True)
    service_id: Mapped[str] = mapped_column(sa.ForeignKey("services.id", ondelete="CASCADE"))
    interval_seconds: Mapped[int] = mapped_column(sa.Integer)
    grace_seconds: Mapped[int] = mapped_column(sa.Integer, default=60)
    state: Mapped[str] = mapped_column(sa.String(16))  # waiting (no ping yet), up, down
    last_ping_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
