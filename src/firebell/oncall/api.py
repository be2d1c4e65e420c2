"""The on-call API: who is on call on a schedule, now or at any instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from firebell.identity.repo import SqlIdentityRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import ValidationFailed
from firebell.oncall import ical
from firebell.oncall.feeds import revoke_feed
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import (
    OnCallNow,
    add_override,
    create_feed,
    feed,
    on_call,
    schedule_names,
    schedule_view,
)
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder, SiteAdmin

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
    answer = on_call(oncall=SqlOncallRepo(conn), schedule_name=name, at=_aware(at, "at") or container.clock.now())
    return _read(answer)


def _read(answer: OnCallNow) -> OnCallRead:
    return OnCallRead(
        schedule=answer.schedule,
        at=answer.at,
        user_id=answer.user_id,
        handle=answer.handle,
        name=answer.name,
        source=answer.source,
        until=answer.until,
    )


@router.get("/oncall", response_model=list[OnCallRead], summary="Who is on call on every schedule")
def get_on_call_everywhere(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    at: Annotated[datetime | None, Query(description="an ISO 8601 instant with its offset; default now")] = None,
) -> list[OnCallRead]:
    repo = SqlOncallRepo(conn)
    when = _aware(at, "at") or container.clock.now()
    return [_read(on_call(oncall=repo, schedule_name=name, at=when)) for name in schedule_names(repo)]


class ShiftRead(BaseModel):
    start: datetime
    end: datetime
    user_id: str | None
    handle: str | None
    name: str | None
    source: str | None


class ScheduleRead(BaseModel):
    name: str
    zone: str
    shifts: list[ShiftRead]
    gaps: list[ShiftRead]
    warnings: list[str]


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValidationFailed.field(field, "give the instant's UTC offset, as in 2026-12-24T09:00:00+01:00")
    if not 1971 <= value.year <= 9000:
        raise ValidationFailed.field(field, "is out of range: use a year from 1971 to 9000")
    return value


@router.get(
    "/schedules/{name}/shifts",
    response_model=ScheduleRead,
    summary="A schedule's final shifts over a range (default the next 14 days), its gaps and warnings",
)
def get_shifts(
    name: str,
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    start: Annotated[datetime | None, Query(alias="from", description="ISO 8601 instant; default now")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="ISO 8601 instant; default from + 14 days")] = None,
) -> ScheduleRead:
    begin = _aware(start, "from") or container.clock.now()
    finish = _aware(end, "to") or begin + timedelta(days=14)
    view = schedule_view(oncall=SqlOncallRepo(conn), schedule_name=name, start=begin, end=finish)
    shifts = [ShiftRead.model_validate(s, from_attributes=True) for s in view.shifts]
    return ScheduleRead(
        name=view.name,
        zone=view.zone,
        shifts=shifts,
        gaps=[s for s in shifts if s.user_id is None],
        warnings=view.warnings,
    )


@router.get(
    "/calendar/{token}.ics",
    summary="An iCal feed of on-call shifts (the secret address is the only credential)",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 404: {"description": "no feed has this address"}},
)
def get_calendar(token: str, conn: ReadConn, container: ContainerDep) -> Response:
    title, shifts, changed = feed(oncall=SqlOncallRepo(conn), token=token, now=container.clock.now())
    return Response(
        ical.render(title, shifts, changed),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="oncall.ics"'},
    )


class FeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schedule: str | None = Field(default=None, description="a schedule's shifts")
    user: str | None = Field(default=None, description="or one person's shifts on every schedule (handle or email)")


class FeedRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=1, max_length=2000, description="the feed's address (or its secret)")


class FeedCreated(BaseModel):
    url: str = Field(description="the secret address, shown only now")


@router.post("/calendar-feeds", response_model=FeedCreated, status_code=201, summary="Issue a calendar feed address")
def post_feed(body: FeedCreate, container: ContainerDep, _caller: SiteAdmin) -> FeedCreated:
    with transaction(container.engine, write=True) as conn:
        token = create_feed(
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            schedule=body.schedule,
            user=body.user,
            now=container.clock.now(),
        )
    return FeedCreated(url=f"{container.settings.base_url()}/api/v1/calendar/{token}.ics")


@router.post("/calendar-feeds/revoke", status_code=204, summary="Revoke a calendar feed address: it answers 404")
def post_feed_revoke(body: FeedRevoke, container: ContainerDep, _caller: SiteAdmin) -> Response:
    with transaction(container.engine, write=True) as conn:
        revoke_feed(oncall=SqlOncallRepo(conn), address=body.address, now=container.clock.now())
    return Response(status_code=204)


class OverrideCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, description="handle or email of who covers")
    start: datetime
    end: datetime
    replaces: str | None = Field(default=None, description="handle or email of whose time it is")


class OverrideCreated(BaseModel):
    id: str


@router.post(
    "/schedules/{name}/overrides",
    response_model=OverrideCreated,
    status_code=201,
    summary="Someone covers a schedule for a while (vacation swaps); wins over every layer",
)
def post_override(name: str, body: OverrideCreate, container: ContainerDep, _caller: Responder) -> OverrideCreated:
    with transaction(container.engine, write=True) as conn:
        override_id = add_override(
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            schedule_name=name,
            user=body.user,
            start=body.start,
            end=body.end,
            replaces=body.replaces,
            now=container.clock.now(),
        )
    container.changes.bump()
    return OverrideCreated(id=override_id)
