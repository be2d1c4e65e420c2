"""paging the right people: grouping modes, urgency and working hours, team-owned policies and
runbooks, paging timers (unresolved escalation, acknowledgement timeout), who acknowledged, paging
gaps, why each alert joined its incident, and severity targets kept in the database

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _nullable_json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(sa.dialects.postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grouping_mode", sa.String(length=16), server_default="alert", nullable=False))
        batch_op.add_column(sa.Column("urgency", _json(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("working_hours", _nullable_json(), nullable=True))
    # Services that named labels to group by keep grouping by them; the rest group by alert identity.
    op.execute(sa.text("UPDATE services SET grouping_mode = 'labels' WHERE group_by_labels IS NOT NULL"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("UPDATE services SET grouping_mode = 'alert' WHERE jsonb_array_length(group_by_labels) = 0"))
    else:
        op.execute(sa.text("UPDATE services SET grouping_mode = 'alert' WHERE json_array_length(group_by_labels) = 0"))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("working_hours", _nullable_json(), nullable=True))

    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column("rules", _json(), server_default="{}", nullable=False))
        batch_op.create_foreign_key(
            op.f("fk_escalation_policies_team_id_teams"), "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("runbooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=26), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_runbooks_team_id_teams"), "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sev", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="policy", nullable=False))

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column("page_gap", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_incidents_acknowledged_by_users"), "users", ["acknowledged_by"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("join_reason", sa.String(length=300), nullable=True))

    op.create_table(
        "paging_timers",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("incident_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sev", sa.String(length=8), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("policy_id", sa.String(length=26), nullable=True),
        sa.Column("user_id", sa.String(length=26), nullable=True),
        sa.Column("target", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name=op.f("fk_paging_timers_incident_id_incidents")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["escalation_policies.id"], name=op.f("fk_paging_timers_policy_id_escalation_policies")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_paging_timers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paging_timers")),
    )
    op.create_index("ix_paging_timers_due", "paging_timers", ["state", "due_at"], unique=False)
    op.create_index("ix_paging_timers_incident_id", "paging_timers", ["incident_id"], unique=False)

    op.create_table(
        "severity_targets",
        sa.Column("sev", sa.String(length=8), nullable=False),
        sa.Column("targets", _json(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sev", name=op.f("pk_severity_targets")),
    )


def downgrade() -> None:
    op.drop_table("severity_targets")
    op.drop_index("ix_paging_timers_incident_id", table_name="paging_timers")
    op.drop_index("ix_paging_timers_due", table_name="paging_timers")
    op.drop_table("paging_timers")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("join_reason")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_incidents_acknowledged_by_users"), type_="foreignkey")
        batch_op.drop_column("page_gap")
        batch_op.drop_column("acknowledged_by")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("kind")
        batch_op.drop_column("sev")
    with op.batch_alter_table("runbooks", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_runbooks_team_id_teams"), type_="foreignkey")
        batch_op.drop_column("team_id")
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_escalation_policies_team_id_teams"), type_="foreignkey")
        batch_op.drop_column("rules")
        batch_op.drop_column("team_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("working_hours")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("working_hours")
        batch_op.drop_column("urgency")
        batch_op.drop_column("grouping_mode")
