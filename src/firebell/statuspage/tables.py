"""Tables of the public status page: components, public incidents and maintenances, their updates.

Everything in these tables was published on purpose; the public page reads nothing else. A public
incident may name the internal incident it reports on (`internal_incident_id`), but that link is
never shown publicly. Scheduled maintenances are rows of `status_incidents` with `kind` =
'maintenance' and a window (`scheduled_for`, `scheduled_until`), as Statuspage models them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime


class StatusComponentRow(Base):
    __tablename__ = "status_components"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    group_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    status: Mapped[str] = mapped_column(sa.String(32))  # as set; maintenance is applied when read
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusIncidentRow(Base):
    __tablename__ = "status_incidents"
    __table_args__ = (sa.Index("ix_status_incidents_kind_created", "kind", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # incident or maintenance
    name: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(16))
    impact: Mapped[str] = mapped_column(sa.String(16))
    # {component id: the state this incident gave it}; for a maintenance, the state is under_maintenance.
    components: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    internal_incident_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StatusUpdateRow(Base):
    __tablename__ = "status_incident_updates"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    status_incident_id: Mapped[str] = mapped_column(
        sa.ForeignKey("status_incidents.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    # [{code, name, old_status, new_status}] for the components this update changed.
    affected_components: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    actor: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
