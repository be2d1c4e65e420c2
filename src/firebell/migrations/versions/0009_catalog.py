"""catalog: SLOs, SLIs, dashboards and the Backstage facts of each service

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 12:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_JSON_LISTS = ("external_dependencies", "slos", "slis", "dashboards", "tags")
_TEXTS = (("lifecycle", 100, "production"), ("system", 200, ""), ("component_type", 100, "service"))


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        for name in _JSON_LISTS:
            batch_op.add_column(sa.Column(name, _json(), server_default="[]", nullable=False))
        for name, length, default in _TEXTS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), server_default=default, nullable=False))
        batch_op.add_column(sa.Column("backstage_annotations", _json(), server_default="{}", nullable=False))
    # Tiers are the runbook template's three now; a service marked 4 was the least critical, so 3.
    op.execute("UPDATE services SET tier = 3 WHERE tier > 3")


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("backstage_annotations")
        for name, _length, _default in reversed(_TEXTS):
            batch_op.drop_column(name)
        for name in reversed(_JSON_LISTS):
            batch_op.drop_column(name)
