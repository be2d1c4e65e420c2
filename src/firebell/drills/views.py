"""The drills pages: fire a paging drill, plan a game day, read a drill's report."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.catalog.repo import SqlCatalogRepo
from firebell.drills.api import (
    DrillCreate,
    DrillEnd,
    DrillOutcome,
    _drill,
    _plan,
    end_drill,
    fire,
    record_outcome,
    view,
)
from firebell.drills.model import DEFAULT_HYPOTHESIS
from firebell.drills.repo import SqlDrillRepo
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.kernel.errors import DomainError
from firebell.web.deps import ContainerDep, ReadConn, require_on_service
from firebell.web.pages import CsrfSession, UserSession, render

router = APIRouter()


def _back(path: str, error: str = "") -> Response:
    return RedirectResponse(f"{path}?error={quote(error)}" if error else path, status_code=303)


@router.get("/drills", response_class=HTMLResponse)
def drills_page(request: Request, conn: ReadConn, session: UserSession, error: str = "") -> Response:
    return render(
        request,
        "drills.html",
        session,
        nav="drills",
        drills=[view(conn, d, detail=False) for d in SqlDrillRepo(conn).listing(limit=100)],
        services=[s["name"] for s in SqlCatalogRepo(conn).services()],
        people=SqlIdentityRepo(conn).people(),
        default_hypothesis="\n".join(DEFAULT_HYPOTHESIS),
        error=error,
    )


@router.post("/drills")
async def start(
    container: ContainerDep,
    session: CsrfSession,
    service: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "paging",
    target: Annotated[str, Form()] = "",
    page: Annotated[list[str] | None, Form()] = None,
    hypothesis: Annotated[str, Form()] = "",
) -> Response:
    await run_in_threadpool(require_on_service, container, session.principal, service, Role.RESPONDER)
    try:
        body = DrillCreate(
            service=service,
            kind=kind,
            target=target,
            page=page or [],
            hypothesis=[line for line in hypothesis.splitlines() if line.strip()] if kind == "game_day" else None,
        )
        drill, submission = await run_in_threadpool(_plan, container, body, session.email)
    except (DomainError, ValueError) as exc:
        return _back("/drills", exc.message if isinstance(exc, DomainError) else str(exc))
    if submission is not None:
        await fire(container, drill, submission)
    return RedirectResponse(f"/drills/DR-{drill['number']}", status_code=303)


@router.get("/drills/{ref}", response_class=HTMLResponse)
def drill_page(ref: str, request: Request, conn: ReadConn, session: UserSession, error: str = "") -> Response:
    return render(request, "drill.html", session, nav="drills", drill=view(conn, _drill(conn, ref)), error=error)


@router.post("/drills/{ref}/end")
def end(ref: str, container: ContainerDep, session: CsrfSession, outcome: Annotated[str, Form()] = "") -> Response:
    try:
        end_drill(ref, DrillEnd(outcome=outcome), container, session.principal)
    except (DomainError, ValueError) as exc:
        return _back(f"/drills/{quote(ref)}", exc.message if isinstance(exc, DomainError) else "outcome: too long")
    return RedirectResponse(f"/drills/{quote(ref)}", status_code=303)


@router.post("/drills/{ref}/outcome")
async def outcome(ref: str, request: Request, container: ContainerDep, session: CsrfSession) -> Response:
    form = await request.form()
    held = {
        int(k[5:]): v == "yes"
        for k, v in form.items()
        if k.startswith("held_") and k[5:].isdigit() and v in {"yes", "no"}
    }
    try:
        body = DrillOutcome(held=held, outcome=str(form.get("outcome", "")))
        await run_in_threadpool(record_outcome, ref, body, container, session.principal)
    except (DomainError, ValueError) as exc:
        return _back(f"/drills/{quote(ref)}", exc.message if isinstance(exc, DomainError) else str(exc))
    return RedirectResponse(f"/drills/{quote(ref)}", status_code=303)
