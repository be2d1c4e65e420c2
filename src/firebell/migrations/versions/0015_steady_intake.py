"""steady intake: indexes behind the alert and incident list filters, and planner statistics that
keep up with the intake tables on PostgreSQL

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# PostgreSQL analyzes a table by default once 10% of it changed: at a million alerts, a hundred
# thousand writes with stale statistics. These tables are analyzed after 1% (and 1,000 rows).
_ANALYZED_OFTEN = ("alerts", "incidents", "raw_payloads")
_OPEN_INCIDENT = "status NOT IN ('resolved', 'closed')"


def upgrade() -> None:
    op.create_index("ix_alerts_status_seen", "alerts", ["status", "last_seen_at", "id"])
    op.create_index(
        "ix_alerts_open_seen",
        "alerts",
        ["last_seen_at", "id"],
        sqlite_where=sa.text("status != 'resolved'"),
        postgresql_where=sa.text("status != 'resolved'"),
    )
    op.create_index("ix_alerts_service_seen", "alerts", ["service_id", "last_seen_at", "id"])
    op.create_index("ix_alerts_verdict_seen", "alerts", ["verdict", "last_seen_at", "id"])
    op.create_index("ix_incidents_service_opened", "incidents", ["service_id", "opened_at"])
    op.create_index("ix_incidents_sev_opened", "incidents", ["sev", "opened_at"])
    op.create_index(
        "ix_incidents_open_opened",
        "incidents",
        ["opened_at", "number"],
        sqlite_where=sa.text(_OPEN_INCIDENT),
        postgresql_where=sa.text(_OPEN_INCIDENT),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in _ANALYZED_OFTEN:
            op.execute(
                sa.text(
                    f"ALTER TABLE {table} SET (autovacuum_analyze_scale_factor = 0.01, "
                    "autovacuum_analyze_threshold = 1000)"
                )
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _ANALYZED_OFTEN:
            op.execute(
                sa.text(f"ALTER TABLE {table} RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)")
            )
    op.drop_index("ix_incidents_open_opened", table_name="incidents")
    op.drop_index("ix_incidents_sev_opened", table_name="incidents")
    op.drop_index("ix_incidents_service_opened", table_name="incidents")
    op.drop_index("ix_alerts_verdict_seen", table_name="alerts")
    op.drop_index("ix_alerts_service_seen", table_name="alerts")
    op.drop_index("ix_alerts_open_seen", table_name="alerts")
    op.drop_index("ix_alerts_status_seen", table_name="alerts")
