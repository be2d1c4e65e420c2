"""The action items board: open, in progress and done, with what is overdue."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.actionitems.api import add_item, change_item, find_user
from firebell.actionitems.mirror import item_view
from firebell.actionitems.model import ItemStatus, Kind, Priority, completion, parse_reference
from firebell.actionitems.repo import SqlActionItemRepo
from firebell.actionitems.schemas import ActionItemChange, ActionItemCreate
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError
from firebell.web.deps import ContainerDep, ReadConn, require_on_incident
from firebell.web.pages import CsrfSession, UserSession, render

router = APIRouter()


@router.get("/action-items", response_class=HTMLResponse)
def board(
    request: Request,
    conn: ReadConn,
    container: ContainerDep,
    session: UserSession,
    owner: str = "",
    overdue: bool = False,
    error: str = "",
) -> Response:
    today = container.clock.now().date()
    repo = SqlActionItemRepo(conn)
    try:
        owner_id = find_user(conn, owner, "owner") if owner else None
    except DomainError as exc:
        owner_id, error = None, exc.message
    items = [item_view(r, today) for r in repo.listing(owner_id=owner_id, overdue_on=today if overdue else None)]
    columns = {s: [i for i in items if i["status"] == s.value] for s in ItemStatus}
    rate = completion([(ItemStatus(s), d, c) for s, d, c in repo.completion_rows()], today)
    return render(
        request,
        "action_items.html",
        session,
        nav="postmortems",
        columns=columns,
        statuses=list(ItemStatus),
        priorities=list(Priority),
        kinds=list(Kind),
        completion=rate,
        people=SqlIdentityRepo(conn).people(),
        owner=owner,
        overdue=overdue,
        error=error,
    )


@router.post("/action-items")
def add(
    container: ContainerDep,
    session: CsrfSession,
    incident: Annotated[str, Form()],
    title: Annotated[str, Form()],
    priority: Annotated[str, Form()] = "P2",
    kind: Annotated[str, Form()] = "preventative",
    owner: Annotated[str, Form()] = "",
    due: Annotated[str, Form()] = "",
) -> Response:
    # As the API does: the responder role on the team owning the incident (refused: the 403 page).
    require_on_incident(container, session.principal, incident, Role.RESPONDER)
    try:
        body = ActionItemCreate(
            incident=incident.strip().lstrip("#"),
            title=title,
            priority=priority,
            kind=kind,
            owner=owner or None,
            due=date.fromisoformat(due) if due else None,
        )
        with transaction(container.engine, write=True) as conn:
            item = add_item(container, conn, body, session.email, from_postmortem=False)
    except (DomainError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else f"due: {exc}"
        return RedirectResponse(f"/action-items?error={quote(message)}", status_code=303)
    container.changes.bump()
    container.sent()
    return RedirectResponse(f"/action-items#AI-{item['number']}", status_code=303)


@router.post("/action-items/{ref}/status")
def set_status(
    ref: str,
    container: ContainerDep,
    session: CsrfSession,
    status: Annotated[str, Form()],
    back: Annotated[str, Form()] = "/action-items",
) -> Response:
    target = back if back.startswith("/") and not back.startswith("//") else "/action-items"
    try:
        with transaction(container.engine, write=True) as conn:
            change_item(container, conn, parse_reference(ref), ActionItemChange(status=status), session.email)
    except DomainError as exc:
        sep = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{sep}error={quote(exc.message)}", status_code=303)
    container.changes.bump()
    container.sent()
    return RedirectResponse(f"{target}#AI-{parse_reference(ref)}", status_code=303)
