"""Tables of on-call: people's contact methods and rules, teams, schedules, overrides, policies.

People are the identity domain's users (they gain a handle, a time zone and contact details here).
A schedule's layers and a policy's levels are stored as JSON documents: they are edited and read
whole, and the pure core (schedule.py, escalation.py) is built from them. Overrides have rows of
their own: they are added and removed one at a time, often.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime


class ContactMethodRow(Base):
    __tablename__ = "contact_methods"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    address: Mapped[str] = mapped_column(sa.String(2000))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    # Notify through this method once a page is this old (None: only when asked for explicitly).
    delay_seconds: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)


class TeamRow(Base):
    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TeamMemberRow(Base):
    __tablename__ = "team_members"

    team_id: Mapped[str] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    # viewer, responder or admin of the team; viewers are not paged when the team is
    role: Mapped[str] = mapped_column(sa.String(16), default="responder", server_default="responder")


class ScheduleRow(Base):
    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    zone: Mapped[str] = mapped_column(sa.String(64))
    layers: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    team_id: Mapped[str | None] = mapped_column(sa.ForeignKey("teams.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleOverrideRow(Base):
    __tablename__ = "schedule_overrides"
    __table_args__ = (sa.Index("ix_schedule_overrides_window", "schedule_id", "ends_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    schedule_id: Mapped[str] = mapped_column(sa.ForeignKey("schedules.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"))
    replaces_user_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EscalationPolicyRow(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    repeat: Mapped[int] = mapped_column(sa.Integer, default=0)
    levels: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    # The team whose admins may change it (None: site admins only).
    team_id: Mapped[str | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    # Unresolved escalation and the acknowledgement timeout (see oncall.escalation.PolicyRules).
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarFeedRow(Base):
    """A secret iCal URL: a schedule's shifts, or one person's shifts on every schedule."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    schedule_id: Mapped[str | None] = mapped_column(sa.ForeignKey("schedules.id", ondelete="CASCADE"), nullable=True)
    user_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the address answers 404
