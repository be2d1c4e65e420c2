"""The Access page: who you are, your API tokens, people's roles and teams' members.

Everyone sees it; admins of everything change people's roles, a team's admins change its members,
and everyone makes and revokes tokens of their own.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.identity import service
from firebell.identity.model import Role, parse_role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import WebSession
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, PermissionDenied, ValidationFailed
from firebell.oncall.escalation import parse_duration
from firebell.web.deps import ContainerDep
from firebell.web.pages import AdminCsrfSession, FormSession, UserSession, render

router = APIRouter(include_in_schema=False)


def access_view(
    request: Request, container: ContainerDep, session: WebSession, status_code: int = 200, **extra: Any
) -> Response:
    principal = session.principal
    with transaction(container.engine) as conn:
        repo = SqlIdentityRepo(conn)
        tokens = [t for t in repo.tokens() if t["user_id"] == principal.user_id and t["revoked_at"] is None]
        context: dict[str, Any] = {
            "me": {"role": principal.role_on(None), "teams": repo.memberships(principal.user_id or "")},
            "tokens": tokens,
            "users": repo.users_with_roles(),
            "teams": repo.teams_with_members(),
            "manages": {t["team"] for t in repo.memberships(principal.user_id or "") if t["role"] == Role.ADMIN.value},
        }
    context.update(
        roles=[r.value for r in Role],
        is_admin=principal.is_admin,
        notice=request.query_params.get("notice", ""),
        error=request.query_params.get("error", ""),
        new_token=None,
        reset_link=None,
        status_code=status_code,
    )
    context.update(extra)
    return render(request, "access.html", session, **context)


def _back(notice: str = "", error: str = "") -> Response:
    query = f"?notice={quote(notice)}" if notice else f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/access{query}", status_code=303)


@router.get("/access", response_class=HTMLResponse)
def access_page(request: Request, container: ContainerDep, session: UserSession) -> Response:
    return access_view(request, container, session)


@router.post("/access/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    container: ContainerDep,
    session: FormSession,
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "read",
    expires_in: Annotated[str, Form()] = "",
) -> Response:
    now = container.clock.now()
    try:
        try:
            expires_at = now + parse_duration(expires_in) if expires_in.strip() else None
        except ValueError as exc:
            raise ValidationFailed.field("expires_in", str(exc)) from exc
        with transaction(container.engine, write=True) as conn:
            token = service.create_token(
                repo=SqlIdentityRepo(conn),
                name=name,
                scope=scope,
                now=now,
                user_id=session.principal.user_id,
                expires_at=expires_at,
            )
    except DomainError as exc:
        return _back(error=exc.message)
    return access_view(request, container, session, new_token={"name": name.strip(), "scope": scope, "token": token})


@router.post("/access/tokens/{token_id}/revoke")
def revoke_token(token_id: str, container: ContainerDep, session: FormSession) -> Response:
    try:
        with transaction(container.engine, write=True) as conn:
            row = service.revoke_token(
                repo=SqlIdentityRepo(conn), token_id=token_id, by=session.principal, now=container.clock.now()
            )
    except PermissionDenied:
        raise  # someone else's token: the 403 page, as for every refusal
    except DomainError as exc:
        return _back(error=exc.message)
    return _back(notice=f"revoked token {row['name']}")


@router.post("/access/users/{email}/role")
def set_user_role(
    email: str, container: ContainerDep, _session: AdminCsrfSession, role: Annotated[str, Form()] = ""
) -> Response:
    try:
        with transaction(container.engine, write=True) as conn:
            service.set_user_role(repo=SqlIdentityRepo(conn), email=email, role=parse_role(role))
    except DomainError as exc:
        return _back(error=exc.message)
    return _back(notice=f"{email} is now {role}")


@router.post("/access/teams/{name}/members")
def set_member(
    name: str,
    container: ContainerDep,
    _session: AdminCsrfSession,  # an admin of this team, or of everything
    person: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    try:
        chosen = None if role == "remove" else parse_role(role)
        with transaction(container.engine, write=True) as conn:
            said = service.set_team_role(repo=SqlIdentityRepo(conn), team=name, person=person.strip(), role=chosen)
    except DomainError as exc:
        return _back(error=exc.message)
    return _back(notice=said or "nothing to change")
