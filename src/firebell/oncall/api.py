"""The on-call API: who is on call on a schedule, now or at any instant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from firebell.kernel.errors import ValidationFailed
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import on_call
from firebell.web.deps import ContainerDep, ReadConn, Reader

router = APIRouter(prefix="/api/v1", tags=["on-call"])


class OnCallRead(BaseModel):
    schedule: str
    at: datetime
    user_id: str | None
    handle: str | None
    name: str | None
    source: str | None
    until: datetime | None


@router.get("/schedules/{name}/oncall", response_model=OnCallRead, summary="Who is on call on a schedule")
def get_on_call(
    name: str,
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    at: Annotated[datetime | None, Query(description="an ISO 8601 instant with its offset; default now")] = None,
) -> OnCallRead:
    if at is not None and at.tzinfo is None:
        raise ValidationFailed.field("at", "give the instant's UTC offset, as in 2026-12-24T09:00:00+01:00")
    answer = on_call(oncall=SqlOncallRepo(conn), schedule_name=name, at=at or container.clock.now())
    return OnCallRead(
        schedule=answer.schedule,
        at=answer.at,
        user_id=answer.user_id,
        handle=answer.handle,
        name=answer.name,
        source=answer.source,
        until=answer.until,
    )
