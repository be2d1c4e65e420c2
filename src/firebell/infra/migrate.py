"""Schema migrations with Alembic, driven from code so an installed package can upgrade itself.

Several nodes may upgrade one database at once (`firebell db upgrade` run twice, or nodes starting
together, since `serve` upgrades first): an upgrade holds a lock for its whole transaction, a
PostgreSQL advisory lock or, on SQLite, a lock file beside the database. A node that finds it taken
says so in one line, waits, and then finds the schema current and goes on.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same in every Firebell process sharing a database
# (and differ from infra/db.py's WRITE_LOCK).
MIGRATE_LOCK = 0x46424D47

log = logging.getLogger("firebell.migrate")
WAITING = "another node is migrating this database: waiting for it to finish"


def _say_waiting() -> None:
    log.warning(WAITING)


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


def upgrade(engine: Engine, revision: str = "head", *, on_wait: Callable[[], None] = _say_waiting) -> None:
    """Apply the migrations up to `revision`, one node at a time (`on_wait` once if another is at it)."""
    with _file_lock(engine, on_wait), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            taken = conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK}).scalar()
            if not taken:
                on_wait()
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
        command.upgrade(_config(conn), revision)


@contextlib.contextmanager
def _file_lock(engine: Engine, on_wait: Callable[[], None]) -> Iterator[None]:
    """On a SQLite database file: an exclusive lock on `<database>.migrate-lock` (else nothing)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


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
