"""Action item use cases: add one to an incident (or its postmortem), change it, close it.

Every create and change goes on the incident's timeline and to the mirror (an issue tracker's
webhook), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol

from firebell.actionitems.model import MAX_TITLE, ItemStatus, Kind, Priority, reference
from firebell.incidents.ports import IncidentRepo
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.kernel.ids import new_id


class ActionItemRepo(Protocol):
    def next_number(self) -> int: ...

    def insert(self, values: dict[str, Any]) -> None: ...

    def update(self, item_id: str, values: dict[str, Any]) -> None: ...

    def get(self, number: int) -> dict[str, Any] | None: ...


# Items are told on their incident's timeline.
Timeline = IncidentRepo


class Mirror(Protocol):
    """Tells a mirroring system about an item, once per version."""

    def __call__(self, event: str, item: Mapping[str, Any], now: datetime) -> None: ...


def _title(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ValidationFailed.field("title", "say what must be done")
    if len(cleaned) > MAX_TITLE:
        raise ValidationFailed.field("title", f"at most {MAX_TITLE} characters")
    return cleaned


def create(
    repo: ActionItemRepo,
    timeline: Timeline,
    mirror: Mirror,
    *,
    incident_id: str,
    title: str,
    priority: Priority,
    kind: Kind,
    owner_id: str | None,
    due: date | None,
    description: str = "",
    ticket: str = "",
    from_postmortem: bool = False,
    actor: str,
    at: datetime,
) -> dict[str, Any]:
    number = repo.next_number()
    values = {
        "id": new_id(),
        "number": number,
        "incident_id": incident_id,
        "from_postmortem": from_postmortem,
        "title": _title(title),
        "description": description.strip()[:20_000],
        "priority": priority.value,
        "kind": kind.value,
        "owner_id": owner_id,
        "due_date": due,
        "status": ItemStatus.OPEN.value,
        "ticket": ticket.strip()[:500],
        "created_at": at,
        "created_by": actor[:200],
        "updated_at": at,
        "completed_at": None,
        "version": 1,
        "reminded_for": None,
    }
    repo.insert(values)
    item = repo.get(number)
    assert item is not None  # noqa: S101 - just written
    owner = f", owner {item['owner']}" if item["owner"] else ""
    when = f", due {due.isoformat()}" if due else ""
    timeline.add_event(
        incident_id,
        at,
        "action_item",
        f"Action item {reference(number)} ({priority}, {kind.label.lower()}) added: {values['title']}{owner}{when}",
        actor=actor,
        data={"number": number},
    )
    mirror("action_item.created", item, at)
    return item


_FIELDS = {"title", "description", "priority", "kind", "owner_id", "due_date", "status", "ticket"}


def change(
    repo: ActionItemRepo,
    timeline: Timeline,
    mirror: Mirror,
    *,
    number: int,
    changes: Mapping[str, Any],
    actor: str,
    at: datetime,
) -> dict[str, Any]:
    """Apply `changes` (any of title, description, priority, kind, owner_id, due_date, status, ticket)."""
    item = repo.get(number)
    if item is None:
        raise NotFound(f"action item {reference(number)} not found")
    unknown = set(changes) - _FIELDS
    if unknown:
        raise ValidationFailed.field(sorted(unknown)[0], "not a field of an action item")
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "title":
            value = _title(str(value))
        elif key == "priority":
            value = Priority.parse(str(value)).value
        elif key == "kind":
            value = Kind.parse(str(value)).value
        elif key == "status":
            value = ItemStatus.parse(str(value)).value
        elif key in {"description", "ticket"}:
            value = str(value).strip()[: 20_000 if key == "description" else 500]
        if item[key] != value:
            values[key] = value
    if not values:
        return item
    old_status = ItemStatus(item["status"])
    if "status" in values:
        new_status = ItemStatus(values["status"])
        if new_status is ItemStatus.DONE:
            values["completed_at"] = at
        elif old_status is ItemStatus.DONE:
            values["completed_at"] = None
    values["updated_at"] = at
    values["version"] = int(item["version"]) + 1
    repo.update(item["id"], values)
    updated = repo.get(number)
    assert updated is not None  # noqa: S101 - just written
    said = _describe(values, updated)
    timeline.add_event(
        item["incident_id"],
        at,
        "action_item",
        f"Action item {reference(number)} {said}: {updated['title']}",
        actor=actor,
        data={"number": number, "changed": sorted(k for k in values if k not in {"updated_at", "version"})},
    )
    mirror("action_item.updated", updated, at)
    return updated


def _describe(values: Mapping[str, Any], item: Mapping[str, Any]) -> str:
    parts: list[str] = []
    if "status" in values:
        parts.append(f"marked {ItemStatus(values['status']).label.lower()}")
    if "owner_id" in values:
        parts.append(f"given to {item['owner']}" if item["owner"] else "left without an owner")
    if "due_date" in values:
        parts.append(f"due {item['due_date'].isoformat()}" if item["due_date"] else "without a due date")
    if "priority" in values:
        parts.append(f"now {item['priority']}")
    rest = [k for k in ("title", "description", "kind", "ticket") if k in values]
    if rest:
        parts.append("edited (" + ", ".join(rest) + ")")
    return ", ".join(parts)
