"""forwarding: an integration's old tool to forward accepted bodies to, and the forwards outbox

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integrations") as batch:
        batch.add_column(sa.Column("forward_to", sa.String(2000), nullable=True))
        batch.add_column(sa.Column("forward_status", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("forward_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("forward_failures", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "forwards",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("integration_id", sa.String(26), nullable=False),
        sa.Column("url", sa.String(4000), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_forwards_status_due", "forwards", ["status", "due_at"])
    op.create_index("ix_forwards_integration", "forwards", ["integration_id", "status", "queued_at"])


def downgrade() -> None:
    op.drop_index("ix_forwards_integration", table_name="forwards")
    op.drop_index("ix_forwards_status_due", table_name="forwards")
    op.drop_table("forwards")
    with op.batch_alter_table("integrations") as batch:
        batch.drop_column("forward_failures")
        batch.drop_column("forward_at")
        batch.drop_column("forward_status")
        batch.drop_column("forward_to")
