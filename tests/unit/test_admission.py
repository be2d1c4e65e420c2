"""The web bulkhead: reads and writes each have their turns; a request that waits too long for one
is answered 503 with Retry-After at once, as JSON for the API and as a page that retries by itself
for a browser. Run through the real middleware over ASGI."""

from __future__ import annotations

import asyncio
import time

import httpx
from starlette.types import Receive, Scope, Send

from firebell.web.middleware import Admission


class Held:
    """An app whose GET /slow and POST /slow hold their turn until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/slow":
            self.started.set()
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": scope["method"].encode()})


def _client(app: Admission) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://firebell")


def test_a_reader_waiting_too_long_hears_so_at_once_and_a_write_still_gets_its_turn() -> None:
    async def scenario() -> None:
        held = Held()
        app = Admission(held, limit=1, wait=0.2)
        async with _client(app) as client:
            slow = asyncio.create_task(client.get("/slow"))
            await held.started.wait()
            started = time.monotonic()
            api = await client.get("/api/v1/incidents/1", headers={"accept": "application/json"})
            waited = time.monotonic() - started
            assert api.status_code == 503
            assert api.headers["retry-after"] == "1"
            assert api.json()["error"]["code"] == "unavailable"
            assert 0.15 < waited < 1.5
            browser = await client.get("/incidents/1", headers={"accept": "text/html,application/xhtml+xml"})
            assert browser.status_code == 503
            assert browser.headers["content-type"].startswith("text/html")
            assert '<meta http-equiv=refresh content="1">' in browser.text
            # A live refresh (htmx) is told in JSON: the page's script retries it.
            partial = await client.get("/incidents/1?partial=1", headers={"accept": "text/html", "hx-request": "true"})
            assert partial.status_code == 503
            assert partial.headers["content-type"] == "application/json"
            # A write has turns of its own: the acknowledgement does not queue behind readers.
            ack = await client.post("/incidents/1/move/acknowledged")
            assert (ack.status_code, ack.text) == (200, "POST")
            assert (await client.get("/healthz")).status_code == 200  # never waits here
            held.release.set()
            assert (await slow).status_code == 200
            assert (await client.get("/incidents/1")).status_code == 200  # the turn came back

    asyncio.run(scenario())


def test_writes_fill_their_own_turns_without_taking_the_readers() -> None:
    async def scenario() -> None:
        held = Held()
        app = Admission(held, limit=1, wait=0.2)
        async with _client(app) as client:
            slow = asyncio.create_task(client.post("/slow"))
            await held.started.wait()
            assert (await client.post("/incidents/1/notes")).status_code == 503
            assert (await client.get("/incidents/1")).status_code == 200
            held.release.set()
            assert (await slow).status_code == 200

    asyncio.run(scenario())


def test_a_password_login_holds_no_write_turn() -> None:
    """A login bounds its own hashing (identity/login_guard.py): one in progress must not keep an
    acknowledgement waiting, however many more are posted."""

    class HeldLogin(Held):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["path"] == "/login":
                scope = {**scope, "path": "/slow"}
            await super().__call__(scope, receive, send)

    async def scenario() -> None:
        held = HeldLogin()
        app = Admission(held, limit=1, wait=0.2)
        async with _client(app) as client:
            login = asyncio.create_task(client.post("/login"))
            await held.started.wait()
            ack = await client.post("/incidents/1/move/acknowledged")
            assert (ack.status_code, ack.text) == (200, "POST")
            held.release.set()
            assert (await login).status_code == 200

    asyncio.run(scenario())
