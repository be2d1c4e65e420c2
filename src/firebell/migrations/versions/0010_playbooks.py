"""playbooks: stored playbooks, the playbooks attached to incidents, and checklist list titles

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "playbooks",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("incident_type", sa.String(length=32), nullable=False),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_playbooks")),
    )
    op.create_table(
        "incident_playbooks",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("incident_id", sa.String(length=26), nullable=False),
        sa.Column("playbook_key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attached_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_playbooks_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_playbooks")),
        sa.UniqueConstraint("incident_id", "playbook_key", name=op.f("uq_incident_playbooks_incident_id")),
    )
    with op.batch_alter_table("incident_playbooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_playbooks_incident_id"), ["incident_id"], unique=False)
    with op.batch_alter_table("incident_checklist_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_title", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incident_checklist_items", schema=None) as batch_op:
        batch_op.drop_column("list_title")
    with op.batch_alter_table("incident_playbooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_playbooks_incident_id"))
    op.drop_table("incident_playbooks")
    op.drop_table("playbooks")
