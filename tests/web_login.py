"""Logging in through the login form as a browser does: fetch the form (and its CSRF cookie), then post it."""

from __future__ import annotations

import re
from typing import Any, Protocol

import httpx

_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


class _Client(Protocol):
    cookies: httpx.Cookies

    def get(self, url: str, **kwargs: Any) -> httpx.Response: ...
    def post(self, url: str, **kwargs: Any) -> httpx.Response: ...


def form_token(client: _Client, prefix: str = "") -> str:
    """The login form's CSRF token; the client keeps the cookie it belongs with. A session the client
    holds is dropped first: a logged-in browser is sent on from /login, as someone else only after it."""
    if "firebell_session" in client.cookies:
        client.cookies.delete("firebell_session")
    page = client.get(f"{prefix}/login")
    found = _TOKEN.search(page.text)
    assert found, f"no CSRF token in the login form ({page.status_code})"
    return found.group(1)


def log_in(client: _Client, email: str, password: str, prefix: str = "", **kwargs: Any) -> httpx.Response:
    """Post the login form with its token, as `email`; `kwargs` go to the post (follow_redirects, data)."""
    data = {"email": email, "password": password, "csrf_token": form_token(client, prefix), **kwargs.pop("data", {})}
    return client.post(f"{prefix}/login", data=data, **kwargs)
