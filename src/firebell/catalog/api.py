"""The catalog API: services with their catalog facts and dependency graph, the Backstage exchange,
integrations and maintenance windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from sqlalchemy.engine import Connection

from firebell.bootstrap import Container
from firebell.catalog import queries
from firebell.catalog import service as catalog
from firebell.catalog.backstage_yaml import MEDIA_TYPE, dump_documents, load_documents
from firebell.catalog.exchange import export_catalog, import_catalog
from firebell.catalog.model import IntegrationKind, intake_url
from firebell.catalog.repo import SqlCatalogRepo
from firebell.catalog.schemas import (
    GraphRead,
    ImportRead,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationRead,
    IntegrationRotate,
    IntegrationUpdate,
    MaintenanceCreate,
    ServiceCreate,
    ServiceDetail,
    ServiceRead,
    ServiceUpdate,
)
from firebell.identity.model import Role
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.web.deps import Admin, ContainerDep, ReadConn, Reader
from firebell.web.ownership import owner_of_team

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/services", response_model=list[ServiceRead])
def list_services(conn: ReadConn, _caller: Reader) -> list[Any]:
    return queries.services(conn)


@router.post("/services", response_model=ServiceRead, status_code=201)
def create_service(body: ServiceCreate, container: ContainerDep, _caller: Admin) -> Any:
    with transaction(container.engine, write=True) as conn:
        catalog.create_service(repo=SqlCatalogRepo(conn), now=container.clock.now(), **body.model_dump())
        created = _detail(conn, container, body.name)
    container.catalog_changed()
    return created


@router.get("/services/graph", response_model=GraphRead, summary="The dependency graph of the whole catalog")
def service_graph(conn: ReadConn, _caller: Reader) -> Any:
    return queries.graph(conn)


def _detail(conn: Connection, container: Container, name: str) -> dict[str, Any]:
    rows = SqlCatalogRepo(conn).services()
    row = next((r for r in rows if r["name"] == name), None)
    if row is None:
        raise NotFound(f"no service named {name}")
    names = {str(r["id"]): str(r["name"]) for r in rows}
    found = queries.describe(row, names, queries.policy_names(conn))
    today, days = container.clock.now().date(), container.settings.runbooks.stale_after_days
    return {
        **found,
        "dependents": queries.dependents(rows, name),
        "open_incidents": queries.open_incidents(conn, [str(row["id"])]).get(str(row["id"]), []),
        "runbook": queries.runbook_state(conn, row, today=today, stale_after_days=days),
    }


@router.get("/services/{name}", response_model=ServiceDetail)
def get_service(name: str, conn: ReadConn, container: ContainerDep, _caller: Reader) -> Any:
    return _detail(conn, container, name)


@router.patch("/services/{name}", response_model=ServiceDetail, summary="Change a service's catalog facts")
def update_service(name: str, body: ServiceUpdate, container: ContainerDep, _caller: Admin) -> Any:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("owner_team"):
        # Handing a service to a team takes the admin role there too, not only where it was.
        with transaction(container.engine) as conn:
            team = owner_of_team(conn, str(changes["owner_team"]))
        if team is None and _caller.user_id is not None and not _caller.is_admin:
            raise ValidationFailed.field("owner_team", f"no team named {changes['owner_team']!r}")
        _caller.require(Role.ADMIN, team)
    for key in ("slos", "slis", "dashboards"):
        if changes.get(key) is not None:
            changes[key] = [{k: v for k, v in item.items() if v is not None} for item in changes[key]]
    with transaction(container.engine, write=True) as conn:
        catalog.update_service(repo=SqlCatalogRepo(conn), name=name, changes=changes, policy_ids=_policy_ids(conn))
        updated = _detail(conn, container, name)
    container.catalog_changed()
    return updated


def _policy_ids(conn: Connection) -> dict[str, str]:
    return {policy_name: policy_id for policy_id, policy_name in queries.policy_names(conn).items()}


@router.get(
    "/catalog/backstage",
    response_class=Response,
    summary="Every service as a Backstage Component, in one catalog-info.yaml",
    responses={200: {"content": {MEDIA_TYPE: {}}}},
)
def export_backstage(conn: ReadConn, _caller: Reader) -> Response:
    found = export_catalog(rows=SqlCatalogRepo(conn).services(), policy_names=queries.policy_names(conn))
    comments = [f"not exported: {reason}" for reason in found.skipped]
    return Response(dump_documents(found.entities, comments), media_type=MEDIA_TYPE)


@router.post(
    "/catalog/backstage",
    response_model=ImportRead,
    summary="Create or update services from Backstage catalog-info.yaml documents (idempotent)",
)
def import_backstage(
    body: Annotated[bytes, Body(media_type=MEDIA_TYPE, description="a YAML stream of Backstage entities")],
    container: ContainerDep,
    _caller: Admin,
) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed.field("file", "not UTF-8 text") from None
    documents = load_documents(text)
    with transaction(container.engine, write=True) as conn:
        result = import_catalog(
            repo=SqlCatalogRepo(conn), documents=documents, policy_ids=_policy_ids(conn), now=container.clock.now()
        )
    container.catalog_changed()
    return result


@router.get("/integrations", response_model=list[IntegrationRead])
def list_integrations(conn: ReadConn, _caller: Reader) -> list[Any]:
    return SqlCatalogRepo(conn).integrations()


@router.post("/services/{name}/integrations", response_model=IntegrationCreated, status_code=201)
def create_integration(
    name: str, body: IntegrationCreate, request: Request, container: ContainerDep, _caller: Admin
) -> dict[str, Any]:
    return keyed_integration(
        container,
        request,
        lambda repo, now: catalog.create_integration(
            repo=repo,
            service=name,
            kind=body.kind,
            now=now,
            name=body.name,
            mapping=body.mapping,
            key=body.key,
            forward_to=body.forward_to,
        ),
    )


@router.patch(
    "/services/{name}/integrations/{integration}",
    response_model=IntegrationRead,
    summary="Change an integration: forward what it accepts to the old tool (forward_to), or stop",
)
def update_integration(
    name: str, integration: str, body: IntegrationUpdate, container: ContainerDep, _caller: Admin
) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlCatalogRepo(conn)
        found = catalog.integration_on(repo, name, integration)
        if "forward_to" in body.model_fields_set:
            catalog.set_forward(repo=repo, service=name, integration=str(found["id"]), forward_to=body.forward_to)
        row = dict(repo.integrations_by_id(str(found["id"])))
    container.catalog_changed()
    return row


@router.post(
    "/services/{name}/integrations/{integration}/rotate",
    response_model=IntegrationCreated,
    summary="Give an integration a new key; the old key stops working at once",
)
def rotate_integration(
    name: str,
    integration: str,
    request: Request,
    container: ContainerDep,
    _caller: Admin,
    body: IntegrationRotate | None = None,
) -> dict[str, Any]:
    key = body.key if body is not None else None
    return keyed_integration(
        container,
        request,
        lambda repo, now: catalog.rotate_integration_key(
            repo=repo, service=name, integration=integration, now=now, key=key
        ),
    )


def keyed_integration(
    container: ContainerDep, request: Request, run: Callable[[SqlCatalogRepo, datetime], tuple[str, str]]
) -> dict[str, Any]:
    """Run a use case that gives an integration a key; the integration with its key (shown once) and URL."""
    with transaction(container.engine, write=True) as conn:
        repo = SqlCatalogRepo(conn)
        integration_id, key = run(repo, container.clock.now())
        row = dict(repo.integrations_by_id(integration_id))
    container.catalog_changed()
    base = container.settings.public_url or str(request.base_url)
    row.update(key=key, url=intake_url(IntegrationKind(row["kind"]), key, base))
    return row


@router.post("/services/{name}/maintenance", status_code=201)
def add_maintenance(name: str, body: MaintenanceCreate, container: ContainerDep, _caller: Admin) -> dict[str, str]:
    with transaction(container.engine, write=True) as conn:
        window_id = catalog.add_maintenance(
            repo=SqlCatalogRepo(conn), service=name, now=container.clock.now(), **body.model_dump()
        )
    container.catalog_changed()
    return {"id": window_id}
