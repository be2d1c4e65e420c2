"""GET /api/v1/audit: the audit log, for admins. No endpoint changes it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from firebell.audit import queries
from firebell.audit.schemas import AuditEntryRead
from firebell.kernel.errors import ValidationFailed
from firebell.web.deps import ReadConn, SiteAdmin

router = APIRouter(prefix="/api/v1", tags=["audit"])


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed.field(field, "give a time zone offset, e.g. 2026-11-26T10:00:00Z")
    return value


@router.get(
    "/audit",
    response_model=list[AuditEntryRead],
    summary="Who changed what, when, with the row before and after; newest first",
)
def get_audit(
    conn: ReadConn,
    _caller: SiteAdmin,
    entity: Annotated[str | None, Query(max_length=64, description="a table, e.g. schedules")] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=320)] = None,
    since: Annotated[datetime | None, Query(description="from this instant (with its offset)")] = None,
    until: Annotated[datetime | None, Query(description="before this instant (with its offset)")] = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=2**62, description="the next page: entries older than this id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return queries.entries(
        conn,
        entity=entity,
        entity_id=entity_id,
        actor=actor,
        since=_aware(since, "since"),
        until=_aware(until, "until"),
        before_id=before_id,
        limit=limit,
    )
