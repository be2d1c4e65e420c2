"""Playbook pages: every playbook with its phases and steps, and the incident page's Attach form
(a plain form with the CSRF token; back to the incident's checklists, with the error if refused)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.identity.model import Role
from firebell.kernel.errors import DomainError
from firebell.playbooks import queries, writes
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import CsrfSession, UserSession, render

router = APIRouter(include_in_schema=False)


@router.get("/playbooks", response_class=HTMLResponse)
def playbooks_page(request: Request, conn: ReadConn, session: UserSession) -> Response:
    return render(request, "playbooks.html", session, playbooks=queries.all_playbooks(conn))


@router.post("/incidents/{ref}/playbooks")
def attach(ref: str, container: ContainerDep, session: CsrfSession, playbook: Annotated[str, Form()] = "") -> Response:
    try:
        session.principal.require(Role.RESPONDER)
        writes.attach(container, ref, playbook, actor=session.email)
    except DomainError as exc:
        return RedirectResponse(f"/incidents/{quote(ref)}?error={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"/incidents/{quote(ref)}#checklists", status_code=303)
