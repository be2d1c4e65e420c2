"""The runbooks table: one current runbook per service at most, and runbooks of no service."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, UTCDateTime


class RunbookRow(Base):
    __tablename__ = "runbooks"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    # Unique: a service has one current runbook; NULLs (runbooks of no service) do not collide.
    service_id: Mapped[str | None] = mapped_column(sa.ForeignKey("services.id"), nullable=True, unique=True)
    # A runbook of no service belongs to this team (a service's runbook follows the service's team).
    team_id: Mapped[str | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)  # markdown
    source_path: Mapped[str] = mapped_column(sa.String(1000), default="")  # where it was imported from
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(sa.String(200), default="")
