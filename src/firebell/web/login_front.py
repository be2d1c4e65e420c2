"""The front for password logins: while every hashing slot is busy, POST /login is answered 503 with
Retry-After before the framework sees it (its body unread), since the bulk of a login flood is made
of such requests and each one through the framework's stack costs as much as a page. Each refusal
takes from its address's allowance (429 once it is spent). A login whose device cookie bears a
validly signed mark goes on while the slot kept for marked logins is free: the mark names its email,
and the login handler lets it use that slot only when the email typed is that one."""

from __future__ import annotations

import hashlib
import logging

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from firebell.identity.login_guard import LoginGuard, Refusal
from firebell.kernel.ratelimit import retry_after_header

# Failed logins and refused requests: log records, never database rows (a flood must not become writes).
security_log = logging.getLogger("firebell.security")

DEVICE_COOKIE = "firebell_device"  # spares a browser that logged in as an email that email's slow-down

REFUSED_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log in</title></head><body>'
    '<p role="alert">{message}; try again in {seconds} s.</p><p><a href="/login">Back to the login form</a></p>'
    "</body></html>"
)


def email_digest(email: str) -> str:
    """What the security log keeps of a typed email: enough to tell tries on one account apart."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16] if email else ""


def log_refusal(client: str, email: str, reason: str) -> None:
    security_log.warning(
        "login_refused", extra={"client": client, "email_digest": email_digest(email), "reason": reason}
    )


def refused_page(refusal: Refusal) -> tuple[bytes, str]:
    """A short page (none is rendered: a flood is mostly made of these) and its Retry-After."""
    seconds = retry_after_header(refusal.retry_after)
    return REFUSED_PAGE.format(message=refusal.message, seconds=seconds).encode(), seconds


class LoginFront:
    def __init__(self, app: ASGIApp, guard: LoginGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http" and scope["path"] == "/login" and scope["method"] == "POST" and self.guard.busy()
        ):
            await self.app(scope, receive, send)
            return
        if self._marked(scope) and not self.guard.busy(marked=True):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else ""
        refusal = self.guard.refuse_busy(address)
        log_refusal(address, "", refusal.reason)
        body, seconds = refused_page(refusal)
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", seconds.encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _marked(self, scope: Scope) -> bool:
        """A validly signed device mark in the request's cookies (for which email, the handler checks)."""
        for name, value in scope.get("headers", ()):
            if name == b"cookie":
                mark = cookie_parser(value.decode("latin-1")).get(DEVICE_COOKIE, "")
                if mark and self.guard.read_mark(mark) is not None:
                    return True
        return False
