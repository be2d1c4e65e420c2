"""The migrations build exactly the schema the table classes describe, and step down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from firebell.infra import migrate
from firebell.infra.db import make_engine


def test_migrations_match_the_tables_and_downgrade_cleanly(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, migrate.target_metadata()) == []
            assert migrate.current(conn) == migrate.head()
        migrate.downgrade(engine, "0001")
        with engine.connect() as conn:
            assert migrate.current(conn) == "0001"
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
    finally:
        engine.dispose()
