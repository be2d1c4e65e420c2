"""Change events in: PagerDuty's Change Events API, the deploy webhook, and the changes API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from firebell.audit import capture as audit
from firebell.bootstrap import Container, IntegrationRef
from firebell.catalog.model import IntegrationKind
from firebell.catalog.repo import SqlCatalogRepo
from firebell.changes.model import ChangeKind, guess_kind
from firebell.changes.repo import SqlChangeRepo
from firebell.changes.schemas import ChangeCreate, ChangeRead, DeployEvent, PagerDutyChange
from firebell.changes.service import record
from firebell.identity.model import Role
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder, require_on_service

intake = APIRouter(tags=["changes"])
router = APIRouter(prefix="/api/v1", tags=["changes"])


def _key(container: Container, key: str, kinds: set[IntegrationKind], field: str, via: str) -> IntegrationRef:
    ref = container.integration_for_key(key) if 8 <= len(key) <= 128 else None
    if ref is None or ref.kind not in kinds:
        names = " or ".join(sorted(k.value for k in kinds))
        raise NotFound(f"no {names} integration has this key", details=[{"field": field}])
    # A change recorded with an integration key is audited as the integration's (`via` never holds the key).
    audit.set_actor(f"integration:{ref.integration_id}", None, via)
    return ref


@intake.post(
    "/v2/change/enqueue",
    status_code=202,
    summary="PagerDuty Change Events API v2: record a deployment or config change",
)
def pagerduty_change(body: PagerDutyChange, container: ContainerDep) -> dict[str, str]:
    """Point an existing PagerDuty change-event sender here; its routing key is a Firebell
    integration key of kind `pagerduty` or `change`."""
    kinds = {IntegrationKind.PAGERDUTY, IntegrationKind.CHANGE}
    ref = _key(container, body.routing_key, kinds, "routing_key", "POST /v2/change/enqueue")
    details = body.payload.custom_details
    with transaction(container.engine, write=True) as conn:
        change_id = record(
            SqlChangeRepo(conn),
            service_id=ref.service_id,
            integration_id=ref.integration_id,
            kind=guess_kind(body.payload.summary, details),
            summary=body.payload.summary,
            source=body.payload.source,
            version=str(details.get("version") or ""),
            at=body.payload.timestamp,
            links=[link.model_dump() for link in body.links],
            details=details,
            now=container.clock.now(),
            at_field="payload.timestamp",
        )
    container.changes.bump()
    return {"status": "success", "message": "Change event processed", "id": change_id}


@intake.post("/integrations/deploy/{key}", status_code=202, summary="Record a deployment or config change")
def deploy_webhook(key: str, body: DeployEvent, container: ContainerDep) -> dict[str, str]:
    ref = _key(container, key, {IntegrationKind.CHANGE}, "key", "POST /integrations/deploy")
    change_id = _record(container, ref.service_id, ref.integration_id, body)
    return {"status": "accepted", "id": change_id}


def _record(container: Container, service_id: str, integration_id: str | None, body: DeployEvent) -> str:
    with transaction(container.engine, write=True) as conn:
        change_id = record(
            SqlChangeRepo(conn),
            service_id=service_id,
            integration_id=integration_id,
            kind=body.kind,
            summary=body.summary,
            source=body.source,
            version=body.version,
            at=body.at,
            links=[link.model_dump() for link in body.links],
            details=body.details,
            now=container.clock.now(),
        )
    container.changes.bump()
    return change_id


@router.post("/changes", response_model=ChangeRead, status_code=201, summary="Record a change to a service")
def create_change(body: ChangeCreate, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    require_on_service(container, caller, body.service, Role.RESPONDER)
    with container.engine.connect() as conn:
        service = SqlCatalogRepo(conn).service_by_name(body.service)
    if service is None:
        raise ValidationFailed.field("service", f"no service named {body.service!r}")
    if not body.source:
        body = body.model_copy(update={"source": caller.name})
    change_id = _record(container, str(service["id"]), None, body)
    with container.engine.connect() as conn:
        return SqlChangeRepo(conn).listing(change_id=change_id)[0]


@router.get("/changes", response_model=list[ChangeRead], summary="Changes, newest first")
def list_changes(
    conn: ReadConn,
    _caller: Reader,
    service: Annotated[str | None, Query(description="a service name")] = None,
    since: Annotated[AwareDatetime | None, Query(description="ISO 8601 with offset")] = None,
    kind: Annotated[ChangeKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    ids = None
    if service is not None:
        row = SqlCatalogRepo(conn).service_by_name(service)
        if row is None:
            raise ValidationFailed.field("service", f"no service named {service!r}")
        ids = [str(row["id"])]
    return SqlChangeRepo(conn).listing(service_ids=ids, since=since, kind=kind.value if kind else None, limit=limit)
