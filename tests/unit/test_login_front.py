"""The login front: while every hashing slot is busy, POST /login is answered 503 before the app
(and its body) is reached; everything else goes on to the app."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from firebell.identity.login_guard import LoginGuard, password_stamp
from firebell.web.login_front import DEVICE_COOKIE, LoginFront


def _app(reached: list[str]) -> ASGIApp:
    """The app behind the front: it notes each request reaching it (method, path, client) and says ok."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(f"{scope['method']} {scope['path']} {scope['client'][0]}")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def _guard(per_minute: float = 0, burst: int = 1, secret: bytes = b"k") -> LoginGuard:
    return LoginGuard(
        secret=secret,
        slots=1,
        per_address_per_minute=per_minute,
        address_burst=burst,
        email_free_failures=0,
        email_max_delay=0,
    )


def _hashing(started: threading.Event, release: threading.Event) -> Callable[[], None]:
    """A password check that holds its slot from `started` until `release`."""

    def hashing() -> None:
        started.set()
        release.wait(10)

    return hashing


def test_a_login_finding_hashing_busy_never_reaches_the_app(caplog: pytest.LogCaptureFixture) -> None:
    reached: list[str] = []
    app, guard = _app(reached), _guard()
    release, started = threading.Event(), threading.Event()
    hashing = _hashing(started, release)

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
    assert reached == ["POST /login 127.0.0.1", "GET /login 127.0.0.1"]
    refused = [r for r in caplog.records if r.name == "firebell.security"]
    assert [getattr(r, "reason", "") for r in refused] == ["hashing_busy"]


def test_while_slots_are_busy_refusals_count_per_address_and_a_marked_login_goes_on() -> None:
    reached: list[str] = []
    app, guard = _app(reached), _guard(per_minute=1, burst=2)
    release, started = threading.Event(), threading.Event()
    hashing = _hashing(started, release)
    mark = guard.device_mark("pat@x", password_stamp("$argon2id$pat"))
    forged = _guard(secret=b"forged").device_mark("pat@x", password_stamp("$argon2id$pat"))

    async def post(address: str, cookies: dict[str, str] | None = None) -> int:
        transport = httpx.ASGITransport(app=LoginFront(app, guard), client=(address, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://firebell", cookies=cookies) as client:
            return (await client.post("/login", data={"email": "pat@x"})).status_code

    async def scenario() -> list[int]:
        held = asyncio.ensure_future(guard.check(hashing))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        # Addresses of one /64: their refusals share one allowance, then 429.
        answers = [await post(f"2001:db8::{n}") for n in range(1, 4)]
        answers.append(await post("2001:db8::9", {DEVICE_COOKIE: forged}))
        answers.append(await post("10.0.0.7", {DEVICE_COOKIE: mark}))
        release.set()
        await held
        return answers

    try:
        answers = asyncio.run(scenario())
    finally:
        guard.close()
    assert answers == [503, 503, 429, 429, 200]
    assert reached == ["POST /login 10.0.0.7"]  # only the validly marked login reached the app
