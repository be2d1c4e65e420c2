"""Shared plumbing for HTML pages: templates, the logged-in user, CSRF checks."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from firebell.alerts.details import digest
from firebell.identity.service import WebSession
from firebell.kernel.errors import PermissionDenied
from firebell.metrics.model import format_duration as metric_duration
from firebell.oncall.escalation import format_duration
from firebell.web.deps import OptionalSession, RequestDbDep, admin, responder

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


def _age(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    ahead = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or unit == "s":
            amount = f"{seconds // size}{unit}"
            return f"in {amount}" if ahead else f"{amount} ago"
    return ""


def _utc(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def _safe_url(value: str | None) -> str:
    """Links from alert payloads go out only as http(s): a `javascript:` URL would run in the page."""
    text = (value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else "#"


TEMPLATES.env.filters["age"] = _age
TEMPLATES.env.filters["safe_url"] = _safe_url
TEMPLATES.env.filters["duration"] = lambda seconds: format_duration(timedelta(seconds=int(seconds or 0)))
TEMPLATES.env.filters["utc"] = _utc
TEMPLATES.env.filters["digest"] = digest
TEMPLATES.env.filters["took"] = lambda seconds: "—" if seconds is None else metric_duration(float(seconds))
TEMPLATES.env.filters["weekday"] = lambda day: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[int(day) % 7]


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


async def require_user(request: Request, session: OptionalSession) -> WebSession:
    if session is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return session


UserSession = Annotated[WebSession, Depends(require_user)]


def check_form_token(session: WebSession, csrf_token: str) -> None:
    if not secrets.compare_digest(csrf_token.encode(), session.csrf_token.encode()):
        raise PermissionDenied("the form's CSRF token is missing or stale; reload the page")


async def form_session(session: UserSession, csrf_token: Annotated[str, Form()] = "") -> WebSession:
    """A form post by a logged-in user with the session's CSRF token."""
    check_form_token(session, csrf_token)
    return session


FormSession = Annotated[WebSession, Depends(form_session)]


def check_csrf(request: Request, db: RequestDbDep, session: FormSession) -> WebSession:
    """A form post that changes something: the CSRF token, and the responder role on what the page
    is about (its team's, when a team owns it)."""
    responder(request, db, session.principal)
    return session


CsrfSession = Annotated[WebSession, Depends(check_csrf)]


def check_csrf_admin(request: Request, db: RequestDbDep, session: FormSession) -> WebSession:
    """A form post that only admins may make: of the team owning what the page is about, or (when no
    team owns it) of everything."""
    admin(request, db, session.principal)
    return session


AdminCsrfSession = Annotated[WebSession, Depends(check_csrf_admin)]


def admin_user(request: Request, db: RequestDbDep, session: UserSession) -> WebSession:
    """An admin's session, known from its cookie alone: for uploads, whose bodies (and CSRF token) are
    read only once the caller is known (check_form_token)."""
    admin(request, db, session.principal)
    return session


AdminUser = Annotated[WebSession, Depends(admin_user)]


def render(request: Request, name: str, session: WebSession | None, **context: Any) -> HTMLResponse:
    status_code = int(context.pop("status_code", 200))
    context.update(session=session, nav=name.split(".")[0].split("_")[0], now=datetime.now(UTC))
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


def login_redirect(next_url: str) -> Response:
    return Response(status_code=303, headers={"location": f"/login?next={quote(next_url)}"})


def is_partial(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.query_params.get("partial") == "1"
