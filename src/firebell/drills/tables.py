"""The drills table: paging drills and game days."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime


class DrillRow(Base):
    __tablename__ = "drills"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, unique=True)  # DR-<number>
    kind: Mapped[str] = mapped_column(sa.String(16))  # paging, game_day
    service_id: Mapped[str] = mapped_column(sa.ForeignKey("services.id"), index=True)
    target: Mapped[str] = mapped_column(sa.String(500))  # what is exercised: "pod-delete on payment-service"
    participants: Mapped[list[str]] = mapped_column(JSONType, default=list)  # user ids: the only people paged
    hypothesis: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)  # statements, held or not
    status: Mapped[str] = mapped_column(sa.String(16))
    result: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)  # passed, failed
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    incident_id: Mapped[str | None] = mapped_column(sa.ForeignKey("incidents.id"), nullable=True)
    dedup_key: Mapped[str] = mapped_column(sa.String(255), default="")
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(200), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
