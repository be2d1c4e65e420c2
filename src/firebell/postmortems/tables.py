"""Tables of postmortems: the document, its sign-offs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime


class PostmortemRow(Base):
    """One incident's postmortem. The facts Firebell knows (timeline, team, TTD) are read from the
    incident while it is being written, and frozen into `final_markdown` when it becomes final."""

    __tablename__ = "postmortems"
    __table_args__ = (sa.Index("ix_postmortems_status_due", "status", "due_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))  # draft, in_review, final
    owner_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    draft_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_symptom_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sections: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    tables: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    rca: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # five_whys, fishbone, fault_tree
    meeting: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # when, attendees, checklist ticks
    version: Mapped[int] = mapped_column(sa.Integer, default=1)  # bumped by every edit; editors send it back
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(sa.String(200), default="")
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    final_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # overdue reminder sent


class SignOffRow(Base):
    __tablename__ = "postmortem_signoffs"
    __table_args__ = (sa.UniqueConstraint("postmortem_id", "role"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    postmortem_id: Mapped[str] = mapped_column(sa.ForeignKey("postmortems.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
