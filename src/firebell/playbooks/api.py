"""The playbooks API: list, read, write and delete playbooks; an incident's playbooks (attached and
suggested), and attaching one, which adds its steps to the incident's checklists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.engine import Connection

from firebell.incidents.queries import get_incident
from firebell.playbooks import queries, writes
from firebell.playbooks.model import Source
from firebell.playbooks.schemas import (
    AttachRequest,
    AttachResult,
    DeleteResult,
    IncidentPlaybooksRead,
    PlaybookRead,
    PlaybookWrite,
)
from firebell.web.deps import Admin, ContainerDep, ReadConn, Reader, Responder

router = APIRouter(prefix="/api/v1", tags=["playbooks"])


@router.get("/playbooks", response_model=list[PlaybookRead], summary="Playbooks: built-in, edited and custom")
def list_playbooks(conn: ReadConn, _caller: Reader) -> list[dict[str, Any]]:
    return queries.all_playbooks(conn)


@router.get("/playbooks/{key}", response_model=PlaybookRead, summary="A playbook with its phases and steps")
def get_playbook(key: str, conn: ReadConn, _caller: Reader) -> dict[str, Any]:
    return queries.one_playbook(conn, key)


@router.put("/playbooks/{key}", response_model=PlaybookRead, summary="Write a custom playbook, or edit a built-in")
def put_playbook(
    key: str, body: PlaybookWrite, response: Response, container: ContainerDep, caller: Admin
) -> dict[str, Any]:
    """A new key adds a custom playbook (201); a built-in's key stores an edited copy that replaces it.
    Incidents it is already attached to keep the steps they were given."""
    _listed, created = writes.save(container, key, body.model_dump(exclude_none=True), actor=caller.name)
    response.status_code = 201 if created else 200
    with container.engine.connect() as conn:
        return queries.one_playbook(conn, key)


@router.delete(
    "/playbooks/{key}", response_model=DeleteResult, summary="Delete a custom playbook or a built-in's edits"
)
def delete_playbook(key: str, container: ContainerDep, _caller: Admin) -> dict[str, Any]:
    now = writes.delete(container, key)
    if now.source is Source.BUILT_IN:
        return {"key": key, "reverted": True, "message": f"edits dropped: the built-in '{now.playbook.name}' is back"}
    return {"key": key, "reverted": False, "message": f"deleted the custom playbook '{now.playbook.name}'"}


def _incident_view(conn: Connection, ref: str) -> dict[str, Any]:
    incident = get_incident(conn, ref)
    return {"id": incident["id"], "number": incident["number"], **queries.incident_playbooks(conn, incident)}


@router.get(
    "/incidents/{ref}/playbooks",
    response_model=IncidentPlaybooksRead,
    summary="The incident's playbooks: attached (with progress) and suggested (with the reason)",
)
def incident_playbooks(ref: str, conn: ReadConn, _caller: Reader) -> dict[str, Any]:
    return _incident_view(conn, ref)


@router.post(
    "/incidents/{ref}/playbooks",
    response_model=AttachResult,
    summary="Attach a playbook: its phases become checklists of the incident (once)",
)
def attach(ref: str, body: AttachRequest, response: Response, container: ContainerDep, caller: Responder) -> Any:
    """201 when the steps were added; 200 when the playbook was attached before (nothing changes).
    409 on a closed incident."""
    incident_id, done = writes.attach(container, ref, body.playbook, actor=caller.name)
    response.status_code = 201 if done.added else 200
    with container.engine.connect() as conn:
        view = _incident_view(conn, incident_id)
    return {
        **view,
        "playbook": done.playbook.key,
        "added": done.added,
        "message": done.message,
    }
