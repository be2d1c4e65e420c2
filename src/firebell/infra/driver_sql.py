"""Hand-written SQL on the driver, for the intake hot path.

SQLAlchemy Core costs about 0.1 ms of Python per statement; at thousands of alerts a second that is
most of the budget. Statements here are written once with `:name` parameters and run straight on
the DBAPI cursor of the caller's SQLAlchemy connection, inside its transaction. Values are stored
exactly as the typed tables store them (see sqltypes.py), so the ORM-side readers see no difference.

Parameters are always bound by position (`?`, or `%s` on PostgreSQL): Python's sqlite3 driver
releases and retakes the GIL for every *named* parameter it binds, and while the event loop is busy
each retake can wait a thread switch interval, so a 500-key lookup took 20 ms instead of 1 ms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection

_NAMED = re.compile(r"(?<!:):(\w+)")
# Bound parameters per statement: under SQLite's lowest default limit (32,766).
_MAX_PARAMETERS = 32_000
# One PostgreSQL COPY carries at most this many rows, so a large import is a series of short
# statements, each far inside the web statement timeout even on a busy server.
_ROWS_PER_COPY = 5_000


@lru_cache(maxsize=256)
def _positional(sql: str, sqlite: bool) -> tuple[str, tuple[str, ...]]:
    """`sql` with each `:name` replaced by a positional mark, and the names in order."""
    names = tuple(_NAMED.findall(sql))
    if sqlite:
        return _NAMED.sub("?", sql), names
    return _NAMED.sub("%s", sql.replace("%", "%%")), names


class DriverSql:
    def __init__(self, conn: Connection) -> None:
        self.sqlite = conn.dialect.name == "sqlite"
        self.cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self._formatted: dict[datetime, str] = {}

    def execute(self, text: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        sql, names = _positional(text, self.sqlite)
        self.cursor.execute(sql, [params[name] for name in names] if params else [])
        return list(self.cursor.fetchall()) if self.cursor.description else []

    def executemany(self, text: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            sql, names = _positional(text, self.sqlite)
            self.cursor.executemany(sql, [[row[name] for name in names] for row in rows])

    def fetch_positional(
        self, sql: str, values: Sequence[Any], *, planned_each_time: bool = False
    ) -> list[tuple[Any, ...]]:
        """Run `sql` written with `mark` placeholders; its rows. `planned_each_time`: never prepared on
        PostgreSQL, so the server plans it for its own values every run instead of settling on one
        generic plan blind to them (the rest of the writer's statements keep their prepared plans)."""
        if planned_each_time and not self.sqlite:
            self.cursor.execute(sql, values, prepare=False)
            return list(self.cursor.fetchall()) if self.cursor.description else []
        self.cursor.execute(sql, values)
        return list(self.cursor.fetchall()) if self.cursor.description else []

    @property
    def mark(self) -> str:
        """The positional placeholder of this driver."""
        return "?" if self.sqlite else "%s"

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert `rows` (tuples in `columns` order; JSON columns as JSON text) in bulk.

        SQLite gets multi-row INSERT statements rather than one statement per row: its driver
        releases and retakes the GIL around every statement step, and each retake can wait a thread
        switch interval while the event loop is busy. PostgreSQL gets COPY, which streams the rows
        in one command and converts the text of each column to its type (JSONB included).
        """
        if not rows:
            return
        names = ", ".join(columns)
        if not self.sqlite:
            for start in range(0, len(rows), _ROWS_PER_COPY):  # each COPY well inside a statement timeout
                with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows[start : start + _ROWS_PER_COPY]:
                        copy.write_row(row)
            return
        group = "(" + ", ".join("?" * len(columns)) + ")"
        per_statement = max(1, _MAX_PARAMETERS // len(columns))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            self.cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES " + ", ".join([group] * len(chunk)),  # noqa: S608
                [v for row in chunk for v in row],
            )

    def ts(self, value: datetime | None) -> Any:
        """A UTC timestamp as the UTCDateTime column stores it."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # never the server's local zone
        if not self.sqlite:
            return value
        # A batch stamps most rows with the same instant: format each instant once.
        text = self._formatted.get(value)
        if text is None:
            text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            if len(self._formatted) > 1024:
                self._formatted.clear()
            self._formatted[value] = text
        return text

    def read_ts(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
