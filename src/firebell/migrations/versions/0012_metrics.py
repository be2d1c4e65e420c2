"""metrics: alert names and responders' verdicts, incident recurrence keys, imported history, and the
indexes the metrics and reports read through

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 07:30:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TAG = re.compile(r"^\[[^\]]*\]\s*")


def _key(text: str) -> str:
    return " ".join(_TAG.sub("", text or "").lower().split())[:255]


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=255), server_default="", nullable=False))
        batch_op.add_column(sa.Column("verdict", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("verdict_by", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("verdict_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("external_ref", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_alerts_metrics", ["first_seen_at", "service_id", "name", "verdict"], unique=False)
        batch_op.create_index(
            "uq_alerts_external_ref",
            ["external_ref"],
            unique=True,
            sqlite_where=sa.text("external_ref IS NOT NULL"),
            postgresql_where=sa.text("external_ref IS NOT NULL"),
        )

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recurrence_key", sa.String(length=255), server_default="", nullable=False))
        batch_op.add_column(sa.Column("external_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("recurs", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("seconds_to_ack", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("seconds_to_identify", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("seconds_to_resolve", sa.Float(), nullable=True))
        batch_op.create_index("ix_incidents_recurrence", ["service_id", "recurrence_key", "opened_at"], unique=False)
        batch_op.create_index(
            "ix_incidents_metrics",
            [
                "opened_at",
                "drill_id",
                "service_id",
                "sev",
                "recurs",
                "resolved_at",
                "seconds_to_ack",
                "seconds_to_identify",
                "seconds_to_resolve",
            ],
            unique=False,
        )
        for span in ("seconds_to_ack", "seconds_to_identify", "seconds_to_resolve"):
            batch_op.create_index(f"ix_incidents_{span}", [span, "opened_at", "drill_id", "service_id", "sev"])
        batch_op.create_index(
            "uq_incidents_external_ref",
            ["external_ref"],
            unique=True,
            sqlite_where=sa.text("external_ref IS NOT NULL"),
            postgresql_where=sa.text("external_ref IS NOT NULL"),
        )

    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.create_index("ix_pages_paged", ["paged_at", "user_id", "after_hours", "incident_id"], unique=False)

    op.create_table(
        "alert_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_id", sa.String(length=26), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("no_action", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "service_id", name=op.f("pk_alert_days")),
    )

    # Existing rows: an alert is named by its summary (the alertname label is not reachable in
    # portable SQL); an incident recurs under its first alert's name, else its title without the tag.
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE alerts SET name = substr(summary, 1, 255)"))
    names = conn.execute(
        sa.text(
            "SELECT i.id, i.title, (SELECT a.summary FROM alerts a WHERE a.incident_id = i.id "
            "ORDER BY a.first_seen_at LIMIT 1) FROM incidents i"
        )
    ).all()
    for incident_id, title, first_alert in names:
        conn.execute(
            sa.text("UPDATE incidents SET recurrence_key = :key WHERE id = :id"),
            {"key": _key(str(first_alert or title or "")), "id": incident_id},
        )
    # The response times and recurrence flags of the incidents there are.
    from firebell.metrics.derived import refresh

    refresh(conn)


def downgrade() -> None:
    op.drop_table("alert_days")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_index("ix_pages_paged")

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("uq_incidents_external_ref")
        for span in ("seconds_to_ack", "seconds_to_identify", "seconds_to_resolve"):
            batch_op.drop_index(f"ix_incidents_{span}")
        batch_op.drop_index("ix_incidents_metrics")
        batch_op.drop_index("ix_incidents_recurrence")
        batch_op.drop_column("seconds_to_resolve")
        batch_op.drop_column("seconds_to_identify")
        batch_op.drop_column("seconds_to_ack")
        batch_op.drop_column("recurs")
        batch_op.drop_column("external_ref")
        batch_op.drop_column("recurrence_key")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("uq_alerts_external_ref")
        batch_op.drop_index("ix_alerts_metrics")
        batch_op.drop_column("external_ref")
        batch_op.drop_column("verdict_at")
        batch_op.drop_column("verdict_by")
        batch_op.drop_column("verdict")
        batch_op.drop_column("name")
