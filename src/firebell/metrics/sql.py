"""SQL expressions the two databases spell differently: durations, buckets, the earliest of several
timestamps. Everything else in the metric queries is portable SQL."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Bucket = Literal["week", "month"]
_FAR: sa.ColumnElement[str] = sa.literal_column("'9999-12-31'")


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def seconds_between(conn: Connection, start: Any, end: Any) -> sa.ColumnElement[Any]:
    """`end - start` in seconds (SQLite keeps timestamps as text; julianday reads them)."""
    if is_sqlite(conn):
        return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0
    return sa.extract("epoch", end - start)


def earliest(conn: Connection, *columns: Any) -> sa.ColumnElement[Any]:
    """The earliest of timestamps that may be NULL; NULL when all are."""
    if not is_sqlite(conn):
        return sa.func.least(*columns)  # PostgreSQL's LEAST skips NULLs
    # SQLite's scalar min() is NULL if any argument is: stand in a far date for the missing ones.
    return sa.func.nullif(sa.func.min(*(sa.func.coalesce(c, _FAR) for c in columns)), _FAR)


def bucket(conn: Connection, column: Any, size: Bucket) -> sa.ColumnElement[str]:
    """The UTC week (its Monday, `YYYY-MM-DD`) or month (`YYYY-MM`) a timestamp falls in."""
    if is_sqlite(conn):
        if size == "week":
            return sa.func.strftime("%Y-%m-%d", column, "weekday 0", "-6 days")
        return sa.func.strftime("%Y-%m", column)
    utc = sa.func.timezone("UTC", column)
    if size == "week":
        return sa.func.to_char(sa.func.date_trunc("week", utc), "YYYY-MM-DD")
    return sa.func.to_char(utc, "YYYY-MM")


def hour(conn: Connection, column: Any) -> sa.ColumnElement[str]:
    """The UTC clock hour a timestamp falls in, as text: for counting hours interrupted."""
    if is_sqlite(conn):
        return sa.func.strftime("%Y-%m-%d %H", column)
    return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24")


def day(conn: Connection, column: Any) -> sa.ColumnElement[Any]:
    """The UTC date of a timestamp, comparable with a DATE column."""
    if is_sqlite(conn):
        return sa.func.date(column)
    return sa.cast(sa.func.timezone("UTC", column), sa.Date)


def date_bucket(conn: Connection, column: Any, size: Bucket) -> sa.ColumnElement[str]:
    """The same buckets for a DATE column."""
    if is_sqlite(conn):
        return bucket(conn, column, size)
    if size == "week":
        return sa.func.to_char(sa.func.date_trunc("week", column), "YYYY-MM-DD")
    return sa.func.to_char(column, "YYYY-MM")
