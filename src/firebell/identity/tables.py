"""Tables of identity: users, API tokens and browser sessions. Secrets are stored hashed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, NullableJSON, UTCDateTime


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    # admin (everything, everywhere), responder or viewer: the role on what belongs to no team
    role: Mapped[str] = mapped_column(sa.String(16), default="responder", server_default="responder")
    # Set for a person who logs in through single sign-on: the provider's subject identifier.
    sso_subject: Mapped[str | None] = mapped_column(sa.String(255), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # On-call details: how schedules, policies and YAML name a person, and where they live.
    handle: Mapped[str | None] = mapped_column(sa.String(100), unique=True, nullable=True)
    phone: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    slack_member_id: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")
    # When a page that waits for working hours reaches this person ({"windows": [...]}, in their
    # time zone); None: Monday to Friday, 09:00 to 17:00.
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON, nullable=True)
    # Set while the person may not log in, use tokens or be paged; cleared when enabled again.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the person was deleted: the row stays (with its name) so history still names them.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[str] = mapped_column(sa.String(200))
    user_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # None: never


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PasswordResetRow(Base):
    """A one-time link an admin issued for a person to set a new password; stored only as a digest."""

    __tablename__ = "password_resets"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
