"""Tables of playbooks: the stored ones (custom playbooks and edited copies of the shipped ones) and
which playbooks are attached to which incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime


class PlaybookRow(Base):
    """A custom playbook, or an operator's edit of a shipped one (same key: it replaces it)."""

    __tablename__ = "playbooks"

    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    incident_type: Mapped[str] = mapped_column(sa.String(32))
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the validated playbook, phases and steps
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(sa.String(200), default="")


class IncidentPlaybookRow(Base):
    """A playbook attached to an incident; its steps were copied into the incident's checklists then,
    so later edits or deletion of the playbook leave the incident as it was."""

    __tablename__ = "incident_playbooks"
    __table_args__ = (sa.UniqueConstraint("incident_id", "playbook_key"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    playbook_key: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(120))  # as it was when attached
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attached_by: Mapped[str] = mapped_column(sa.String(200), default="")
