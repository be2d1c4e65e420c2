"""Pages shared by every domain: login, logout, the home redirect and the live-update stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from firebell.actionitems import views as action_item_views
from firebell.alerts import views as alert_views
from firebell.audit import capture as audit
from firebell.bootstrap import Container, incident_topic
from firebell.catalog import views as catalog_views
from firebell.drills import views as drill_views
from firebell.identity.login_guard import Refusal, password_stamp
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import WebSession, log_in_sso, log_out, open_session, password_holder
from firebell.incidents import response_views
from firebell.incidents import views as incident_views
from firebell.infra.db import transaction
from firebell.kernel.errors import Unauthenticated
from firebell.oncall import policy_views
from firebell.oncall import views as oncall_views
from firebell.paging import views as paging_views
from firebell.playbooks import views as playbook_views
from firebell.postmortems import views as postmortem_views
from firebell.runbooks import views as runbook_views
from firebell.web.deps import SESSION_COOKIE, ContainerDep, OptionalSession
from firebell.web.login_front import DEVICE_COOKIE, email_digest, log_refusal, refused_page, security_log
from firebell.web.pages import FormSession, UserSession, render

router = APIRouter(include_in_schema=False)
router.include_router(incident_views.router)
router.include_router(response_views.router)
router.include_router(alert_views.router)
router.include_router(catalog_views.router)
router.include_router(oncall_views.router)
router.include_router(paging_views.router)
router.include_router(policy_views.router)
router.include_router(postmortem_views.router)
router.include_router(action_item_views.router)
router.include_router(drill_views.router)
router.include_router(runbook_views.router)
router.include_router(playbook_views.router)


def _safe_next(target: str) -> str:
    """Only a path on this site: never `//host` or `/\\host`, which browsers read as another site."""
    return target if target.startswith("/") and target[1:2] not in ("/", "\\") else "/incidents"


SSO_COOKIE = "firebell_sso"
LOGIN_COOKIE = "firebell_login"  # the login form's CSRF nonce (its token is the nonce, signed)
DEVICE_MARK_SECONDS = 365 * 24 * 3600


def client_address(request: Request) -> str:
    """The peer's address; a trusted proxy's X-Forwarded-For is applied by the server (trusted_proxies)."""
    return request.client.host if request.client else ""


def _stamp_of(container: Container, email: str) -> str:
    """The stamp of `email`'s current password (password_stamp), or "" for no such account."""
    with transaction(container.engine) as conn:
        user = SqlIdentityRepo(conn).user_by_email(email)
    return password_stamp(str(user["password_hash"] or "")) if user else ""


def _record(
    conn: Connection, container: Container, action: str, session: WebSession, client: str, request: Request
) -> None:
    """A login or logout in the audit log, as the person it is."""
    audit.set_actor(session.email, session.principal.user_id, f"{request.method} {request.url.path}")
    user_id = session.principal.user_id or ""
    audit.record(
        conn,
        action=action,
        entity="web_sessions",
        entity_id=user_id,
        after={"client": client},
        at=container.clock.now(),
    )


@router.get("/")
def home() -> Response:
    return RedirectResponse("/incidents", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, container: ContainerDep, session: OptionalSession, next: str = "/incidents"
) -> Response:
    if session is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, container, next=_safe_next(next), error=None)


def _login_page(request: Request, container: Container, status_code: int = 200, **context: object) -> HTMLResponse:
    """The login page, with its form's CSRF token for the browser's nonce cookie (set when missing)."""
    oidc = container.settings.oidc
    sso = oidc.button_label if container.oidc is not None else ""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    fresh = len(nonce) < 16 or len(nonce) > 64
    if fresh:
        nonce = container.login_guard.new_nonce()
    token = container.login_guard.form_token(nonce)
    page = render(request, "login.html", None, sso=sso, csrf_token=token, status_code=status_code, **context)
    if fresh:
        page.set_cookie(
            LOGIN_COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            secure=container.settings.env == "prod",
            path="/login",
        )
    return page


def _refused(request: Request, refusal: Refusal, email: str) -> Response:
    """A login not checked (limits, a busy server): logged, and a short page."""
    log_refusal(client_address(request), email, refusal.reason)
    body, seconds = refused_page(refusal)
    return HTMLResponse(body, refusal.status, headers={"retry-after": seconds, "cache-control": "no-store"})


def _form_field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else default


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request, container: ContainerDep) -> Response:
    """Check a password, behind the login guard (identity/login_guard.py); never on the event loop."""
    guard = container.login_guard
    form = await request.form(max_files=0, max_fields=16)
    email, password = _form_field(form, "email"), _form_field(form, "password")
    next, csrf_token = _form_field(form, "next", "/incidents"), _form_field(form, "csrf_token")
    client, typed = client_address(request), email.strip().lower()
    if not guard.form_token_ok(request.cookies.get(LOGIN_COOKIE, ""), csrf_token):
        security_log.warning(
            "login_refused", extra={"client": client, "email_digest": email_digest(email), "reason": "csrf"}
        )
        message = "the login form's CSRF token is missing or stale; reload the page"
        return _login_page(request, container, 403, next=_safe_next(next), error=message, email=email)
    mark = guard.read_mark(request.cookies.get(DEVICE_COOKIE, ""))
    # A mark spares the slow-down (and may take the reserved hashing slot) only for its own email,
    # and only while that account's password is the one it was issued with.
    marked = (
        mark is not None and mark.email == typed and await run_in_threadpool(_stamp_of, container, typed) == mark.stamp
    )
    refusal = guard.admit(client, typed, marked=marked)
    if refusal is not None:
        return _refused(request, refusal, email)
    lifetime = timedelta(hours=container.settings.session_hours)

    def check() -> tuple[WebSession, str]:
        # The hashing happens between two short transactions, never inside one (on SQLite a write
        # transaction held through it would hold up alert intake).
        with transaction(container.engine) as conn:
            found = SqlIdentityRepo(conn).user_by_email(typed)
        user = password_holder(found, password)
        with transaction(container.engine, write=True) as conn:
            session = open_session(repo=SqlIdentityRepo(conn), user=user, now=container.clock.now(), lifetime=lifetime)
            _record(conn, container, "login", session, client, request)
        return session, password_stamp(str(user["password_hash"]))

    try:
        checked = await guard.check(check, marked=marked)
    except Unauthenticated as exc:
        guard.outcome(typed, ok=False)
        security_log.warning(
            "login_failed", extra={"client": client, "email_digest": email_digest(email), "reason": "wrong_password"}
        )
        return _login_page(request, container, 401, next=_safe_next(next), error=exc.message, email=email)
    if isinstance(checked, Refusal):
        return _refused(request, checked, email)
    session, stamp = checked
    guard.outcome(typed, ok=True)
    response = _logged_in(container, session, _safe_next(next), lifetime)
    response.set_cookie(
        DEVICE_COOKIE,
        guard.device_mark(typed, stamp),
        max_age=DEVICE_MARK_SECONDS,
        httponly=True,
        samesite="strict",
        secure=container.settings.env == "prod",
        path="/login",
    )
    return response


def _logged_in(container: Container, session: WebSession, target: str, lifetime: timedelta) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=container.settings.env == "prod",
    )
    return response


def _sso_redirect_uri(container: Container, request: Request) -> str:
    return f"{container.settings.public_url or str(request.base_url).rstrip('/')}/login/sso/callback"


@router.get("/login/sso")
def sso_begin(request: Request, container: ContainerDep, next: str = "/incidents") -> Response:
    """Off to the single sign-on provider, with this login's state in a short-lived cookie."""
    if container.oidc is None:
        return _login_page(request, container, next=_safe_next(next), error="single sign-on is not set up here")
    try:
        url, flow = container.oidc.begin(_sso_redirect_uri(container, request), _safe_next(next))
    except Unauthenticated as exc:
        refused = _login_page(request, container, next=_safe_next(next), error=exc.message)
        refused.status_code = 502
        return refused
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        SSO_COOKIE,
        flow,
        max_age=600,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back
        secure=container.settings.env == "prod",
        path="/login/sso",
    )
    return response


@router.get("/login/sso/callback")
def sso_finish(request: Request, container: ContainerDep) -> Response:
    """Back from the provider: check what it says, then log in as that person."""
    lifetime = timedelta(hours=container.settings.session_hours)
    oidc = container.settings.oidc
    try:
        if container.oidc is None:
            raise Unauthenticated("single sign-on is not set up here")
        who, target = container.oidc.finish(
            _sso_redirect_uri(container, request),
            dict(request.query_params),
            request.cookies.get(SSO_COOKIE, ""),
        )
        with transaction(container.engine, write=True) as conn:
            session = log_in_sso(
                repo=SqlIdentityRepo(conn),
                subject=who.subject,
                email=who.email,
                name=who.name,
                now=container.clock.now(),
                lifetime=lifetime,
                create_users=oidc.create_users,
                default_role=Role(oidc.default_role),
                allowed_domains=oidc.domains,
            )
    except Unauthenticated as exc:
        refused = _login_page(request, container, next="/incidents", error=exc.message)
        refused.status_code = 401
        refused.delete_cookie(SSO_COOKIE, path="/login/sso")
        return refused
    response = _logged_in(container, session, _safe_next(target), lifetime)
    response.delete_cookie(SSO_COOKIE, path="/login/sso")
    return response


@router.post("/logout")
def logout(request: Request, container: ContainerDep, session: FormSession) -> Response:
    with transaction(container.engine, write=True) as conn:
        log_out(repo=SqlIdentityRepo(conn), token=session.token)
        _record(conn, container, "logout", session, client_address(request), request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# A page hears of changes at most this often: a burst of them is one refresh, not one each.
COALESCE_SECONDS = 1.0
# Pages are told on these ticks of the event loop's clock, so the many pages open on one incident
# ask for the same version of it, which is built once (infra/snapshots.py).
TICK_SECONDS = 0.25


@router.get("/ui/stream")
async def stream(
    request: Request, container: ContainerDep, _session: UserSession, incident: str = ""
) -> StreamingResponse:
    """Server-sent events: `changed` whenever something the page shows changes in this process (or
    anywhere, within the change watch's second). A page about one incident names it, and hears only
    of changes to it and of changes that name nothing."""
    topic = incident_topic(incident[:64]) if incident else None

    async def events() -> AsyncIterator[bytes]:
        seen = container.changes.version
        yield b": connected\n\n"
        while not await request.is_disconnected():
            seen, changed = await container.changes.wait(seen, timeout=15.0, topic=topic)
            if changed:
                loop = asyncio.get_running_loop()
                await asyncio.sleep(TICK_SECONDS - loop.time() % TICK_SECONDS)
                seen = container.changes.version  # the page asks for at least this version
                yield f"event: changed\ndata: {seen}\n\n".encode()
                await asyncio.sleep(COALESCE_SECONDS)  # what changes meanwhile comes in the next one
            else:
                yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-cache"})
