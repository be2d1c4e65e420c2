"""Paging pages: the one-click acknowledge link, the delivery log and the page preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, NotFound
from firebell.paging import service
from firebell.paging.api import delivery_log
from firebell.paging.links import BadLink, verify_ack
from firebell.paging.preview import preview
from firebell.paging.repo import SqlPagingRepo
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import UserSession, render

router = APIRouter()


def _grant(container: Any, token: str) -> Any:
    return verify_ack(container.links.key, token, container.clock.now())


@router.get("/ack/{token}", response_class=HTMLResponse)
def ack_page(request: Request, token: str, conn: ReadConn, container: ContainerDep) -> Response:
    """Shows the incident and one button. A GET never acknowledges: mail scanners open links."""
    try:
        grant = _grant(container, token)
        incident = get_incident(conn, grant.incident_id)
    except (BadLink, NotFound) as exc:
        return render(request, "ack.html", None, problem=str(exc), incident=None, token=token)
    return render(request, "ack.html", None, incident=incident, token=token, problem=None, done=False)


@router.post("/ack/{token}", response_class=HTMLResponse)
def ack_action(request: Request, token: str, container: ContainerDep) -> Response:
    try:
        grant = _grant(container, token)
        with transaction(container.engine, write=True) as conn:
            person = SqlIdentityRepo(conn).user(grant.user_id)
            actor = str(person["display_name"] or person["email"]) if person else "someone with a page link"
            service.acknowledge(
                incidents=SqlIncidentRepo(conn),
                paging=SqlPagingRepo(conn),
                incident_id=grant.incident_id,
                actor=actor,
                via="the link in a page",
                now=container.clock.now(),
            )
            incident = get_incident(conn, grant.incident_id)
    except (BadLink, DomainError) as exc:
        problem = exc.message if isinstance(exc, DomainError) else str(exc)
        return render(request, "ack.html", None, problem=problem, incident=None, token=token, status_code=409)
    container.changes.bump()
    return render(request, "ack.html", None, incident=incident, token=token, problem=None, done=True)


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries_page(request: Request, conn: ReadConn, session: UserSession, status: str = "") -> Response:
    status = status if status in ("pending", "sent", "failed", "cancelled") else ""
    rows = delivery_log(conn, incident_id=None, status=status or None, limit=300)
    return render(request, "deliveries.html", session, deliveries=rows, status=status)


@router.get("/services/{name}/page-preview", response_class=HTMLResponse)
def preview_page(
    request: Request,
    name: str,
    conn: ReadConn,
    container: ContainerDep,
    session: UserSession,
    at: str = "",
    category: str = "",
) -> Response:
    found = SqlCatalogRepo(conn).service_by_name(name)
    if found is None:
        raise NotFound(f"no service named {name!r}")
    problem = None
    when = container.clock.now()
    if at:
        try:
            parsed = datetime.fromisoformat(at)
            when = parsed if parsed.tzinfo else parsed.replace(tzinfo=when.tzinfo)
        except ValueError:
            problem = f"{at!r} is not a date and time such as 2026-11-25T03:00"
    result = preview(
        repo=SqlPagingRepo(conn),
        service_id=str(found["id"]),
        service_name=name,
        at=when,
        links=container.links,
        category=category or None,
    )
    return render(request, "page_preview.html", session, preview=result, at=at, category=category, problem=problem)
