"""The status page's authenticated API: components, public incidents and maintenances, and
publishing an internal incident's status to the public page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Response
from sqlalchemy.engine import Connection

from firebell.bootstrap import Container
from firebell.identity.model import Role
from firebell.incidents.checklists import Happening
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.response import happened
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.statuspage import service
from firebell.statuspage.public import PublicView
from firebell.statuspage.public_api import page_info
from firebell.statuspage.repo import MAINTENANCE, SqlStatusPageRepo
from firebell.statuspage.schemas import (
    ComponentCreate,
    ComponentRead,
    ComponentStatusSet,
    ComponentUpdate,
    MaintenanceCreate,
    MaintenanceUpdateCreate,
    PublicIncidentCreate,
    PublicIncidentPatch,
    PublicIncidentRead,
    StatusUpdatePublish,
    UpdateCreate,
)
from firebell.web.deps import Admin, ContainerDep, ReadConn, Reader, Responder, require_on_incident

router = APIRouter(prefix="/api/v1", tags=["status page"])
T = TypeVar("T")


def _write(container: Container, run: Callable[[Connection, SqlStatusPageRepo], T]) -> T:
    """Run a use case in one write transaction, then tell live pages that something changed."""
    with transaction(container.engine, write=True) as conn:
        result = run(conn, SqlStatusPageRepo(conn))
    container.changes.bump()
    return result


def component_read(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "group": row["group_name"]}


# --- components -------------------------------------------------------------------------------


@router.get("/status-page/components", response_model=list[ComponentRead], summary="Status page components")
def list_components(conn: ReadConn, _caller: Reader) -> list[dict[str, Any]]:
    return [component_read(row) for row in SqlStatusPageRepo(conn).components()]


@router.post(
    "/status-page/components", response_model=ComponentRead, status_code=201, summary="Add a status page component"
)
def create_component(body: ComponentCreate, container: ContainerDep, _caller: Admin) -> dict[str, Any]:
    now = container.clock.now()
    fields = body.model_dump(exclude={"status"})
    row = _write(container, lambda _c, repo: service.create_component(repo=repo, now=now, status=body.status, **fields))
    return component_read(row)


@router.patch("/status-page/components/{ref}", response_model=ComponentRead, summary="Edit a component")
def edit_component(ref: str, body: ComponentUpdate, container: ContainerDep, _caller: Admin) -> dict[str, Any]:
    now = container.clock.now()

    def run(_conn: Connection, repo: SqlStatusPageRepo) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True, exclude={"status"})
        row = service.update_component(repo=repo, ref=ref, changes=changes, now=now)
        if body.status is not None:
            row = service.set_component_status(repo=repo, ref=str(row["id"]), status=body.status, now=now)
        return row

    return component_read(_write(container, run))


@router.delete("/status-page/components/{ref}", status_code=204, summary="Remove a component")
def delete_component(ref: str, container: ContainerDep, _caller: Admin) -> Response:
    _write(container, lambda _c, repo: service.delete_component(repo=repo, ref=ref))
    return Response(status_code=204)


@router.put("/status-page/components/{ref}/status", response_model=ComponentRead, summary="Set a component's state")
def set_status(ref: str, body: ComponentStatusSet, container: ContainerDep, _caller: Responder) -> dict[str, Any]:
    now = container.clock.now()
    row = _write(
        container, lambda _c, repo: service.set_component_status(repo=repo, ref=ref, status=body.status, now=now)
    )
    return component_read(row)


# --- public incidents and maintenances --------------------------------------------------------


def reader(conn: Connection, container: Container) -> Callable[[str], dict[str, Any]]:
    """Reads public incidents and maintenances as the API shows them: with the internal link."""
    view = PublicView(conn, page_info(container), container.clock.now())
    names = {c["id"]: c["name"] for c in SqlStatusPageRepo(conn).components()}

    def read(incident_id: str) -> dict[str, Any]:
        row = view.incident(incident_id)
        if row is None:
            raise NotFound(f"no public incident or maintenance {incident_id}")
        held = {names[cid]: state for cid, state in (row["components"] or {}).items() if cid in names}
        return {**row, "status": str(row["status"]), "components": held}

    return read


def incident_read(conn: Connection, container: Container, incident_id: str) -> dict[str, Any]:
    return reader(conn, container)(incident_id)


@router.get("/status-page/incidents", response_model=list[PublicIncidentRead], summary="Public incidents")
def list_incidents(conn: ReadConn, container: ContainerDep, _caller: Reader) -> list[dict[str, Any]]:
    read = reader(conn, container)
    return [read(row["id"]) for row in SqlStatusPageRepo(conn).incidents(limit=200)]


@router.get("/status-page/incidents/{incident_id}", response_model=PublicIncidentRead, summary="One public incident")
def read_incident(incident_id: str, conn: ReadConn, container: ContainerDep, _caller: Reader) -> dict[str, Any]:
    return incident_read(conn, container, incident_id)


def _internal_id(conn: Connection, ref: str) -> str:
    try:
        return str(get_incident(conn, ref)["id"])
    except NotFound:
        raise ValidationFailed.field("incident", f"no incident {ref}") from None


@router.post(
    "/status-page/incidents", response_model=PublicIncidentRead, status_code=201, summary="Open a public incident"
)
def create_incident(body: PublicIncidentCreate, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    # Linked to an incident, it speaks for that incident's team, as publishing from the incident does.
    require_on_incident(container, caller, body.incident, Role.RESPONDER)
    now = container.clock.now()

    def run(conn: Connection, repo: SqlStatusPageRepo) -> dict[str, Any]:
        internal = _internal_id(conn, body.incident) if body.incident else None
        if internal is not None and repo.incident_for_internal(internal) is not None:
            raise ValidationFailed.field("incident", "that incident has a public incident already: post an update")
        opened = service.open_incident(
            repo=repo,
            name=body.name,
            status=body.status,
            body=body.body,
            components=body.components,
            impact=body.impact,
            internal_incident_id=internal,
            actor=caller.name,
            now=now,
        )
        return incident_read(conn, container, opened["id"])

    return _write(container, run)


@router.patch("/status-page/incidents/{incident_id}", response_model=PublicIncidentRead, summary="Rename, re-rate")
def edit_incident(
    incident_id: str, body: PublicIncidentPatch, container: ContainerDep, _caller: Responder
) -> dict[str, Any]:
    now = container.clock.now()

    def run(conn: Connection, repo: SqlStatusPageRepo) -> dict[str, Any]:
        if repo.incident(incident_id) is None:
            raise NotFound(f"no public incident {incident_id}")
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in body.model_dump(exclude_none=True).items()}
        if values:
            repo.update_incident(incident_id, {**values, "updated_at": now})
        return incident_read(conn, container, incident_id)

    return _write(container, run)


@router.post(
    "/status-page/incidents/{incident_id}/updates",
    response_model=PublicIncidentRead,
    status_code=201,
    summary="Publish an update of a public incident",
)
def add_update(incident_id: str, body: UpdateCreate, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    now = container.clock.now()

    def run(conn: Connection, repo: SqlStatusPageRepo) -> dict[str, Any]:
        service.post_update(
            repo=repo,
            incident_id=incident_id,
            status=body.status,
            body=body.body,
            components=body.components,
            impact=body.impact,
            eta=body.eta,
            actor=caller.name,
            now=now,
        )
        return incident_read(conn, container, incident_id)

    return _write(container, run)


@router.post(
    "/incidents/{ref}/status-updates",
    response_model=PublicIncidentRead,
    summary="Publish an incident's status to the public status page",
    responses={201: {"description": "the public incident was opened by this update"}},
)
def publish(
    ref: str, body: StatusUpdatePublish, response: Response, container: ContainerDep, caller: Responder
) -> dict[str, Any]:
    now = container.clock.now()

    def run(conn: Connection, repo: SqlStatusPageRepo) -> tuple[dict[str, Any], bool]:
        internal = str(get_incident(conn, ref)["id"])
        public, created = service.publish_from_incident(
            repo=repo,
            timeline=SqlIncidentRepo(conn),
            internal_incident_id=internal,
            state=body.state,
            body=body.body,
            components=body.components,
            name=body.name,
            impact=body.impact,
            eta=body.eta,
            actor=caller.name,
            now=now,
        )
        happened(SqlIncidentRepo(conn), internal, Happening.STATUS_PAGE_UPDATED, now, caller.name)
        return incident_read(conn, container, public["id"]), created

    result, created = _write(container, run)
    response.status_code = 201 if created else 200
    return result


@router.get("/status-page/maintenances", response_model=list[PublicIncidentRead], summary="Maintenances")
def list_maintenances(conn: ReadConn, container: ContainerDep, _caller: Reader) -> list[dict[str, Any]]:
    read = reader(conn, container)
    return [read(row["id"]) for row in SqlStatusPageRepo(conn).incidents(MAINTENANCE, limit=200)]


@router.post(
    "/status-page/maintenances", response_model=PublicIncidentRead, status_code=201, summary="Schedule a maintenance"
)
def schedule(body: MaintenanceCreate, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    now = container.clock.now()

    def run(conn: Connection, repo: SqlStatusPageRepo) -> dict[str, Any]:
        made = service.schedule_maintenance(
            repo=repo,
            name=body.name,
            scheduled_for=body.scheduled_for,
            scheduled_until=body.scheduled_until,
            components=body.components,
            body=body.body,
            actor=caller.name,
            now=now,
        )
        return incident_read(conn, container, made["id"])

    return _write(container, run)


@router.post(
    "/status-page/maintenances/{maintenance_id}/updates",
    response_model=PublicIncidentRead,
    status_code=201,
    summary="Move a maintenance (in_progress, verifying, completed) with an update",
)
def update_maintenance(
    maintenance_id: str, body: MaintenanceUpdateCreate, container: ContainerDep, caller: Responder
) -> dict[str, Any]:
    now = container.clock.now()

    def run(conn: Connection, repo: SqlStatusPageRepo) -> dict[str, Any]:
        service.update_maintenance(
            repo=repo, maintenance_id=maintenance_id, status=body.status, body=body.body, actor=caller.name, now=now
        )
        return incident_read(conn, container, maintenance_id)

    return _write(container, run)
