"""opsgenie api: request statuses, tiny ids and notes of the Opsgenie-compatible Alert API

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opsgenie_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("service_id", sa.String(26), nullable=False),
        sa.Column("integration_id", sa.String(26), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(300), nullable=False),
        sa.Column("alert_id", sa.String(26), nullable=True),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_opsgenie_requests_processed_at", "opsgenie_requests", ["processed_at"])
    op.create_table(
        "opsgenie_tiny_ids",
        sa.Column("tiny_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(26), nullable=False, unique=True),
    )
    op.create_table(
        "opsgenie_notes",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("alert_id", sa.String(26), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_opsgenie_notes_alert_id", "opsgenie_notes", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_opsgenie_notes_alert_id", "opsgenie_notes")
    op.drop_table("opsgenie_notes")
    op.drop_table("opsgenie_tiny_ids")
    op.drop_index("ix_opsgenie_requests_processed_at", "opsgenie_requests")
    op.drop_table("opsgenie_requests")
