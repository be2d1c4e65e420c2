"""Tables of the incident domain: incidents and their timelines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from firebell.infra.sqltypes import Base, JSONType, UTCDateTime

# An incident is open unless resolved or closed: the words of the partial index the lists of open
# incidents use (a query must say it the same way for the planner to pick the index).
OPEN_WHERE = "status NOT IN ('resolved', 'closed')"


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        sa.Index("ix_incidents_group", "service_id", "group_key", "status"),
        sa.Index("ix_incidents_opened", "opened_at"),
        sa.Index("ix_incidents_status_opened", "status", "opened_at"),  # the open ones, oldest first
        # The list filters by service and by severity, newest first.
        sa.Index("ix_incidents_service_opened", "service_id", "opened_at"),
        sa.Index("ix_incidents_sev_opened", "sev", "opened_at"),
        sa.Index(
            "ix_incidents_open_opened",
            "opened_at",
            "number",
            sqlite_where=sa.text(OPEN_WHERE),
            postgresql_where=sa.text(OPEN_WHERE),
        ),
        sa.Index("ix_incidents_resolved", "resolved_at"),  # recently resolved (postmortem drafts, metrics)
        sa.Index("ix_incidents_recurrence", "service_id", "recurrence_key", "opened_at"),
        # Every figure the metrics read, so that a period's incidents are read from the index alone.
        sa.Index(
            "ix_incidents_metrics",
            "opened_at",
            "drill_id",
            "service_id",
            "sev",
            "recurs",
            "resolved_at",
            "seconds_to_ack",
            "seconds_to_identify",
            "seconds_to_resolve",
        ),
        # Each response time in order, for its median and percentiles over long periods.
        *(
            sa.Index(f"ix_incidents_{span}", span, "opened_at", "drill_id", "service_id", "sev")
            for span in ("seconds_to_ack", "seconds_to_identify", "seconds_to_resolve")
        ),
        sa.Index(
            "uq_incidents_external_ref",
            "external_ref",
            unique=True,
            sqlite_where=sa.text("external_ref IS NOT NULL"),
            postgresql_where=sa.text("external_ref IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, unique=True)
    title: Mapped[str] = mapped_column(sa.String(1024))
    status: Mapped[str] = mapped_column(sa.String(16))
    sev: Mapped[str] = mapped_column(sa.String(8))
    service_id: Mapped[str | None] = mapped_column(sa.ForeignKey("services.id"), nullable=True)
    group_key: Mapped[str] = mapped_column(sa.String(1024), default="")
    runbook_url: Mapped[str | None] = mapped_column(sa.String(2000), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When each working state was first reached (for MTTI and the other metrics).
    investigating_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolving_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Declared by hand: who, from what (user report, support ticket, ...), the impact in words, and
    # every service it touches (service_id is the main one).
    declared_by: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    detection_source: Mapped[str] = mapped_column(sa.String(32), default="alert", server_default="alert")
    impact: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    affected_service_ids: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    # The war room: `#incident-YYYY-MM-DD-short-description`, and its Slack channel id once created.
    war_room: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    # Set on the incident a drill's synthetic alert opened: it is practice, kept out of the metrics.
    drill_id: Mapped[str | None] = mapped_column(sa.String(26), nullable=True)
    # What makes two incidents "the same problem" for the recurrence rate (see incidents.recurrence).
    recurrence_key: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    # Whether another incident of the service with the same key opened in the 90 days before this one.
    recurs: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # The response times, kept as the stamps change (see incidents.spans): the metrics read these.
    seconds_to_ack: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    seconds_to_identify: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    seconds_to_resolve: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    # Set on an incident imported from another tool's export: "<source>:<its id>".
    external_ref: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    # The person whose acknowledgement moved it out of DETECTED (None: an alert source, or nobody yet).
    acknowledged_by: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # Why paging has reached nobody yet (no_policy, nobody_on_call, no_contact_methods,
    # delivery_failed); None once someone was reached, or when nothing was meant to page.
    page_gap: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)


class IncidentEventRow(Base):
    __tablename__ = "incident_events"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(sa.String(64))
    actor: Mapped[str] = mapped_column(sa.String(200), default="")
    message: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class IncidentRoleRow(Base):
    """Who holds (or held) which role on an incident: several SMEs; one person may hold several roles.
    A handover ends the old row rather than deleting it, so the time the team was first assembled
    stays known."""

    __tablename__ = "incident_roles"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(sa.String(200), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChecklistItemRow(Base):
    """One item of an incident's checklists, written when the incident's checklists are first used."""

    __tablename__ = "incident_checklist_items"
    __table_args__ = (sa.UniqueConstraint("incident_id", "list_key", "item_key"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    list_key: Mapped[str] = mapped_column(sa.String(64))  # a phase ("detection") or a role ("role:scribe")
    item_key: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(sa.Integer)
    text: Mapped[str] = mapped_column(sa.String(500))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str] = mapped_column(sa.String(200), default="")
    # The title of a list that is not one of the built-in ones (a playbook's phase).
    list_title: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)


class TargetBreachRow(Base):
    """A response target an incident missed, recorded once per target and deadline."""

    __tablename__ = "incident_target_breaches"
    __table_args__ = (sa.UniqueConstraint("incident_id", "target", "due_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    target: Mapped[str] = mapped_column(sa.String(32))  # acknowledge, assemble, update
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MitigationRow(Base):
    """One pass through the mitigation decision tree: the answers, the strategy, and how it went."""

    __tablename__ = "incident_mitigations"

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"), index=True)
    answers: Mapped[dict[str, bool]] = mapped_column(JSONType, default=dict)
    strategy: Mapped[str] = mapped_column(sa.String(32))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chosen_by: Mapped[str] = mapped_column(sa.String(200), default="")
    outcome: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)  # resolved, not_resolved
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")


class CommunicationRow(Base):
    """A message sent about an incident (its deliveries are in the delivery log)."""

    __tablename__ = "incident_communications"
    __table_args__ = (sa.Index("ix_incident_communications_sent", "incident_id", "sent_at"),)

    id: Mapped[str] = mapped_column(sa.String(26), primary_key=True)
    incident_id: Mapped[str] = mapped_column(sa.ForeignKey("incidents.id"))
    template: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)  # as shown: "#incidents", emails
    counts_as_update: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by: Mapped[str] = mapped_column(sa.String(200), default="")


class MessageTemplateRow(Base):
    """An operator's edit of one of the shipped communication templates."""

    __tablename__ = "message_templates"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(sa.String(200), default="")


class SeverityTargetsRow(Base):
    """A severity's response targets as configured (the playbook's values where a field is absent)."""

    __tablename__ = "severity_targets"

    sev: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    targets: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
