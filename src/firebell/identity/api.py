"""Users, team roles and API tokens over HTTP.

Admins of everything manage users and see every token; a team's admins manage its members; anyone
may see who is who, and make and revoke tokens of their own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from firebell.identity import lifecycle, service
from firebell.identity.model import Principal, Role, parse_scopes
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.schemas import (
    ImpactRead,
    MemberRole,
    MeRead,
    PasswordChange,
    ResetLinkRead,
    TeamRead,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserDisable,
    UserDisabled,
    UserRead,
    UserUpdate,
)
from firebell.infra.db import transaction
from firebell.kernel.errors import PermissionDenied, ValidationFailed
from firebell.oncall import departures
from firebell.oncall.escalation import parse_duration
from firebell.oncall.repo import SqlOncallRepo
from firebell.web.deps import Admin, Caller, ContainerDep, ReadConn, Reader, SiteAdmin

router = APIRouter(prefix="/api/v1", tags=["access"])


@router.get("/me", response_model=MeRead, summary="Who the caller is, and their roles")
def get_me(conn: ReadConn, caller: Caller) -> dict[str, Any]:
    repo = SqlIdentityRepo(conn)
    return {
        "name": caller.name,
        "user_id": caller.user_id,
        "role": caller.role_on(None),
        "scopes": sorted(caller.scopes),
        "teams": repo.memberships(caller.user_id) if caller.user_id else [],
    }


@router.get("/users", response_model=list[UserRead], summary="Every user, with their roles")
def get_users(conn: ReadConn, _caller: Reader) -> list[dict[str, Any]]:
    return SqlIdentityRepo(conn).users_with_roles()


@router.post("/users", response_model=UserRead, status_code=201, summary="Create a user with a password")
def post_user(body: UserCreate, container: ContainerDep, _caller: SiteAdmin) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        service.create_user(
            repo=repo,
            email=body.email,
            password=body.password,
            role=body.role,
            now=container.clock.now(),
            name=body.name,
        )
        return _user(repo, body.email)


@router.patch("/users/{email}", response_model=UserRead, summary="Set a user's own role")
def patch_user(email: str, body: UserUpdate, container: ContainerDep, _caller: SiteAdmin) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        service.set_user_role(repo=repo, email=email, role=body.role)
        return _user(repo, email)


def _user(repo: SqlIdentityRepo, email: str) -> dict[str, Any]:
    wanted = email.strip().lower()
    return next(u for u in repo.users_with_roles() if wanted in (u["email"], u["handle"]))


@router.get("/users/{email}/impact", response_model=ImpactRead, summary="Where a person is on call or paged")
def get_impact(email: str, conn: ReadConn, container: ContainerDep, _caller: Reader) -> dict[str, Any]:
    impact = departures.impact_of(
        oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), email=email, now=container.clock.now()
    )
    return impact.as_dict()


@router.post(
    "/users/{email}/disable",
    response_model=UserDisabled,
    summary="Disable a person: no login, no token, no page. 409 with the impact when they are on call, unless force",
)
def post_disable(email: str, body: UserDisable, container: ContainerDep, _caller: SiteAdmin) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        user, impact = departures.disable_person(
            oncall=SqlOncallRepo(conn), identity=repo, email=email, now=container.clock.now(), force=body.force
        )
        return {"user": _user(repo, str(user["email"])), "impact": impact.as_dict()}


@router.post("/users/{email}/enable", response_model=UserRead, summary="Enable a disabled person again")
def post_enable(email: str, container: ContainerDep, _caller: SiteAdmin) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        user = lifecycle.enable_user(repo=repo, email=email)
        return _user(repo, str(user["email"]))


@router.delete(
    "/users/{email}",
    status_code=204,
    summary="Delete a person's access and personal data (history keeps their name); 409 while on call",
)
def delete_user(email: str, container: ContainerDep, _caller: SiteAdmin) -> Response:
    with transaction(container.engine, write=True) as conn:
        departures.delete_person(
            oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), email=email, now=container.clock.now()
        )
    return Response(status_code=204)


@router.post(
    "/users/{email}/reset-link",
    response_model=ResetLinkRead,
    status_code=201,
    summary="A one-time link (valid 1 h) for a person to set a new password",
)
def post_reset_link(email: str, container: ContainerDep, caller: SiteAdmin) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        token, expires_at = lifecycle.issue_reset(
            repo=SqlIdentityRepo(conn), email=email, by=caller.name, now=container.clock.now()
        )
    return {"url": f"{container.settings.base_url()}/reset/{token}", "expires_at": expires_at}


@router.post("/me/password", status_code=204, summary="Change your own password; your other sessions end")
def post_password(body: PasswordChange, container: ContainerDep, caller: Caller) -> Response:
    if caller.user_id is None:
        raise PermissionDenied("a token of no user has no password")
    if caller.token_id is not None and caller.cap() is Role.VIEWER:
        raise PermissionDenied("a read-only token cannot change a password")
    with transaction(container.engine, write=True) as conn:
        lifecycle.change_password(
            repo=SqlIdentityRepo(conn), user_id=caller.user_id, current=body.current_password, new=body.new_password
        )
    return Response(status_code=204)


@router.get("/teams", response_model=list[TeamRead], summary="Every team, with its members' roles")
def get_teams(conn: ReadConn, _caller: Reader) -> list[dict[str, Any]]:
    return SqlIdentityRepo(conn).teams_with_members()


@router.put(
    "/teams/{name}/members/{person}",
    response_model=TeamRead,
    summary="Add a person (handle or email) to a team, or change their role in it",
)
def put_member(name: str, person: str, body: MemberRole, container: ContainerDep, _caller: Admin) -> dict[str, Any]:
    return _set_member(container, name, person, body)


@router.delete("/teams/{name}/members/{person}", response_model=TeamRead, summary="Remove a person from a team")
def delete_member(name: str, person: str, container: ContainerDep, _caller: Admin) -> dict[str, Any]:
    return _set_member(container, name, person, None)


def _set_member(container: ContainerDep, team: str, person: str, body: MemberRole | None) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        repo = SqlIdentityRepo(conn)
        service.set_team_role(repo=repo, team=team, person=person, role=body.role if body else None)
        return next(t for t in repo.teams_with_members() if t["name"] == team)


@router.get("/tokens", response_model=list[TokenRead], summary="API tokens: yours, or (admins) everyone's")
def get_tokens(conn: ReadConn, caller: Caller) -> list[dict[str, Any]]:
    tokens = SqlIdentityRepo(conn).tokens()
    return tokens if caller.is_admin else [t for t in tokens if caller.user_id and t["user_id"] == caller.user_id]


@router.post("/tokens", response_model=TokenCreated, status_code=201, summary="Create an API token of your own")
def post_token(body: TokenCreate, container: ContainerDep, caller: Caller) -> dict[str, Any]:
    _may_issue(caller, body.scope)
    now = container.clock.now()
    expires_at = body.expires_at
    if body.expires_in is not None:
        if expires_at is not None:
            raise ValidationFailed.field("expires_in", "give expires_at or expires_in, not both")
        try:
            expires_at = now + parse_duration(body.expires_in)
        except ValueError as exc:
            raise ValidationFailed.field("expires_in", str(exc)) from exc
    if expires_at is not None and expires_at.tzinfo is None:
        raise ValidationFailed.field("expires_at", "give a time zone offset, e.g. 2027-01-01T00:00:00Z")
    with transaction(container.engine, write=True) as conn:
        token = service.create_token(
            repo=SqlIdentityRepo(conn),
            name=body.name,
            scope=body.scope,
            now=now,
            user_id=caller.user_id,
            expires_at=expires_at,
        )
    return {"name": body.name.strip(), "scope": body.scope, "token": token, "expires_at": expires_at}


def _may_issue(caller: Principal, scope: str) -> None:
    """A caller issues tokens only for itself, and none that could do more than its own credential."""
    if caller.user_id is None and not caller.is_admin:
        raise PermissionDenied("a token of no user may not issue tokens; only an admin token may")
    wanted = Principal(name="", scopes=parse_scopes(scope)).cap()
    if not caller.cap().at_least(wanted):
        raise PermissionDenied(f"this credential may not issue a token with more than the {caller.cap()} role's scope")


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def delete_token(token_id: str, container: ContainerDep, caller: Caller) -> Response:
    if not caller.cap().at_least(Role.RESPONDER):
        raise PermissionDenied("revoking a token needs a token with the respond scope")
    with transaction(container.engine, write=True) as conn:
        service.revoke_token(repo=SqlIdentityRepo(conn), token_id=token_id, by=caller, now=container.clock.now())
    return Response(status_code=204)
