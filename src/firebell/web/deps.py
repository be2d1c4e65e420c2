"""FastAPI dependencies as `Annotated` aliases: the container, a read connection, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Connection

from firebell.bootstrap import Container
from firebell.identity.model import Principal, Scope
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import WebSession, principal_for_token, session_for
from firebell.infra.db import transaction
from firebell.kernel.errors import Unauthenticated

SESSION_COOKIE = "firebell_session"


async def get_container(request: Request) -> Container:
    # async on purpose: a sync dependency would cost every intake request a thread-pool hop
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def read_conn(container: ContainerDep) -> Iterator[Connection]:
    with transaction(container.engine) as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(read_conn)]


def web_session(request: Request, container: ContainerDep) -> WebSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with transaction(container.engine) as conn:
        return session_for(repo=SqlIdentityRepo(conn), token=token, now=container.clock.now())


OptionalSession = Annotated[WebSession | None, Depends(web_session)]


def principal(request: Request, container: ContainerDep, session: OptionalSession) -> Principal:
    """The caller: a bearer API token, or else a logged-in browser session."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with transaction(container.engine) as conn:
            return principal_for_token(repo=SqlIdentityRepo(conn), token=header[7:].strip())
    if session is not None:
        return session.principal
    raise Unauthenticated("send an API token as 'Authorization: Bearer <token>'")


Caller = Annotated[Principal, Depends(principal)]


def reader(caller: Caller) -> Principal:
    caller.require(Scope.READ)
    return caller


def writer(caller: Caller) -> Principal:
    caller.require(Scope.WRITE)
    return caller


def admin(caller: Caller) -> Principal:
    caller.require(Scope.ADMIN)
    return caller


Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Admin = Annotated[Principal, Depends(admin)]
