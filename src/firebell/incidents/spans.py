"""An incident's response times from its stamps, kept on the row so the metrics need not work them out
again for every read. Pure.

- to acknowledge: opening → the first response (an acknowledgement, or any move into the working
  states: a responder who goes straight to investigating has acknowledged; a resolution alone has not);
- to identify: that first response → root cause identified;
- to resolve: opening → resolution (the last one, for an incident reopened).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

RESPONSE_STAMPS = ("acknowledged_at", "investigating_at", "identified_at", "resolving_at")


def first_response(row: Mapping[str, Any]) -> datetime | None:
    found = [row[name] for name in RESPONSE_STAMPS if row.get(name) is not None]
    return min(found) if found else None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def spans(row: Mapping[str, Any]) -> dict[str, float | None]:
    """The three span columns for a row holding `opened_at` and the stamps."""
    response = first_response(row)
    return {
        "seconds_to_ack": _seconds(row["opened_at"], response),
        "seconds_to_identify": _seconds(response, row.get("identified_at")),
        "seconds_to_resolve": _seconds(row["opened_at"], row.get("resolved_at")),
    }
