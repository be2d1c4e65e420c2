"""Runbook pages: the list with the catalog's coverage, and one runbook shown beside its checklist,
with an edit form. Forms post with the CSRF token; an invalid edit comes back with the text kept, one
the caller may not make (only admins of the runbook's team, see runbooks.service) is not allowed."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from firebell.bootstrap import Container
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Role
from firebell.identity.service import WebSession
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, PermissionDenied
from firebell.oncall.repo import SqlOncallRepo
from firebell.runbooks import queries, writes
from firebell.runbooks.checklist import CHECKLIST
from firebell.runbooks.render import render_html
from firebell.runbooks.service import Draft
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.ownership import owner_of_runbook
from firebell.web.pages import AdminCsrfSession, FormSession, UserSession, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]


def _may_add(session: WebSession) -> bool:
    """Whether to offer the form: an admin of some team, or of everything (the save decides)."""
    caller = session.principal
    return caller.is_admin or Role.ADMIN in caller.teams.values()


def _choices(conn: Connection) -> dict[str, list[str]]:
    return {
        "services": [s["name"] for s in SqlCatalogRepo(conn).services()],
        "teams": [str(t["name"]) for t in SqlOncallRepo(conn).teams()],
    }


def _list_page(request: Request, conn: Connection, container: Container, session: WebSession, **extra: Any) -> Response:
    today, days = container.clock.now().date(), container.settings.runbooks.stale_after_days
    found = queries.runbooks_with_reports(conn, today=today, stale_after_days=days)
    return render(
        request,
        "runbooks.html",
        session,
        runbooks=found,
        coverage=queries.catalog_coverage(conn, today=today, stale_after_days=days, reports=found),
        stale_after_days=days,
        can_write=_may_add(session),
        **_choices(conn),
        notice=request.query_params.get("notice"),
        **extra,
    )


@router.get("/runbooks", response_class=HTMLResponse)
def runbooks(request: Request, conn: ReadConn, container: ContainerDep, session: UserSession) -> Response:
    return _list_page(request, conn, container, session)


def _runbook_page(
    request: Request, conn: Connection, container: Container, session: WebSession, runbook_id: str, **extra: Any
) -> Response:
    today, days = container.clock.now().date(), container.settings.runbooks.stale_after_days
    row, report = queries.runbook_with_report(conn, runbook_id, today=today, stale_after_days=days)
    return render(
        request,
        "runbook.html",
        session,
        runbook=row,
        report=report,
        html=render_html(str(row["body"])),
        checklist=CHECKLIST,
        can_write=session.principal.may(Role.ADMIN, owner_of_runbook(conn, runbook_id)),
        **_choices(conn),
        notice=request.query_params.get("notice"),
        draft=extra.pop("draft", row),
        **extra,
    )


@router.get("/runbooks/{runbook_id}", response_class=HTMLResponse)
def runbook(
    request: Request, runbook_id: str, conn: ReadConn, container: ContainerDep, session: UserSession
) -> Response:
    return _runbook_page(request, conn, container, session, runbook_id)


def _form(title: Text = "", service: Text = "", team: Text = "", body: Text = "") -> dict[str, str]:
    return {"title": title, "service": service, "team": team, "body": body}


RunbookForm = Annotated[dict[str, str], Depends(_form)]


@router.post("/runbooks", response_class=HTMLResponse)
def add(request: Request, container: ContainerDep, session: FormSession, form: RunbookForm) -> Response:
    # The team is known from the form only: the use case checks the caller against it.
    draft = Draft(
        body=form["body"], title=form["title"] or None, service=form["service"] or None, team=form["team"] or None
    )
    try:
        runbook_id = writes.save(container, draft, caller=session.principal, actor=session.email)
    except PermissionDenied:
        raise
    except DomainError as exc:
        with transaction(container.engine) as conn:
            return _list_page(request, conn, container, session, error=exc.message, draft=form, status_code=422)
    return RedirectResponse(f"/runbooks/{runbook_id}?notice={quote('runbook added')}", status_code=303)


@router.post("/runbooks/{runbook_id}", response_class=HTMLResponse)
def edit(
    request: Request, runbook_id: str, container: ContainerDep, session: AdminCsrfSession, form: RunbookForm
) -> Response:
    try:
        draft = Draft(body=form["body"], title=form["title"], service=form["service"], team=form["team"])
        writes.save(container, draft, caller=session.principal, actor=session.email, runbook_id=runbook_id)
    except PermissionDenied:
        raise
    except DomainError as exc:
        with transaction(container.engine) as conn:
            page = _runbook_page(request, conn, container, session, runbook_id, error=exc.message, draft=form)
            page.status_code = 422
            return page
    return RedirectResponse(f"/runbooks/{runbook_id}?notice={quote('saved')}", status_code=303)
