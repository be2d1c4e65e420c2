"""The heartbeat API: create and list monitors, and the ping endpoint jobs call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from firebell.catalog.repo import SqlCatalogRepo
from firebell.heartbeats import service
from firebell.heartbeats.repo import SqlHeartbeatRepo
from firebell.heartbeats.runner import HeartbeatWatch
from firebell.identity.model import Role
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound
from firebell.oncall.escalation import parse_duration
from firebell.paging.runner import EscalationRunner
from firebell.web.deps import AdminScope, ContainerDep, ReadConn, Reader, require_on_service

router = APIRouter(prefix="/api/v1", tags=["heartbeats"])


class HeartbeatCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    service: str
    interval: str = Field(description="how often the job pings: 90s, 5m, 1h, 1d")
    grace: str = Field(default="1m", description="how late a ping may be before the alert")

    @field_validator("interval", "grace")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class HeartbeatCreated(BaseModel):
    id: str
    name: str
    ping_url: str = Field(description="GET or POST it from the job; shown once")


class HeartbeatRead(BaseModel):
    name: str
    service: str
    interval_seconds: int
    grace_seconds: int
    state: str
    last_ping_at: datetime | None
    next_due_at: datetime | None


@router.post("/heartbeats", response_model=HeartbeatCreated, status_code=201, summary="Create a heartbeat monitor")
def create(body: HeartbeatCreate, container: ContainerDep, caller: AdminScope) -> dict[str, Any]:
    # A missed ping pages the service's team: its admins decide that, as for the service's integrations.
    require_on_service(container, caller, body.service, Role.ADMIN)
    with transaction(container.engine, write=True) as conn:
        heartbeat_id, key = service.create(
            catalog=SqlCatalogRepo(conn),
            repo=SqlHeartbeatRepo(conn),
            name=body.name,
            service=body.service,
            interval=parse_duration(body.interval),
            grace=parse_duration(body.grace),
            now=container.clock.now(),
        )
    container.catalog_changed()
    container.background.poke(HeartbeatWatch.name)
    return {"id": heartbeat_id, "name": body.name, "ping_url": f"{container.settings.base_url()}/heartbeat/{key}"}


@router.get("/heartbeats", response_model=list[HeartbeatRead], summary="Heartbeat monitors and their state")
def listing(conn: ReadConn, _caller: Reader) -> list[dict[str, Any]]:
    return SqlHeartbeatRepo(conn).listing()


ping_router = APIRouter(tags=["heartbeats"])


@ping_router.get("/heartbeat/{key}", summary="A job's ping (the key is the secret)", operation_id="ping_heartbeat_get")
@ping_router.post(
    "/heartbeat/{key}", summary="A job's ping (the key is the secret)", operation_id="ping_heartbeat_post"
)
def ping(key: str, container: ContainerDep) -> dict[str, Any]:
    ref = container.integration_for_key(key)
    if ref is None or ref.kind != "heartbeat":
        raise NotFound("no heartbeat has this key", details=[{"field": "key"}])
    with transaction(container.engine, write=True) as conn:
        row = service.ping(
            repo=SqlHeartbeatRepo(conn),
            intake=lambda subs: container.intake_in(conn, subs),
            integration_id=ref.integration_id,
            now=container.clock.now(),
        )
    container.changes.bump()
    container.background.poke(HeartbeatWatch.name, EscalationRunner.name)
    return {"heartbeat": row["name"], "state": row["state"], "next_due_at": row["next_due_at"]}
