"""Database failures that are not the request's fault, as the errors a client can act on.

An unreachable or restarting database is 503 Service Unavailable and a full disk 507 Insufficient
Storage, each with Retry-After; either way the transaction rolled back and nothing was stored.
The driver's own error codes decide (SQLite's result codes, PostgreSQL's SQLSTATE classes), never
the message text, which can carry the request's own data. Anything else stays a bug (500).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import psycopg
import sqlalchemy as sa

from firebell.kernel.errors import DomainError, StorageFull, Unavailable
from firebell.kernel.redact import without_passwords

_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_INTERRUPT, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 5, 6, 9, 10, 13, 14
# statement_timeout and lock_timeout fired: the database is slow or contended right now
_PG_TOO_SLOW = ("57014", "55P03")


def _down() -> DomainError:
    return Unavailable("the database is unavailable: nothing was stored; retry")


def _busy() -> DomainError:
    return Unavailable("the database is busy: nothing was stored; retry", retry_after=1)


def _crowded() -> DomainError:
    return Unavailable("the server is busy: no database connection came free in time; retry", retry_after=1)


def _full() -> DomainError:
    return StorageFull("the database's disk is full: nothing was stored; retry once there is room")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__ or current.__context__
    return seen


def _sqlite(error: sqlite3.Error) -> DomainError | None:
    code = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF  # the primary result code
    if code == _SQLITE_FULL:
        return _full()
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_INTERRUPT):
        return _busy()
    if code in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return _down()
    return None


def _postgres(error: psycopg.Error) -> DomainError | None:
    state = error.sqlstate
    if state == "53100":  # disk_full
        return _full()
    if state in _PG_TOO_SLOW:
        return _busy()
    if isinstance(error, psycopg.InterfaceError):
        return _down()
    if isinstance(error, psycopg.OperationalError) and (state is None or state.startswith(("08", "57P", "53"))):
        return _down()  # no connection, the server shutting down or starting, out of resources
    return None


def storage_failure(exc: BaseException) -> DomainError | None:
    """The 503 or 507 this failure means, or None when it is not the database's."""
    for error in _chain(exc):
        if isinstance(error, Unavailable | StorageFull):  # refused before the database was asked
            return error
        if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
            return _down()
        if isinstance(error, sa.exc.TimeoutError):  # the pool's wait for a free connection ran out
            return _crowded()
        if isinstance(error, sa.exc.DisconnectionError):
            return _down()
        if isinstance(error, sqlite3.Error):
            return _sqlite(error)
        if isinstance(error, psycopg.Error):
            return _postgres(error)
    return None


class FailureLog:
    """Logs failures: the database's (down, busy, full) as a warning of one line per event and kind
    every `every` seconds, saying how many like it were left out; any other with its traceback.

    A storage failure hits every request and every engine pass alike while it lasts, and a traceback
    for each would bury the one line that matters."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self._reported: dict[tuple[str, str], tuple[float, int]] = {}  # (event, kind) -> (logged at, left out)
        self._lock = threading.Lock()

    def report(self, logger: logging.Logger, event: str, exc: BaseException, **extra: object) -> DomainError | None:
        """Log `exc`; return the storage failure it is, or None."""
        failure = storage_failure(exc)
        if failure is None:
            logger.error(event, exc_info=exc, extra=extra)
            return None
        key = (event, failure.message)
        now = time.monotonic()
        with self._lock:
            last, left_out = self._reported.get(key, (float("-inf"), 0))
            if now - last < self.every:
                self._reported[key] = (last, left_out + 1)
                return failure
            self._reported[key] = (now, 0)
        more = f" ({left_out} more like it since the last line)" if left_out else ""
        logger.warning(
            "%s: %s [%s]%s",
            event,
            failure.message,
            _first_line(exc),
            more,
            extra={**extra, "failure": failure.code, "left_out": left_out},
        )
        return failure


report_failure = FailureLog().report  # the process's own, for requests and the clock


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return without_passwords((text.splitlines() or [type(exc).__name__])[0][:200])
