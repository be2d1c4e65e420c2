"""Which database failures are the database's (503, 507) and which are bugs (500), by the driver's
own codes, on a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from firebell.infra.failures import storage_failure
from firebell.kernel.errors import StorageFull, Unavailable


def _error(engine: sa.Engine, *statements: str) -> Exception:
    """The error the last statement raises."""
    with engine.begin() as conn:
        for statement in statements[:-1]:
            conn.exec_driver_sql(statement)
        with pytest.raises(sa.exc.DBAPIError) as raised:
            conn.exec_driver_sql(statements[-1])
        conn.rollback()
    return raised.value


def test_a_full_database_is_507_and_a_bug_is_not_mapped(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'small.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (body TEXT)")
    full = _error(engine, "PRAGMA max_page_count = 3", "INSERT INTO t VALUES (printf('%.100000c', 'x'))")
    assert isinstance(storage_failure(full), StorageFull)
    # A mistake in SQL is a bug, even when the data mentions a full disk.
    bug = _error(engine, "SELECT nope FROM t WHERE body = 'database or disk is full'")
    assert storage_failure(bug) is None


def test_a_locked_database_is_503_with_a_short_retry(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sa.create_engine(f"sqlite:///{path}")
    waiter = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    with holder.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INT)")
        conn.commit()
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        locked = _error(waiter, "BEGIN IMMEDIATE")
        conn.rollback()
    mapped = storage_failure(locked)
    assert isinstance(mapped, Unavailable)
    assert mapped.retry_after == 1
