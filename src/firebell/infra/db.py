"""Database engines and transactions: SQLite (WAL, durable commits) and PostgreSQL via psycopg 3."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True, slots=True)
class PoolRole:
    """What one pool of connections is for, and how long its work may wait and take.

    `wait` is how long a caller waits for a free connection; `statement` and `lock` bound each
    statement and each lock wait (seconds, 0: no bound). On PostgreSQL they are the session's
    statement_timeout and lock_timeout, and the client gives up on a server that sends nothing for
    `statement` + IO_GRACE seconds (a stopped server still acknowledges TCP, so only the client can
    tell). On SQLite `lock` is the busy timeout and `statement` interrupts a statement running longer.
    """

    name: str = "default"
    size: int = 10
    overflow: int = 20
    wait: float = 30.0
    connect: float = 10.0
    statement: float = 0.0
    lock: float = 30.0


DEFAULT_ROLE = PoolRole()
# How much longer than its statement timeout the client waits for a server's answer before it gives
# the connection up: the server's own timeout fires first whenever the server is running at all.
IO_GRACE = 2.0
PING_WITHIN = 1.0


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", role: PoolRole = DEFAULT_ROLE) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys, a busy timeout and explicit BEGINs."""
    # Errors about the URL name its parts, never the URL: it may hold a password.
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise ValueError("the database URL does not parse: write dialect+driver://user:password@host/db") from None
    if url.startswith("sqlite"):
        return _sqlite_engine(url, sqlite_synchronous, role)
    if "@" in (parsed.host or ""):  # the driver's errors would quote the password's tail as the host's name
        raise ValueError("the database URL's password holds a bare '@': write it as %40")
    try:
        engine = sa.create_engine(
            url,
            pool_size=role.size,
            max_overflow=role.overflow,
            pool_timeout=role.wait,
            pool_pre_ping=True,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )
    except sa.exc.NoSuchModuleError:
        raise ValueError(f"the database URL names no installed driver: {parsed.drivername}") from None
    options = " ".join(
        f"-c {name}={int(seconds * 1000)}"
        for name, seconds in (("statement_timeout", role.statement), ("lock_timeout", role.lock))
        if seconds
    )
    answer_within = role.statement + IO_GRACE if role.statement else None

    @sa.event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        cparams.setdefault("connect_timeout", max(2, round(role.connect)))
        if options:
            cparams["options"] = f"{cparams.get('options', '')} {options}".strip()
        conn = _AnsweringConnection.connect(*cargs, **cparams)
        conn.answer_within = answer_within
        return conn

    # The pool pings a connection before handing it out again: a server that answers no ping within
    # PING_WITHIN is given up on at once, not after a statement's allowance.
    @sa.event.listens_for(engine, "checkin")
    def _idle(dbapi_conn: Any, _record: Any) -> None:
        if isinstance(dbapi_conn, _AnsweringConnection):
            dbapi_conn.answer_within = PING_WITHIN

    @sa.event.listens_for(engine, "checkout")
    def _busy(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if isinstance(dbapi_conn, _AnsweringConnection):
            dbapi_conn.answer_within = answer_within

    return engine


class _AnsweringConnection(psycopg.Connection[Any]):
    """A psycopg connection that gives up on a server sending nothing for `answer_within` seconds.

    Every exchange with the server (a statement, a commit, the pool's ping) goes through `wait`. A
    server that has stopped (SIGSTOP, a hung host, a dead network path that still acknowledges) would
    otherwise keep the caller, and its pooled connection, forever; here the connection is closed,
    so the pool drops it and the caller gets an OperationalError (503).
    """

    answer_within: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        try:
            return super().wait(gen, interval, timeout if timeout is not None else self.answer_within)
        except psycopg.errors.OperationalError as exc:
            if type(exc).__name__ != "_WaitTimeout":
                raise
            self.pgconn.finish()  # its state is unknown: never hand it out again
            raise psycopg.OperationalError(f"the database did not answer within {self.answer_within:g} s") from None


def _sqlite_engine(url: str, synchronous: str, role: PoolRole) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": role.lock},
        pool_size=role.size,
        max_overflow=role.overflow,
        pool_timeout=role.wait,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(role.lock * 1000)}")
        # Checkpoints run in the background engine (infra/checkpoint.py), not inside a commit
        # that a sender is waiting on.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()
        if role.statement:
            deadline = _Deadline()
            record.info["deadline"] = deadline
            dbapi_conn.set_progress_handler(deadline.passed, 10_000)

    if role.statement:

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _started(conn: Connection, *_args: Any) -> None:
            deadline = conn.info.get("deadline")
            if deadline is not None:
                deadline.at = time.monotonic() + role.statement

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _finished(conn: Connection, *_args: Any) -> None:
            deadline = conn.info.get("deadline")
            if deadline is not None:
                deadline.at = math.inf

        @sa.event.listens_for(engine, "handle_error")
        def _failed(context: sa.engine.ExceptionContext) -> None:
            deadline = context.connection.info.get("deadline") if context.connection is not None else None
            if deadline is not None:
                deadline.at = math.inf  # the rollback that follows is never interrupted

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front, so it never fails mid-transaction on a lock
        # upgrade; readers start deferred and never block writers under WAL.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class _Deadline:
    """When the statement running on one SQLite connection is to be interrupted (SQLITE_INTERRUPT)."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf

    def passed(self) -> int:
        return 1 if time.monotonic() > self.at else 0


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
