"""Status page HTML: the public page (no login) and its admin page (components, public incidents,
maintenances), whose forms post with the CSRF token and redirect back with a notice or an error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, NotFound, ValidationFailed
from firebell.statuspage import service
from firebell.statuspage.model import LABEL, ComponentStatus, IncidentStatus, MaintenanceStatus
from firebell.statuspage.public import PublicView
from firebell.statuspage.public_api import page_info
from firebell.statuspage.repo import SqlStatusPageRepo
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import AdminCsrfSession, CsrfSession, UserSession, render

router = APIRouter(include_in_schema=False)
ADMIN = "/status-page/admin"
Text = Annotated[str, Form()]


@router.get("/status", response_class=HTMLResponse)
def public_page(request: Request, conn: ReadConn, container: ContainerDep) -> Response:
    page = PublicView(conn, page_info(container), container.clock.now())
    return render(
        request,
        "status.html",
        None,
        page=page.page,
        status=page.status(),
        sections=page.sections(),
        incidents=page.open_incidents(),
        maintenances=page.maintenances("pending"),
        resolved=page.recent_resolved(),
        labels=LABEL,
        updated_at=page.updated_at(),
    )


@router.get("/status/incidents/{incident_id}", response_class=HTMLResponse)
def public_incident(request: Request, incident_id: str, conn: ReadConn, container: ContainerDep) -> Response:
    page = PublicView(conn, page_info(container), container.clock.now())
    incident = page.incident(incident_id)
    if incident is None:
        raise NotFound("no such incident on this status page")
    return render(request, "status_incident.html", None, page=page.page, incident=incident, labels=LABEL)


@router.get(ADMIN, response_class=HTMLResponse)
def admin_page(request: Request, conn: ReadConn, container: ContainerDep, session: UserSession) -> Response:
    page = PublicView(conn, page_info(container), container.clock.now())
    return render(
        request,
        "status_admin.html",
        session,
        page=page.page,
        status=page.status(),
        components=SqlStatusPageRepo(conn).components(),
        shown={c["id"]: c["shown"] for s in page.sections() for c in s["components"]},
        incidents=page.open_incidents() + page.recent_resolved(),
        maintenances=page.maintenances("pending"),
        component_states=list(ComponentStatus),
        incident_states=list(IncidentStatus),
        maintenance_states=list(MaintenanceStatus),
        labels=LABEL,
        notice=request.query_params.get("notice"),
        error=request.query_params.get("error"),
    )


def _act(container: ContainerDep, run: Callable[[SqlStatusPageRepo, datetime], str]) -> Response:
    """Run a form's use case; back to the admin page with what happened, or why not. Who may post
    is the routes' to check (adding components takes an admin, as in the API): a refusal is the 403
    page, not a notice."""
    try:
        with transaction(container.engine, write=True) as conn:
            notice = run(SqlStatusPageRepo(conn), container.clock.now())
    except (DomainError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        return RedirectResponse(f"{ADMIN}?error={quote(message)}", status_code=303)
    container.changes.bump()
    return RedirectResponse(f"{ADMIN}?notice={quote(notice)}", status_code=303)


def _components(component: str, state: str) -> dict[str, ComponentStatus]:
    return {component: ComponentStatus(state)} if component and state else {}


def _utc(value: str, field: str) -> datetime:
    """A `datetime-local` form value, read as UTC (the form says so)."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed.field(field, "give a date and time") from None


@router.post(f"{ADMIN}/components")
def add_component(
    container: ContainerDep, _session: AdminCsrfSession, name: Text = "", description: Text = "", group: Text = ""
) -> Response:
    def run(repo: SqlStatusPageRepo, now: datetime) -> str:
        service.create_component(repo=repo, name=name, description=description, group=group or None, now=now)
        return f"component {name.strip()} added"

    return _act(container, run)


@router.post(f"{ADMIN}/components/{{component_id}}/status")
def component_status(component_id: str, container: ContainerDep, _session: CsrfSession, status: Text = "") -> Response:
    def run(repo: SqlStatusPageRepo, now: datetime) -> str:
        row = service.set_component_status(repo=repo, ref=component_id, status=ComponentStatus(status), now=now)
        return f"{row['name']} is now {LABEL[ComponentStatus(status)].lower()}"

    return _act(container, run)


@router.post(f"{ADMIN}/incidents")
def open_incident(
    container: ContainerDep,
    session: CsrfSession,
    name: Text = "",
    status: Text = "investigating",
    body: Text = "",
    component: Text = "",
    component_status: Text = "",
) -> Response:
    def run(repo: SqlStatusPageRepo, now: datetime) -> str:
        opened = service.open_incident(
            repo=repo,
            name=name,
            status=IncidentStatus(status),
            body=body,
            components=_components(component, component_status),
            actor=session.email,
            now=now,
        )
        return f"published “{opened['name']}”"

    return _act(container, run)


@router.post(f"{ADMIN}/incidents/{{incident_id}}/updates")
def incident_update(
    incident_id: str,
    container: ContainerDep,
    session: CsrfSession,
    status: Text = "",
    body: Text = "",
    component: Text = "",
    component_status: Text = "",
) -> Response:
    def run(repo: SqlStatusPageRepo, now: datetime) -> str:
        updated = service.post_update(
            repo=repo,
            incident_id=incident_id,
            status=IncidentStatus(status),
            body=body,
            components=_components(component, component_status),
            actor=session.email,
            now=now,
        )
        return f"update published on “{updated['name']}”: {status}"

    return _act(container, run)


@router.post(f"{ADMIN}/maintenances")
def schedule(
    container: ContainerDep,
    session: CsrfSession,
    name: Text = "",
    scheduled_for: Text = "",
    scheduled_until: Text = "",
    body: Text = "",
    components: Annotated[list[str] | None, Form()] = None,
) -> Response:
    def run(repo: SqlStatusPageRepo, now: datetime) -> str:
        made: dict[str, Any] = service.schedule_maintenance(
            repo=repo,
            name=name,
            scheduled_for=_utc(scheduled_for, "scheduled_for"),
            scheduled_until=_utc(scheduled_until, "scheduled_until"),
            components=components or [],
            body=body,
            actor=session.email,
            now=now,
        )
        return f"maintenance “{made['name']}” scheduled"

    return _act(container, run)


@router.post(f"{ADMIN}/maintenances/{{maintenance_id}}/updates")
def maintenance_update(
    maintenance_id: str, container: ContainerDep, session: CsrfSession, status: Text = "", body: Text = ""
) -> Response:
    def run(repo: SqlStatusPageRepo, now: datetime) -> str:
        moved = service.update_maintenance(
            repo=repo,
            maintenance_id=maintenance_id,
            status=MaintenanceStatus(status),
            body=body,
            actor=session.email,
            now=now,
        )
        return f"maintenance “{moved['name']}”: {status.replace('_', ' ')}"

    return _act(container, run)
