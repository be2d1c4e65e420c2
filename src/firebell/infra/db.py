"""Database engines and transactions: SQLite (WAL, durable commits) and PostgreSQL via psycopg 3."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys, a busy timeout and explicit BEGINs."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, sqlite_synchronous)
    return sa.create_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )


def _sqlite_engine(url: str, synchronous: str) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=8,
        max_overflow=16,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoints run in the background engine (infra/checkpoint.py), not inside a commit
        # that a sender is waiting on.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front, so it never fails mid-transaction on a lock
        # upgrade; readers start deferred and never block writers under WAL.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# Any constant works; it only has to be the same in every Firebell process sharing a database.
WRITE_LOCK = 0x46425249


@contextlib.contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """One transaction: committed if the block returns, rolled back if it raises.

    Write transactions run one at a time, as on SQLite (BEGIN IMMEDIATE): on PostgreSQL they take a
    transaction-scoped advisory lock first, so intake and a person moving the same incident never
    act on each other's stale reads (intake holds it per batch, API moves are rare and short).
    """
    with engine.connect() as conn:
        if not write:
            with conn.begin():
                yield conn
            return
        with write_transaction(writer_options(conn)):
            yield conn


def writer_options(conn: Connection) -> Connection:
    """The connection set up for write transactions (BEGIN IMMEDIATE on SQLite)."""
    return conn.execution_options(sqlite_immediate=True) if conn.dialect.name == "sqlite" else conn


@contextlib.contextmanager
def write_transaction(conn: Connection) -> Iterator[Connection]:
    """A write transaction on a connection prepared by `writer_options` (see `transaction`)."""
    with conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        yield conn


# Page cache of the long-lived intake writer connection, in KiB: large enough to keep the hot part of
# the alert indexes in memory (SQLite's default is 2 MiB).
WRITER_CACHE_KIB = 65_536


def dedicated_writer(engine: Engine) -> Connection:
    """A connection kept by one writer thread for its lifetime.

    Taking a pooled connection per batch would rotate among connections whose page caches another
    connection's writes have made stale, so every batch would read its index pages afresh.
    """
    conn = writer_options(engine.connect())
    if engine.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
    else:
        # The driver prepares a statement run often, and the server then settles on one generic plan
        # for it, blind to the values: for the dedup lookup that plan read every open alert of the
        # service (25 ms a batch at a million alerts, against 0.15 ms). Plan each run for its values.
        conn.exec_driver_sql("SET plan_cache_mode = force_custom_plan")
    conn.commit()
    return conn


@contextlib.contextmanager
def claim_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction for the background engine's claims.

    On SQLite it is an ordinary write transaction (BEGIN IMMEDIATE). On PostgreSQL it takes no
    advisory lock: claims lock their rows (`FOR UPDATE SKIP LOCKED`), so the engines of several
    processes work side by side and intake never waits for them.
    """
    with engine.connect() as conn:
        prepared = writer_options(conn)
        with prepared.begin():
            yield prepared
