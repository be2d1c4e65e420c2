"""On-call pages: who is on call now on every schedule, and one schedule as a timeline in one zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import WebSession
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, NotFound, ValidationFailed
from firebell.oncall.feeds import revoke_feed
from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import add_override, create_feed, on_call, schedule_names, schedule_timeline
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import AdminCsrfSession, CsrfSession, UserSession, render

router = APIRouter()


@router.get("/oncall", response_class=HTMLResponse)
def now_page(request: Request, conn: ReadConn, container: ContainerDep, session: UserSession) -> Response:
    repo = SqlOncallRepo(conn)
    now = container.clock.now()
    answers = [on_call(oncall=repo, schedule_name=name, at=now) for name in schedule_names(repo)]
    return render(request, "oncall.html", session, answers=answers, disabled=_disabled(conn))


def _disabled(conn: Connection) -> set[str]:
    """Ids of the people who are disabled: the pages mark them, as nobody pages them."""
    return {str(p["id"]) for p in SqlIdentityRepo(conn).people() if p.get("disabled_at") is not None}


@router.get("/oncall/{name}", response_class=HTMLResponse)
def schedule_page(
    request: Request, name: str, conn: ReadConn, container: ContainerDep, session: UserSession
) -> Response:
    return _schedule_page(request, name, conn, container, session)


def _viewer_zone(conn: Connection, session: WebSession) -> str:
    """The time zone in the viewer's profile (UTC when they have none)."""
    me = next((p for p in SqlIdentityRepo(conn).people() if str(p["id"]) == session.principal.user_id), None)
    return str((me or {}).get("timezone") or "UTC")


def _schedule_page(
    request: Request, name: str, conn: Connection, container: ContainerDep, session: WebSession, feed_url: str = ""
) -> Response:
    """The timeline of `days` (1, 7 or 14) days from `day`, in one zone: the schedule's, unless
    `zone` asks for the viewer's (`mine`) or UTC."""
    query = request.query_params
    choice = query.get("zone", "schedule")
    mine = _viewer_zone(conn, session)
    zones = {"schedule": None, "mine": mine, "utc": "UTC"}
    if choice not in zones:
        raise ValidationFailed.field("zone", "choose schedule, mine or utc")
    try:
        day = date.fromisoformat(query["day"]) if query.get("day") else None
        days = int(query.get("days", "7"))
    except ValueError:
        raise ValidationFailed.field("day", "give the first day as YYYY-MM-DD and 1, 7 or 14 days") from None
    repo = SqlOncallRepo(conn)
    drawn = schedule_timeline(
        oncall=repo, schedule_name=name, zone=zones[choice], day=day, days=days, now=container.clock.now()
    )
    tz = ZoneInfo(drawn.timeline.zone)
    people = [p for p in SqlIdentityRepo(conn).people() if p.get("handle") and p.get("disabled_at") is None]

    def link(**changes: object) -> str:
        wanted = {"day": drawn.day.isoformat(), "days": str(drawn.days), "zone": choice, **changes}
        return f"/oncall/{quote(name)}?" + urlencode(wanted)

    step = timedelta(days=drawn.days)
    return render(
        request,
        "oncall_schedule.html",
        session,
        view=drawn.view,
        drawn=drawn,
        colours={user: f"p{i % 8}" for i, user in enumerate(sorted(drawn.people))},
        local=lambda t: t.astimezone(tz),
        zone_choice=choice,
        zone_names={"schedule": drawn.schedule_zone, "mine": mine, "utc": "UTC"},
        link=link,
        earlier=link(day=(drawn.day - step).isoformat()),
        later=link(day=(drawn.day + step).isoformat()),
        last_day=drawn.day + step - timedelta(days=1),
        clock_now=container.clock.now(),
        people=people,
        disabled=_disabled(conn),
        feed_url=feed_url,
        error=request.query_params.get("error"),
        done=request.query_params.get("done"),
    )


@router.post("/oncall/{name}/overrides")
def override_form(
    name: str,
    container: ContainerDep,
    session: CsrfSession,
    user: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    zone: Annotated[str, Form()] = "UTC",
    replaces: Annotated[str, Form()] = "",
) -> Response:
    """The override form: local date-times in the schedule's zone, as a datetime-local input sends."""
    back = f"/oncall/{quote(name)}"
    try:
        tz = ZoneInfo(zone)
        begin = datetime.fromisoformat(start).replace(tzinfo=tz)
        finish = datetime.fromisoformat(end).replace(tzinfo=tz)
        with transaction(container.engine, write=True) as conn:
            add_override(
                oncall=SqlOncallRepo(conn),
                identity=SqlIdentityRepo(conn),
                schedule_name=name,
                user=user,
                start=begin,
                end=finish,
                replaces=replaces or None,
                now=container.clock.now(),
            )
    except DomainError as exc:
        return RedirectResponse(f"{back}?error={quote(exc.message)}", status_code=303)
    except (ValueError, ZoneInfoNotFoundError):
        return RedirectResponse(f"{back}?error={quote('give a start and an end date and time')}", status_code=303)
    container.changes.bump()
    return RedirectResponse(f"{back}?done={quote(f'override added for {user} ({session.email})')}", status_code=303)


@router.post("/oncall/{name}/feeds", response_class=HTMLResponse)
def feed_form(request: Request, name: str, container: ContainerDep, session: AdminCsrfSession) -> Response:
    """A new calendar address for this schedule, shown once on the page."""
    try:
        with transaction(container.engine, write=True) as conn:
            token = create_feed(
                oncall=SqlOncallRepo(conn),
                identity=SqlIdentityRepo(conn),
                schedule=name,
                user=None,
                now=container.clock.now(),
            )
    except DomainError as exc:
        return RedirectResponse(f"/oncall/{quote(name)}?error={quote(exc.message)}", status_code=303)
    url = f"{container.settings.base_url()}/api/v1/calendar/{token}.ics"
    with transaction(container.engine) as conn:
        return _schedule_page(request, name, conn, container, session, feed_url=url)


@router.post("/oncall/{name}/feeds/revoke")
def feed_revoke_form(
    name: str, container: ContainerDep, _session: AdminCsrfSession, address: Annotated[str, Form()] = ""
) -> Response:
    """Revoke one of this schedule's calendar addresses: it answers 404 from now on."""
    back = f"/oncall/{quote(name)}"
    try:
        with transaction(container.engine, write=True) as conn:
            oncall = SqlOncallRepo(conn)
            row = oncall.schedule_by_name(name)
            if row is None:
                raise NotFound(f"no schedule named {name!r}")
            revoke_feed(oncall=oncall, address=address, now=container.clock.now(), schedule_id=str(row["id"]))
    except DomainError as exc:
        return RedirectResponse(f"{back}?error={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"{back}?done={quote('calendar address revoked: it answers 404 now')}", status_code=303)
