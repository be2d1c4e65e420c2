"""An export's text as records: the format's parser on every row, then the checks every record must
pass (ids unique and short enough, times in order). Any problem refuses the whole export, naming
each line and column. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo

from firebell.history import native, opsgenie, pagerduty
from firebell.history.fields import Problems, Row, RowError, csv_rows, json_rows
from firebell.history.model import MAX_ID, AlertRecord, Format, IncidentRecord, Record

Parser = Callable[[Row, tzinfo, str], Record]
_PARSERS: dict[Format, Parser] = {
    Format.PAGERDUTY: pagerduty.incident,
    Format.OPSGENIE: opsgenie.alert,
    Format.FIREBELL: native.record,
}


def is_json_lines(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def _order(record: Record) -> list[tuple[str, str]]:
    """(column, problem) for each time that comes before the one it must follow."""
    if isinstance(record, IncidentRecord):
        start: datetime = record.opened_at
        later = {
            "acknowledged_at": record.acknowledged_at,
            "identified_at": record.identified_at,
            "resolved_at": record.resolved_at,
            "closed_at": record.closed_at,
        }
        found = [(name, "is before opened_at") for name, at in later.items() if at is not None and at < start]
        if record.closed_at and record.resolved_at and record.closed_at < record.resolved_at:
            found.append(("closed_at", "is before resolved_at"))
        return found
    stamps = {"resolved_at": record.resolved_at, "last_seen_at": record.last_seen_at}
    early = [name for name, at in stamps.items() if at < record.first_seen_at]
    return [(name, "is before the time it first fired") for name in early[:1]]  # one is often read from the other


def _check(records: Iterable[Record], problems: Problems) -> None:
    seen: dict[tuple[str, str], int] = {}
    for record in records:
        kind = "incident" if isinstance(record, IncidentRecord) else "alert"
        if len(record.external_id) > MAX_ID:
            problems.add(record.line, "id", f"is longer than {MAX_ID} characters")
        first = seen.setdefault((kind, record.external_id), record.line)
        if first != record.line:
            problems.add(record.line, "id", f"{record.external_id!r} appears again (first on line {first})")
        for column, message in _order(record):
            problems.add(record.line, column, message)


def read_export(source: Format, text: str, zone: tzinfo, default_service: str = "") -> list[Record]:
    """Every record of the export, or ValidationFailed naming each bad line and column."""
    parse = _PARSERS[source]
    rows = json_rows(text) if source is Format.FIREBELL and is_json_lines(text) else csv_rows(text)
    problems = Problems()
    records: list[Record] = []
    for row in rows:
        try:
            records.append(parse(row, zone, default_service))
        except RowError as exc:
            problems.add(row.line, exc.column, exc.message)
    _check(records, problems)
    problems.check()
    return records


def incidents_of(records: Iterable[Record]) -> list[IncidentRecord]:
    return [r for r in records if isinstance(r, IncidentRecord)]


def alerts_of(records: Iterable[Record]) -> list[AlertRecord]:
    return [r for r in records if isinstance(r, AlertRecord)]
