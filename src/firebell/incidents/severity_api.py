"""The severities' response targets over the API: read them (anyone), set one severity's (site admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from firebell.incidents.severity_config import SeverityTargetsIn, listing, set_severity
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.infra.db import transaction
from firebell.web.deps import ContainerDep, ReadConn, Reader, SiteAdmin

router = APIRouter(prefix="/api/v1", tags=["incidents"])


class SeverityTargetsRead(BaseModel):
    sev: str
    acknowledge: str
    assemble: str | None
    investigate: str | None
    update_every: str | None
    resolve: str | None
    postmortem_within: str | None
    postmortem: str = Field(description="required, optional or not needed")
    business_hours: bool = Field(description="the response targets count working time only")
    overrides: dict[str, Any] = Field(description="the fields set over the playbook's values, as apply files have them")
    summary: str


@router.get("/severities", response_model=list[SeverityTargetsRead], summary="Each severity's response targets")
def get_severities(conn: ReadConn, _caller: Reader) -> list[dict[str, Any]]:
    return listing(SqlSeverityTargetsRepo(conn).stored())


@router.put(
    "/severities/{sev}",
    response_model=SeverityTargetsRead,
    summary="Set a severity's targets over the playbook's (fields left out take the playbook's value)",
)
def put_severity(sev: str, body: SeverityTargetsIn, container: ContainerDep, _caller: SiteAdmin) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlSeverityTargetsRepo(conn)
        parsed = set_severity(sev, body, store=repo, now=container.clock.now())
        found = next(row for row in listing(repo.stored()) if row["sev"] == parsed.value)
    container.changes.bump()
    return found
