"""Which database failures are the database's (503, 507) and which are bugs (500), by the driver's
own codes, on a real SQLite database."""

from __future__ import annotations

import time
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


def test_a_statement_over_its_time_is_interrupted_and_503(tmp_path: Path) -> None:
    from firebell.infra.db import PoolRole, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'slow.db'}", role=PoolRole("test", 1, 0, 1.0, 3.0, 0.2, 1.0))
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    started = time.monotonic()
    interrupted = _error(engine, slow)
    assert time.monotonic() - started < 5
    failure = storage_failure(interrupted)
    assert isinstance(failure, Unavailable)
    assert failure.retry_after == 1
    with engine.connect() as conn:  # the connection serves the next statement as ever
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()


def test_a_full_pool_is_a_503_with_a_short_retry(tmp_path: Path) -> None:
    from firebell.infra.db import PoolRole, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}", role=PoolRole("test", 1, 0, 0.1, 3.0, 0.0, 1.0))
    with engine.connect(), pytest.raises(sa.exc.TimeoutError) as raised, engine.connect():
        pass
    failure = storage_failure(raised.value)
    assert isinstance(failure, Unavailable)
    assert failure.retry_after == 1
    engine.dispose()
