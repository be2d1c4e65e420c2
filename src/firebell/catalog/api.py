"""The catalog API: services, integrations and maintenance windows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from firebell.catalog import service as catalog
from firebell.catalog.model import IntegrationKind, intake_url
from firebell.catalog.repo import SqlCatalogRepo
from firebell.catalog.schemas import (
    IntegrationCreate,
    IntegrationCreated,
    IntegrationRead,
    MaintenanceCreate,
    ServiceCreate,
    ServiceRead,
)
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound
from firebell.web.deps import Admin, ContainerDep, ReadConn, Reader

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/services", response_model=list[ServiceRead])
def list_services(conn: ReadConn, _caller: Reader) -> list[Any]:
    return SqlCatalogRepo(conn).services()


@router.post("/services", response_model=ServiceRead, status_code=201)
def create_service(body: ServiceCreate, container: ContainerDep, _caller: Admin) -> Any:
    with transaction(container.engine, write=True) as conn:
        repo = SqlCatalogRepo(conn)
        service_id = catalog.create_service(repo=repo, now=container.clock.now(), **body.model_dump())
        created = repo.service(service_id)
    container.catalog_changed()
    return created


@router.get("/services/{name}", response_model=ServiceRead)
def get_service(name: str, conn: ReadConn, _caller: Reader) -> Any:
    row = SqlCatalogRepo(conn).service_by_name(name)
    if row is None:
        raise NotFound(f"no service named {name}")
    return row


@router.get("/integrations", response_model=list[IntegrationRead])
def list_integrations(conn: ReadConn, _caller: Reader) -> list[Any]:
    return SqlCatalogRepo(conn).integrations()


@router.post("/services/{name}/integrations", response_model=IntegrationCreated, status_code=201)
def create_integration(
    name: str, body: IntegrationCreate, request: Request, container: ContainerDep, _caller: Admin
) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlCatalogRepo(conn)
        integration_id, key = catalog.create_integration(
            repo=repo, service=name, kind=body.kind, now=container.clock.now(), name=body.name, mapping=body.mapping
        )
        row = dict(repo.integrations_by_id(integration_id))
    container.catalog_changed()
    base = container.settings.public_url or str(request.base_url)
    row.update(key=key, url=intake_url(IntegrationKind(body.kind), key, base))
    return row


@router.post("/services/{name}/maintenance", status_code=201)
def add_maintenance(name: str, body: MaintenanceCreate, container: ContainerDep, _caller: Admin) -> dict[str, str]:
    with transaction(container.engine, write=True) as conn:
        window_id = catalog.add_maintenance(
            repo=SqlCatalogRepo(conn), service=name, now=container.clock.now(), **body.model_dump()
        )
    container.catalog_changed()
    return {"id": window_id}
