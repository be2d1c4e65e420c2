"""The login front: while every hashing slot is busy, POST /login is answered 503 before the app
(and its body) is reached; everything else goes on to the app."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from firebell.identity.login_guard import LoginGuard
from firebell.web.login_front import LoginFront


def test_a_login_finding_hashing_busy_never_reaches_the_app(caplog: pytest.LogCaptureFixture) -> None:
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(f"{scope['method']} {scope['path']}")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = LoginGuard(
        secret=b"k", slots=1, per_address_per_minute=0, address_burst=1, email_free_failures=0, email_max_delay=0
    )
    release, started = threading.Event(), threading.Event()

    def hashing() -> None:
        started.set()
        release.wait(10)

    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=LoginFront(app, guard))
        async with httpx.AsyncClient(transport=transport, base_url="http://firebell") as client:
            free = await client.post("/login", data={"email": "a@x"})
            held = asyncio.ensure_future(guard.check(hashing))
            await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
            busy = await client.post("/login", data={"email": "a@x"})
            page = await client.get("/login")
            release.set()
            await held
            return free, busy, page

    try:
        free, busy, page = asyncio.run(scenario())
    finally:
        guard.close()
    assert (free.status_code, busy.status_code, page.status_code) == (200, 503, 200)
    assert busy.headers["retry-after"] == "1"
    assert "busy checking other logins" in busy.text
    assert reached == ["POST /login", "GET /login"]
    refused = [r for r in caplog.records if r.name == "firebell.security"]
    assert [getattr(r, "reason", "") for r in refused] == ["hashing_busy"]
