"""Pages shared by every domain: login, logout, the home redirect and the live-update stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from firebell.actionitems import views as action_item_views
from firebell.alerts import views as alert_views
from firebell.catalog import views as catalog_views
from firebell.drills import views as drill_views
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import log_in, log_out
from firebell.incidents import response_views
from firebell.incidents import views as incident_views
from firebell.infra.db import transaction
from firebell.kernel.errors import Unauthenticated
from firebell.oncall import policy_views
from firebell.oncall import views as oncall_views
from firebell.paging import views as paging_views
from firebell.playbooks import views as playbook_views
from firebell.postmortems import views as postmortem_views
from firebell.runbooks import views as runbook_views
from firebell.web.deps import SESSION_COOKIE, ContainerDep, OptionalSession
from firebell.web.pages import CsrfSession, UserSession, render

router = APIRouter(include_in_schema=False)
router.include_router(incident_views.router)
router.include_router(response_views.router)
router.include_router(alert_views.router)
router.include_router(catalog_views.router)
router.include_router(oncall_views.router)
router.include_router(paging_views.router)
router.include_router(policy_views.router)
router.include_router(postmortem_views.router)
router.include_router(action_item_views.router)
router.include_router(drill_views.router)
router.include_router(runbook_views.router)
router.include_router(playbook_views.router)


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/incidents"


@router.get("/")
def home() -> Response:
    return RedirectResponse("/incidents", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: OptionalSession, next: str = "/incidents") -> Response:
    if session is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    container: ContainerDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/incidents",
) -> Response:
    lifetime = timedelta(hours=container.settings.session_hours)
    try:
        with transaction(container.engine, write=True) as conn:
            session = log_in(
                repo=SqlIdentityRepo(conn), email=email, password=password, now=container.clock.now(), lifetime=lifetime
            )
    except Unauthenticated as exc:
        refused = render(request, "login.html", None, next=_safe_next(next), error=exc.message, email=email)
        refused.status_code = 401
        return refused
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=container.settings.env == "prod",
    )
    return response


@router.post("/logout")
def logout(container: ContainerDep, session: CsrfSession) -> Response:
    with transaction(container.engine, write=True) as conn:
        log_out(repo=SqlIdentityRepo(conn), token=session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/ui/stream")
async def stream(request: Request, container: ContainerDep, _session: UserSession) -> StreamingResponse:
    """Server-sent events: `changed` whenever alerts or incidents change in this process."""

    async def events() -> AsyncIterator[bytes]:
        seen = container.changes.version
        yield b": connected\n\n"
        while not await request.is_disconnected():
            version = await container.changes.wait(seen, timeout=15.0)
            if version != seen:
                seen = version
                yield f"event: changed\ndata: {version}\n\n".encode()
                await asyncio.sleep(0.5)  # coalesce bursts: at most two refreshes a second
            else:
                yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-cache"})
