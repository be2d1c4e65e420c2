"""Playbook use cases: the playbooks in use, writing a custom playbook (or an edited copy of a shipped
one), removing it, and attaching a playbook to an incident, which copies its steps into the incident's
checklists through the incident domain's port. Each runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from firebell.incidents import response
from firebell.incidents.ports import ResponseRepo
from firebell.incidents.state import IncidentStatus
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.playbooks.builtin import BUILT_IN
from firebell.playbooks.model import Listed, Playbook, Source, merged, parse_playbook, step_key, to_document

SHIPPED = {p.key: p for p in BUILT_IN}


class PlaybookRepo(Protocol):
    def stored(self) -> list[dict[str, Any]]: ...

    def get(self, key: str) -> Mapping[str, Any] | None: ...

    def save(self, values: dict[str, Any]) -> None: ...

    def delete(self, key: str) -> int: ...

    def attachments(self, incident_id: str) -> list[dict[str, Any]]: ...

    def attach(self, values: dict[str, Any]) -> bool:
        """Record the attachment once; False when the incident already has this playbook."""
        ...


@dataclass(frozen=True, slots=True)
class Attached:
    playbook: Playbook
    added: int  # checklist items added; 0 when it was attached before

    @property
    def message(self) -> str:
        """What happened, as the timeline and the callers say it."""
        if not self.added:
            return f"'{self.playbook.name}' was attached already"
        return f"Playbook '{self.playbook.name}' attached: {self.playbook.describe()}"


def playbooks(repo: PlaybookRepo) -> list[Listed]:
    """Every playbook in use: the shipped ones (or their edited copies), then the custom ones."""
    return merged(BUILT_IN, [parse_playbook(row["document"], key=str(row["key"])) for row in repo.stored()])


def find(repo: PlaybookRepo, key: str) -> Listed:
    row = repo.get(key)
    if row is not None:
        source = Source.EDITED if key in SHIPPED else Source.CUSTOM
        return Listed(parse_playbook(row["document"], key=key), source)
    if key in SHIPPED:
        return Listed(SHIPPED[key], Source.BUILT_IN)
    known = [p.playbook.key for p in playbooks(repo)]
    raise NotFound(f"no playbook {key!r}; use one of {', '.join(known)}", details=[{"field": "key", "allowed": known}])


def save_playbook(*, repo: PlaybookRepo, key: str, document: object, actor: str, now: datetime) -> tuple[Listed, bool]:
    """Write a custom playbook, or an edited copy of a shipped one under its key; (it, whether it is new)."""
    playbook = parse_playbook(document, key=key)
    created = repo.get(playbook.key) is None and playbook.key not in SHIPPED
    repo.save(
        {
            "key": playbook.key,
            "name": playbook.name,
            "incident_type": playbook.incident_type,
            "document": to_document(playbook),
            "updated_at": now,
            "updated_by": actor[:200],
        }
    )
    return Listed(playbook, Source.EDITED if playbook.key in SHIPPED else Source.CUSTOM), created


def delete_playbook(*, repo: PlaybookRepo, key: str) -> Listed:
    """Remove a custom playbook, or drop the edits to a shipped one; returns what is in use now
    (the shipped playbook), or the removed custom one. Incidents keep the steps they were given."""
    current = find(repo, key)
    if current.source is Source.BUILT_IN:
        raise Conflict(
            f"{current.playbook.name!r} ships with Firebell and has no edits to drop; it cannot be deleted",
            details=[{"field": "key", "source": current.source.value}],
        )
    repo.delete(key)
    return Listed(SHIPPED[key], Source.BUILT_IN) if key in SHIPPED else current


def attach_playbook(
    *, repo: PlaybookRepo, incidents: ResponseRepo, incident_id: str, key: str, actor: str, at: datetime
) -> Attached:
    """Add each phase of the playbook to the incident's checklists (list `playbook:<key>:<phase>`),
    once: attaching it again adds nothing. Refused on a closed incident."""
    row = incidents.get(incident_id)
    if row is None:
        raise NotFound(f"incident {incident_id} not found")
    if row["status"] == IncidentStatus.CLOSED:
        raise Conflict(
            f"cannot attach a playbook to incident #{row['number']}: it is {row['status']}",
            details=[{"field": "status", "state": str(row["status"])}],
        )
    try:
        playbook = find(repo, key).playbook
    except NotFound as exc:
        raise ValidationFailed(f"playbook: {exc.message}", details=[{**exc.details[0], "field": "playbook"}]) from None
    if not repo.attach(
        {
            "id": new_id(),
            "incident_id": incident_id,
            "playbook_key": playbook.key,
            "name": playbook.name,
            "attached_at": at,
            "attached_by": actor[:200],
        }
    ):
        return Attached(playbook, 0)
    # The incident's own lists first: written later, they would miss what already happened.
    items = response.ensure_checklists(incidents, incident_id)
    incidents.add_checklist_items(_items(playbook, incident_id, _next_position(items)))
    done = Attached(playbook, playbook.step_count)
    incidents.add_event(
        incident_id, at, "playbook_attached", done.message, actor=actor, data={"playbook": playbook.key}
    )
    return done


def _next_position(items: Sequence[Mapping[str, Any]]) -> int:
    return max((int(i["position"]) for i in items), default=-1) + 1


def _items(playbook: Playbook, incident_id: str, position: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for phase in playbook.phases:
        for step in phase.steps:
            rows.append(
                {
                    "id": new_id(),
                    "incident_id": incident_id,
                    "list_key": playbook.list_key(phase),
                    "list_title": playbook.list_title(phase)[:200],
                    "item_key": step_key(step),
                    "position": position + len(rows),
                    "text": step,
                    "done_at": None,
                    "done_by": "",
                }
            )
    return rows
