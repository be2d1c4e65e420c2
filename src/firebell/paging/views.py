"""Paging pages: the one-click acknowledge link, the reassign and "Page more people" forms, the
delivery log and the page preview."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.repo import SqlIdentityRepo
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, NotFound, PermissionDenied
from firebell.kernel.severity import Sev
from firebell.oncall.repo import SqlOncallRepo
from firebell.paging import responders, service
from firebell.paging.api import delivery_log, reassign_target, responder_targets
from firebell.paging.links import BadLink, verify_ack
from firebell.paging.model import Answer
from firebell.paging.preview import preview
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.runner import EscalationRunner, sends_finished
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import CsrfSession, UserSession, render

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
            if person is not None and (person.get("disabled_at") or person.get("deleted_at")):
                raise PermissionDenied("this link's person is disabled: acknowledge from the incident page instead")
            actor = str(person["display_name"] or person["email"]) if person else "someone with a page link"
            answer = service.acknowledge(
                incidents=SqlIncidentRepo(conn),
                paging=SqlPagingRepo(conn),
                incident_id=grant.incident_id,
                actor=actor,
                via="the link in a page",
                now=container.clock.now(),
                actor_id=grant.user_id if person else None,
            )
            incident = get_incident(conn, grant.incident_id)
    except (BadLink, DomainError) as exc:
        problem = exc.message if isinstance(exc, DomainError) else str(exc)
        return render(request, "ack.html", None, problem=problem, incident=None, token=token, status_code=409)
    container.changes.bump()
    sends_finished(container, grant.incident_id)
    joining = answer is Answer.REQUEST
    return render(request, "ack.html", None, incident=incident, token=token, problem=None, done=True, joining=joining)


def reassign_choices(conn: Any) -> list[tuple[str, str]]:
    """The incident page's reassign menu: every policy, then every person with a handle."""
    policies = [(f"policy:{p['name']}", f"policy {p['name']}") for p in SqlOncallRepo(conn).policies()]
    people = [
        (f"user:{p['handle']}", f"{p['display_name'] or p['handle']} ({p['handle']})")
        for p in SqlIdentityRepo(conn).people()
        if p.get("handle") and p.get("disabled_at") is None
    ]
    return policies + people


@router.post("/incidents/{ref}/reassign")
def reassign_form(ref: str, container: ContainerDep, session: CsrfSession, target: Annotated[str, Form()]) -> Response:
    kind, _, key = target.partition(":")
    try:
        with transaction(container.engine, write=True) as conn:
            incident = get_incident(conn, ref)
            policy, person = reassign_target(
                conn, policy=key if kind == "policy" else None, user=key if kind != "policy" else None
            )
            service.reassign(
                incidents=SqlIncidentRepo(conn),
                paging=SqlPagingRepo(conn),
                incident_id=incident["id"],
                actor=session.email,
                now=container.clock.now(),
                policy=policy,
                person=person,
            )
    except DomainError as exc:
        return RedirectResponse(f"/incidents/{quote(ref)}?error={quote(exc.message)}", status_code=303)
    container.background.poke(EscalationRunner.name)
    container.changes.bump()
    return RedirectResponse(f"/incidents/{quote(ref)}", status_code=303)


def responder_choices(conn: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """The incident page's "Page more people" menu, in groups: people, schedules, teams."""
    oncall = SqlOncallRepo(conn)
    people = [
        (f"user:{p['handle']}", f"{p['display_name'] or p['handle']} ({p['handle']})")
        for p in SqlIdentityRepo(conn).people()
        if p.get("handle") and p.get("disabled_at") is None
    ]
    schedules = [(f"schedule:{s['name']}", f"on call on {s['name']}") for s in oncall.schedules()]
    teams = [(f"team:{t['name']}", f"team {t['name']}") for t in oncall.teams()]
    return [
        (label, group) for label, group in (("People", people), ("Schedules", schedules), ("Teams", teams)) if group
    ]


@router.post("/incidents/{ref}/responders")
def responders_form(
    ref: str,
    container: ContainerDep,
    session: CsrfSession,
    target: Annotated[list[str] | None, Form()] = None,
    message: Annotated[str, Form()] = "",
) -> Response:
    """The "Page more people" form: `target` values are `user:`, `schedule:` or `team:` and a name."""
    chosen: dict[str, list[str]] = {"user": [], "schedule": [], "team": []}
    for value in target or []:
        kind, _, name = value.partition(":")
        chosen.setdefault(kind, []).append(name)
    try:
        with transaction(container.engine, write=True) as conn:
            incident = get_incident(conn, ref)
            ask = responder_targets(conn, users=chosen["user"], schedules=chosen["schedule"], teams=chosen["team"])
            outcome = responders.page_responders(
                incidents=SqlIncidentRepo(conn),
                paging=SqlPagingRepo(conn),
                incident_id=str(incident["id"]),
                ask=ask,
                message=message,
                actor=session.email,
                now=container.clock.now(),
                actor_id=session.principal.user_id,
            )
    except DomainError as exc:
        return RedirectResponse(f"/incidents/{quote(ref)}?error={quote(exc.message)}#paging", status_code=303)
    container.sent()
    container.changes.bump()
    said = "Paged " + ", ".join(p.name for p in outcome.paged)
    said += "".join(f"; {s.name} {s.reason}" for s in outcome.skipped)
    return RedirectResponse(f"/incidents/{quote(ref)}?notice={quote(said)}#paging", status_code=303)


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
    severity: str = "SEV-1",
) -> Response:
    found = SqlCatalogRepo(conn).service_by_name(name)
    if found is None:
        raise NotFound(f"no service named {name!r}")
    problem = None
    try:
        sev = Sev.parse(severity)
    except ValueError as exc:
        problem, sev = str(exc), Sev.SEV1
    when = container.clock.now()
    if at:
        try:
            parsed = datetime.fromisoformat(at)
            when = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # the form says UTC
            if not 1971 <= when.year <= 9000:
                raise ValueError(at)
        except ValueError:
            problem = f"{at!r} is not a date and time such as 2026-11-25T03:00"
            when = container.clock.now()
    result = preview(
        repo=SqlPagingRepo(conn),
        service_id=str(found["id"]),
        service_name=name,
        at=when,
        links=container.links,
        category=category or None,
        sev=sev,
    )
    return render(
        request, "page_preview.html", session, preview=result, at=at, category=category, problem=problem,
        severities=[s.value for s in Sev],
    )  # fmt: skip
