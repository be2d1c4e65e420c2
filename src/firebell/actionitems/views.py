"""The action items board: open, in progress and done, with what is overdue."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.actionitems.api import change_item, find_user, item_view
from firebell.actionitems.model import ItemStatus, completion, parse_reference
from firebell.actionitems.repo import SqlActionItemRepo
from firebell.actionitems.schemas import ActionItemChange
from firebell.identity.repo import SqlIdentityRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError
from firebell.web.deps import ContainerDep, ReadConn
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
        completion=rate,
        people=SqlIdentityRepo(conn).people(),
        owner=owner,
        overdue=overdue,
        error=error,
    )


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
