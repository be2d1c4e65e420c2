"""Schema migrations with Alembic, driven from code so an installed package can upgrade itself."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def target_metadata() -> sa.MetaData:
    """Every table, for autogenerate comparisons."""
    from firebell.actionitems import tables as _actionitems  # noqa: F401
    from firebell.alerts import tables as _alerts  # noqa: F401
    from firebell.audit import tables as _audit  # noqa: F401
    from firebell.catalog import tables as _catalog  # noqa: F401
    from firebell.changes import tables as _changes  # noqa: F401
    from firebell.drills import tables as _drills  # noqa: F401
    from firebell.heartbeats import tables as _heartbeats  # noqa: F401
    from firebell.identity import tables as _identity  # noqa: F401
    from firebell.incidents import tables as _incidents  # noqa: F401
    from firebell.infra.sqltypes import Base
    from firebell.oncall import tables as _oncall  # noqa: F401
    from firebell.paging import tables as _paging  # noqa: F401
    from firebell.playbooks import tables as _playbooks  # noqa: F401
    from firebell.postmortems import tables as _postmortems  # noqa: F401
    from firebell.runbooks import tables as _runbooks  # noqa: F401
    from firebell.statuspage import tables as _statuspage  # noqa: F401

    return Base.metadata


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the tables (a developer command)."""
    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)
