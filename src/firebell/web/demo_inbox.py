"""The demo's inbox page: the email pages the built-in SMTP server received (mounted in demo mode only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.infra.demo_inbox import Inbox
from firebell.web.pages import UserSession, is_partial, render

router = APIRouter(include_in_schema=False)


@router.get("/demo/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: UserSession) -> Response:
    inbox: Inbox = request.app.state.demo_inbox
    messages = inbox.messages()
    name = "demo_inbox_rows.html" if is_partial(request) else "demo_inbox.html"
    return render(request, name, session, messages=messages)
