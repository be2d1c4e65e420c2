"""FastAPI dependencies as `Annotated` aliases: the container, a read connection, the caller."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Connection, Engine

from firebell.audit import capture as audit
from firebell.bootstrap import Container
from firebell.identity.model import Principal, Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import WebSession, principal_for_token, session_for
from firebell.infra.db import transaction
from firebell.kernel.errors import PermissionDenied, RateLimited, Unauthenticated
from firebell.web.ownership import owner_of_incident, owner_of_route, owner_of_service

SESSION_COOKIE = "firebell_session"


async def get_container(request: Request) -> Container:
    # async on purpose: a sync dependency would cost every intake request a thread-pool hop
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


class RequestDb:
    """A request's database reads: at most one pooled connection at a time.

    The caller lookup, the ownership check and the handler's reads share the request's read
    connection once the handler has one, and otherwise each take one and give it back before anything
    else is taken. A request never holds one pooled connection while waiting for another: with about
    as many requests in flight as the pool holds, each would wait for the others until the pool's
    timeout.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        if self.conn is not None:
            yield self.conn
            return
        with transaction(self.engine) as conn:
            yield conn

    @contextlib.contextmanager
    def held(self) -> Iterator[Connection]:
        """The request's read connection, shared with the lookups made while it is held."""
        with transaction(self.engine) as conn:
            self.conn = conn
            try:
                yield conn
            finally:
                self.conn = None


async def request_db(container: ContainerDep) -> RequestDb:
    # one per request: FastAPI caches a dependency's value for the request
    return RequestDb(container.engine)


RequestDbDep = Annotated[RequestDb, Depends(request_db)]


def read_conn(db: RequestDbDep) -> Iterator[Connection]:
    with db.held() as conn:
        yield conn


# scope="function": the transaction ends when the handler returns, before the answer starts, so a
# database failing at the commit still gets its 503 rather than a dropped connection.
ReadConn = Annotated[Connection, Depends(read_conn, scope="function")]


def web_session(request: Request, container: ContainerDep, db: RequestDbDep) -> WebSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with db.reading() as conn:
        session = session_for(repo=SqlIdentityRepo(conn), token=token, now=container.clock.now())
    if session is not None:
        _acting(request, session.principal)
    return session


def _acting(request: Request, caller: Principal) -> None:
    """Name the caller in the request's audit scope: the changes it makes are theirs."""
    audit.set_actor(caller.name, caller.user_id, f"{request.method} {request.url.path}")


OptionalSession = Annotated[WebSession | None, Depends(web_session)]


def principal(request: Request, container: ContainerDep, db: RequestDbDep, session: OptionalSession) -> Principal:
    """The caller: a bearer API token, or else a logged-in browser session."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with db.reading() as conn:
            caller = principal_for_token(
                repo=SqlIdentityRepo(conn), token=header[7:].strip(), now=container.clock.now()
            )
        wait = container.api_limiter.take(caller.token_id or caller.name, time.monotonic())
        if wait:
            container.metrics.api_rate_limited.inc()
            raise RateLimited(
                f"too many requests with this token (over {container.settings.limits.api_per_second:g} a second)",
                retry_after=wait,
                details=[{"field": "Authorization", "message": "rate limited"}],
            )
        _acting(request, caller)
        return caller
    if session is not None:
        if request.method not in ("GET", "HEAD", "OPTIONS") and not secrets.compare_digest(
            request.headers.get("x-csrf-token", "").encode(), session.csrf_token.encode()
        ):
            # A browser session's cookie alone may not change anything through the API: another
            # site could make the browser send it.
            raise PermissionDenied("with a browser session, send the page's CSRF token as X-CSRF-Token")
        return session.principal
    raise Unauthenticated("send an API token as 'Authorization: Bearer <token>'")


Caller = Annotated[Principal, Depends(principal)]


def _guard(request: Request, db: RequestDb, caller: Principal, needed: Role) -> Principal:
    """Refuse unless the caller has `needed` on the team owning what the route is about."""
    if not caller.cap().at_least(needed):
        caller.require(needed)  # the credential's scope alone refuses: no need to look further
    team = None
    if caller.user_id is not None and caller.role is not Role.ADMIN:
        route = request.scope.get("route")
        with db.reading() as conn:
            team = owner_of_route(conn, getattr(route, "path", ""), request.path_params)
    caller.require(needed, team)
    return caller


def require_on_service(container: Container, caller: Principal, service: str | None, needed: Role) -> None:
    """For a request naming its service in the body: `needed` on the team owning that service."""
    if caller.user_id is None or caller.role is Role.ADMIN or not service:
        return
    with transaction(container.engine) as conn:
        team = owner_of_service(conn, service)
    caller.require(needed, team)


def require_on_incident(container: Container, caller: Principal, ref: str | None, needed: Role) -> None:
    """For a request naming its incident in the body: `needed` on the team owning it."""
    if caller.user_id is None or caller.role is Role.ADMIN or not ref:
        return
    with transaction(container.engine) as conn:
        team = owner_of_incident(conn, ref)
    caller.require(needed, team)


async def reader(caller: Caller) -> Principal:
    return caller  # every caller may read


def responder(request: Request, db: RequestDbDep, caller: Caller) -> Principal:
    return _guard(request, db, caller, Role.RESPONDER)


def admin(request: Request, db: RequestDbDep, caller: Caller) -> Principal:
    return _guard(request, db, caller, Role.ADMIN)


async def admin_scope(caller: Caller) -> Principal:
    """For a request whose body names what it changes: the credential's admin scope here; the admin
    role on the team owning what the body names is checked once that is known (`require_on_service`,
    or the use case given the caller)."""
    if not caller.cap().at_least(Role.ADMIN):
        caller.require(Role.ADMIN)
    return caller


async def site_admin(caller: Caller) -> Principal:
    """An admin of everything: users, teams, tokens, the audit log."""
    if not caller.is_admin:
        caller.require(Role.ADMIN)
        raise PermissionDenied("this needs an admin of all of Firebell")
    return caller


Reader = Annotated[Principal, Depends(reader)]
Responder = Annotated[Principal, Depends(responder)]
Admin = Annotated[Principal, Depends(admin)]
AdminScope = Annotated[Principal, Depends(admin_scope)]
SiteAdmin = Annotated[Principal, Depends(site_admin)]
