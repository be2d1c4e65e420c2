"""Account pages: an admin disables (after seeing what it touches), enables, deletes people and
issues reset links; a person changes their password; a reset link's page sets a new one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from firebell.audit import capture as audit
from firebell.identity import lifecycle
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.views import access_view
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, NotFound, ValidationFailed
from firebell.kernel.ids import secret_digest
from firebell.oncall import departures
from firebell.oncall.repo import SqlOncallRepo
from firebell.web.deps import SESSION_COOKIE, ContainerDep
from firebell.web.pages import AdminCsrfSession, AdminUser, FormSession, render

router = APIRouter(include_in_schema=False)


def _back(notice: str = "", error: str = "", anchor: str = "people") -> Response:
    query = f"?notice={quote(notice)}" if notice else f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/access{query}#{anchor}", status_code=303)


@router.get("/access/users/{email}/disable", response_class=HTMLResponse)
def disable_confirm(request: Request, email: str, container: ContainerDep, session: AdminUser) -> Response:
    """What disabling this person touches (schedules, policies, upcoming shifts), and the button."""
    with transaction(container.engine) as conn:
        impact = departures.impact_of(
            oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), email=email, now=container.clock.now()
        )
    return render(request, "account_disable.html", session, impact=impact)


def _act(container: ContainerDep, run: Callable[[Connection, datetime], str], anchor: str = "people") -> Response:
    """Run a change in one transaction and go back to the Access page saying what it did (or why not)."""
    try:
        with transaction(container.engine, write=True) as conn:
            notice = run(conn, container.clock.now())
    except DomainError as exc:
        return _back(error=exc.message, anchor=anchor)
    return _back(notice=notice, anchor=anchor)


@router.post("/access/users/{email}/disable")
def disable(
    email: str, container: ContainerDep, _session: AdminCsrfSession, force: Annotated[str, Form()] = ""
) -> Response:
    def run(conn: Connection, now: datetime) -> str:
        oncall, identity = SqlOncallRepo(conn), SqlIdentityRepo(conn)
        departures.disable_person(oncall=oncall, identity=identity, email=email, now=now, force=force == "yes")
        return f"disabled {email}: their sessions ended, their tokens are refused, nobody pages them"

    return _act(container, run)


@router.post("/access/users/{email}/enable")
def enable(email: str, container: ContainerDep, _session: AdminCsrfSession) -> Response:
    def run(conn: Connection, _now: datetime) -> str:
        lifecycle.enable_user(repo=SqlIdentityRepo(conn), email=email)
        return f"enabled {email}"

    return _act(container, run)


@router.post("/access/users/{email}/delete")
def delete(email: str, container: ContainerDep, _session: AdminCsrfSession) -> Response:
    def run(conn: Connection, now: datetime) -> str:
        departures.delete_person(oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), email=email, now=now)
        return f"deleted {email}: access and personal data removed; history keeps their name"

    return _act(container, run)


@router.post("/access/users/{email}/reset-link", response_class=HTMLResponse)
def reset_link(request: Request, email: str, container: ContainerDep, session: AdminCsrfSession) -> Response:
    """The link is shown once on the page, never put in a URL (browser history, proxy logs)."""
    try:
        with transaction(container.engine, write=True) as conn:
            token, expires_at = lifecycle.issue_reset(
                repo=SqlIdentityRepo(conn), email=email, by=session.principal.name, now=container.clock.now()
            )
    except DomainError as exc:
        return _back(error=exc.message)
    url = f"{container.settings.base_url()}/reset/{token}"
    return access_view(request, container, session, reset_link={"email": email, "url": url, "expires_at": expires_at})


@router.post("/access/password")
def change_password(
    request: Request,
    container: ContainerDep,
    session: FormSession,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    """Your own password; your other sessions end, this one stays."""

    def run(conn: Connection, _now: datetime) -> str:
        lifecycle.change_password(
            repo=SqlIdentityRepo(conn),
            user_id=str(session.principal.user_id),
            current=current_password,
            new=new_password,
            keep_session=secret_digest(request.cookies.get(SESSION_COOKIE, "")),
        )
        return "your password is changed; your other sessions ended"

    return _act(container, run, anchor="me")


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_page(request: Request, token: str, container: ContainerDep) -> Response:
    with transaction(container.engine) as conn:
        try:
            _row, user = lifecycle.reset_holder(repo=SqlIdentityRepo(conn), token=token, now=container.clock.now())
        except NotFound as exc:
            return render(request, "reset.html", None, email="", error=exc.message, status_code=404)
    return render(request, "reset.html", None, email=user["email"], error="")


@router.post("/reset/{token}", response_class=HTMLResponse)
def reset_submit(
    request: Request,
    token: str,
    container: ContainerDep,
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Set a new password through the link; the link is used up. Audited as the person, via the link."""
    email = ""
    try:
        with transaction(container.engine, write=True) as conn:
            repo = SqlIdentityRepo(conn)
            _row, user = lifecycle.reset_holder(repo=repo, token=token, now=container.clock.now())
            email = str(user["email"])
            if password != confirm:
                raise ValidationFailed.field("confirm", "the two passwords differ")
            audit.set_actor(email, str(user["id"]), "password reset link")
            lifecycle.reset_password(repo=repo, token=token, password=password, now=container.clock.now())
    except NotFound as exc:
        return render(request, "reset.html", None, email="", error=exc.message, status_code=404)
    except DomainError as exc:
        return render(request, "reset.html", None, email=email, error=exc.message, status_code=422)
    return RedirectResponse("/login?reset=1", status_code=303)
