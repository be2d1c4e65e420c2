"""Reading an export's rows: CSV or JSON lines into rows of text by column, and each value into a
typed one, with any problem named by its line and column. Pure.

Times are ISO 8601 (with an offset or `Z`), `YYYY-MM-DD HH:MM[:SS]`, `MM/DD/YYYY HH:MM[:SS] [AM|PM]`,
or epoch seconds, milliseconds, microseconds or nanoseconds (told apart by size). A time without an
offset is taken in the zone given; in the hour a DST change repeats, the first of the two is meant,
and a time the change skips is read with the offset before it (02:30 on a spring-forward night in
Berlin is 03:30 CEST).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from firebell.kernel.errors import ValidationFailed

MAX_PROBLEMS = 20
_NAIVE_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%Y/%m/%d %H:%M:%S",
)
_UTC_SUFFIXES = (" UTC", " GMT", " Z")
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f", ""}


def column_key(header: str) -> str:
    """A header as the parsers look it up: "Created On" and "created_on" are both "created_on"."""
    return "_".join(header.strip().lstrip("\ufeff").lower().replace("-", " ").split())


def _epoch(text: str) -> datetime:
    number = float(text)
    for scale in (1, 1_000, 1_000_000, 1_000_000_000):
        if abs(number) < 1e11 * scale:
            return datetime.fromtimestamp(number / scale, UTC)
    raise ValueError("is too large for an epoch time")


def parse_instant(text: str, zone: tzinfo) -> datetime:
    """An aware UTC datetime from the forms in the module docstring; ValueError naming what is wrong."""
    cleaned = text.strip()
    if cleaned.replace(".", "", 1).isdigit():
        return _epoch(cleaned)
    for suffix in _UTC_SUFFIXES:
        if cleaned.upper().endswith(suffix):
            cleaned = cleaned[: -len(suffix)] + "+00:00"
    try:
        found = datetime.fromisoformat(cleaned)
    except ValueError:
        found = _naive(cleaned)
    if found.tzinfo is None:
        found = found.replace(tzinfo=zone)
    return found.astimezone(UTC)


def _naive(text: str) -> datetime:
    for pattern in _NAIVE_FORMATS:
        try:
            return datetime.strptime(text, pattern)  # noqa: DTZ007 - the zone is set by the caller
        except ValueError:
            continue
    raise ValueError("is not a time: use ISO 8601 (2024-03-31T02:30:00+02:00) or epoch seconds/milliseconds")


class RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")
        self.column = column
        self.message = message


@dataclass
class Problems:
    """What is wrong with an export, each on its line and column; the first few are kept."""

    found: list[dict[str, object]] = field(default_factory=list)
    count: int = 0

    def add(self, line: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.found) < MAX_PROBLEMS:
            self.found.append({"line": line, "field": column, "message": message})

    def check(self) -> None:
        """Refuse the whole export when anything is wrong: nothing of it is imported."""
        if not self.found:
            return
        first = self.found[0]
        more = f" (and {self.count - 1} more problem{'s' if self.count > 2 else ''})" if self.count > 1 else ""
        raise ValidationFailed(
            f"line {first['line']}, {first['field']}: {first['message']}{more}; nothing was imported",
            details=self.found,
        )


class Headers:
    """The columns of one file, and which of the names a parser asks for each file has (worked out
    once a file, not once a row: a large export has 100,000 rows)."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self.present: dict[tuple[str, ...], tuple[str, ...]] = {}


class Row:
    """One record of an export: its values by column, read through the known names of each column."""

    __slots__ = ("headers", "line", "present", "values")

    def __init__(self, line: int, values: Mapping[str, str], headers: Headers) -> None:
        self.line = line
        self.values = values  # by column_key
        self.headers = headers.names  # column_key -> the header as the file spells it
        self.present = headers.present

    def name(self, *keys: str) -> str:
        """The column as the file names it (the first known name when the file has none of them)."""
        return next((self.headers[k] for k in keys if k in self.headers), keys[0])

    def text(self, *keys: str, required: bool = False) -> str:
        found = self.present.get(keys)
        if found is None:
            found = self.present[keys] = tuple(k for k in keys if k in self.headers)
        values = self.values
        for key in found:
            value = values.get(key)
            if value and (value := value.strip()):
                return value
        if required:
            raise RowError(self.name(*keys), "is missing or empty")
        return ""

    def instant(self, *keys: str, zone: tzinfo, required: bool = False) -> datetime | None:
        text = self.text(*keys, required=required)
        if not text:
            return None
        try:
            return parse_instant(text, zone)
        except (ValueError, OverflowError, OSError) as exc:
            raise RowError(self.name(*keys), f"{text!r} {exc}") from None

    def seconds(self, *keys: str, scale: float = 1.0) -> timedelta | None:
        """A duration given as a number (of seconds, or of 1/scale seconds)."""
        text = self.text(*keys)
        if not text:
            return None
        try:
            amount = float(text) / scale
        except ValueError:
            raise RowError(self.name(*keys), f"{text!r} is not a number of seconds") from None
        if amount < 0:
            raise RowError(self.name(*keys), "must not be negative")
        return timedelta(seconds=amount)

    def flag(self, *keys: str) -> bool | None:
        text = self.text(*keys).lower()
        if not text:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise RowError(self.name(*keys), f"{text!r} is not true or false")

    def count(self, *keys: str) -> int:
        text = self.text(*keys)
        if not text:
            return 1
        if not text.isdigit() or int(text) < 1:
            raise RowError(self.name(*keys), f"{text!r} is not a positive whole number")
        return int(text)

    def raw(self) -> dict[str, str]:
        return {self.headers.get(k, k): v for k, v in self.values.items() if v != ""}


def csv_rows(text: str) -> Iterator[Row]:
    """The rows of a CSV export with a header line; a row with more values than headers is a problem."""
    reader = csv.reader(text.lstrip("\ufeff").splitlines(keepends=True))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationFailed(
            "line 1: not a CSV header: " + str(exc), details=[{"line": 1, "field": "file"}]
        ) from None
    if not header or not any(h.strip() for h in header):
        raise ValidationFailed("the file is empty: expected a CSV header line", details=[{"line": 1, "field": "file"}])
    keys = [column_key(h) for h in header]
    headers = Headers({k: h.strip().lstrip("\ufeff") for k, h in zip(keys, header, strict=True)})
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationFailed(f"line {line}: {exc}", details=[{"line": line, "field": "file"}]) from None
        if any(v.strip() for v in values):
            if len(values) > len(keys):
                raise ValidationFailed(
                    f"line {line}: {len(values)} values but {len(keys)} columns; nothing was imported",
                    details=[{"line": line, "field": "file", "message": "more values than columns"}],
                )
            yield Row(line, dict(zip(keys, values, strict=False)), headers)
        line = reader.line_num + 1


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    return json.dumps(value, sort_keys=True)


def json_rows(text: str) -> Iterator[Row]:
    """The records of a JSON lines export: one object a line; blank lines are skipped."""
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found = json.loads(line)
        except ValueError as exc:
            raise ValidationFailed(
                f"line {number}: not JSON: {exc}; nothing was imported", details=[{"line": number, "field": "file"}]
            ) from None
        if not isinstance(found, dict):
            raise ValidationFailed(
                f"line {number}: expected a JSON object; nothing was imported",
                details=[{"line": number, "field": "file"}],
            )
        keys = Headers({column_key(str(k)): str(k) for k in found})
        yield Row(number, {column_key(str(k)): _as_text(v) for k, v in found.items()}, keys)
