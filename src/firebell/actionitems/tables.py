"""The action items table."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, UTCDateTime


class ActionItemRow(Base):
    __tablename__ = "action_items"
    __table_args__ = (
        sa.Index("ix_action_items_status_due", "status", "due_date"),
        sa.Index("ix_action_items_owner", "owner_id", "status"),
    )

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, unique=True)  # AI-<number>
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    from_postmortem: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[str] = mapped_column(sa.String(2))  # P1, P2, P3
    kind: Mapped[str] = mapped_column(sa.String(16))  # immediate, preventative, detection
    owner_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    due_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16))  # open, in_progress, done, wont_do
    ticket: Mapped[str] = mapped_column(sa.String(500), default="")  # the issue tracker's key or URL
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)  # each change, for the webhook's idempotency key
    reminded_for: Mapped[date | None] = mapped_column(sa.Date, nullable=True)  # the due date last reminded about
