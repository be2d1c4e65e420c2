"""Recording change events."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from firebell.changes.model import ChangeKind
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.ids import new_id

# A change stamped further ahead than this is refused: a wrong clock or time zone, not a plan.
MAX_AHEAD = timedelta(minutes=15)


class ChangeRepo(Protocol):
    def add(self, values: dict[str, Any]) -> None: ...


def record(
    repo: ChangeRepo,
    *,
    service_id: str,
    integration_id: str | None,
    kind: ChangeKind,
    summary: str,
    source: str,
    version: str,
    at: datetime | None,
    links: Sequence[Mapping[str, str]],
    details: Mapping[str, Any],
    now: datetime,
    at_field: str = "at",
    make_id: Callable[[], str] = new_id,
) -> str:
    when = at or now
    if when.tzinfo is None:
        raise ValidationFailed.field(at_field, "give the time with its UTC offset")
    if when - now > MAX_AHEAD:
        raise ValidationFailed.field(at_field, "is in the future; check the sender's clock")
    change_id = make_id()
    repo.add(
        {
            "id": change_id,
            "service_id": service_id,
            "integration_id": integration_id,
            "kind": kind.value,
            "summary": " ".join(summary.split())[:1024],
            "source": source[:255],
            "version": version[:255],
            "at": when,
            "received_at": now,
            "links": [{"href": str(link["href"]), "text": str(link.get("text", ""))} for link in links],
            "details": dict(details),
        }
    )
    return change_id
