"""The audit log: one row per row changed by a person or a token, with the row before and after.

Rows are only ever added. On both databases triggers refuse UPDATE and DELETE on the table, so not
even a bug in Firebell (or a hand-written SQL statement through Firebell's own role) can rewrite it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, NullableJSON, UTCDateTime


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_entity", "entity", "entity_id", "id"),
        sa.Index("ix_audit_log_actor", "actor", "id"),
        sa.Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(320))
    actor_user_id: Mapped[str | None] = mapped_column(sa.String(26), nullable=True)
    via: Mapped[str] = mapped_column(sa.String(200))  # "POST /api/v1/services", "cli: firebell user create"
    action: Mapped[str] = mapped_column(sa.String(16))  # insert, update, delete
    entity: Mapped[str] = mapped_column(sa.String(64))  # the table
    entity_id: Mapped[str] = mapped_column(sa.String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON, nullable=True)
