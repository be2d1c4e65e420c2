"""Tables of paging: escalations (the durable timers), pages, deliveries and their attempts.

An escalation row is written in the same transaction that opens its incident, with `next_due_at`
set to that instant, so a committed incident always has its first page pending. The engine moves
`next_due_at` forward as it pages each level and clears it when the escalation ends.

A delivery is one notification to one address; it is claimed with a lease (`lease_until`) while it
is being sent, so a process that dies mid-send only delays it until the lease runs out. Every
attempt, whatever its outcome, is a row of `delivery_attempts`: the delivery log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, NullableJSON, UTCDateTime


class EscalationRow(Base):
    __tablename__ = "escalations"
    __table_args__ = (sa.Index("ix_escalations_due", "state", "next_due_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    # The policy to run, or (for an incident reassigned to one person) the person to page.
    policy_id: Mapped[str | None] = mapped_column(sa.ForeignKey("escalation_policies.id"), nullable=True)
    assignee_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    state: Mapped[str] = mapped_column(sa.String(16))  # active, acknowledged, resolved, exhausted, replaced
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    steps_taken: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # An escalation started part-way through its policy (escalated by hand) is answered only by an
    # acknowledgement after this instant; its started_at lies in the past so the level falls due now.
    answer_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A drill's escalation notifies only these people, in place of whoever its policy reaches.
    only_user_ids: Mapped[list[str] | None] = mapped_column(NullableJSON, nullable=True)
    # The severity the policy runs for (levels limited to some severities, urgency); None: as the incident.
    sev: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    # policy (the service's or a reassignment), responder (a person added), unresolved, ack_timeout
    kind: Mapped[str] = mapped_column(sa.String(16), default="policy", server_default="policy")


class PageRow(Base):
    """One person paged by one escalation step."""

    __tablename__ = "pages"
    __table_args__ = (
        sa.UniqueConstraint("escalation_id", "step", "user_id"),
        # On-call load by period, read from the index alone.
        sa.Index("ix_pages_paged", "paged_at", "user_id", "after_hours", "incident_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    escalation_id: Mapped[str] = mapped_column(sa.ForeignKey("escalations.id"))
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"))
    step: Mapped[int] = mapped_column(sa.Integer)
    level: Mapped[int] = mapped_column(sa.Integer)  # 1-based, as people speak of levels
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the policy said to page
    paged_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the engine did
    after_hours: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (sa.Index("ix_deliveries_due", "status", "due_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    page_id: Mapped[str | None] = mapped_column(sa.ForeignKey("pages.id"), nullable=True, index=True)
    incident_id: Mapped[str | None] = mapped_column(sa.ForeignKey("incidents.id"), nullable=True, index=True)
    user_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    channel: Mapped[str] = mapped_column(sa.String(32))
    address: Mapped[str] = mapped_column(sa.String(2000))
    message: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # what the channel renders
    status: Mapped[str] = mapped_column(sa.String(16))  # pending, sent, failed, cancelled
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeliveryAttemptRow(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(sa.ForeignKey("deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    latency_ms: Mapped[float] = mapped_column(sa.Float)
    outcome: Mapped[str] = mapped_column(sa.String(16))  # sent, retry, failed
    error: Mapped[str] = mapped_column(sa.Text, default="")
    node: Mapped[str] = mapped_column(sa.String(100), default="")


class PagingTimerRow(Base):
    """A durable timer of an incident's paging beyond its escalation: page further when it is still
    unresolved after a while (`unresolved`), or page the acknowledger again (`ack_timeout`)."""

    __tablename__ = "paging_timers"
    __table_args__ = (sa.Index("ix_paging_timers_due", "state", "due_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # unresolved, ack_timeout
    sev: Mapped[str] = mapped_column(sa.String(8))  # the severity whose rule set it
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(16))  # pending, done, cancelled
    policy_id: Mapped[str | None] = mapped_column(sa.ForeignKey("escalation_policies.id"), nullable=True)
    user_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    target: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # whom to page (see paging.timers)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
