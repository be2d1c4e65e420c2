"""Alembic environment: runs on the connection handed in by `firebell.infra.migrate`."""

from __future__ import annotations

from alembic import context

from firebell.infra.migrate import target_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `firebell db upgrade`")

context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
