"""ASGI middleware: body size limit (413 before the body is buffered), request metrics, security
headers and the web requests' bulkhead."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firebell.audit import capture as audit
from firebell.infra.metrics import Metrics
from firebell.kernel.errors import Unavailable
from firebell.kernel.ratelimit import retry_after_header
from firebell.web.errors import error_body, status_of


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, whether or not Content-Length is sent; the
    paths in `wider` have limits of their own."""

    def __init__(self, app: ASGIApp, limit: int, wider: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.wider = dict(wider or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.wider.get(scope["path"], self.limit)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._too_large(send, limit)
                return
        received = 0
        refused = False
        # A request with a body the app answers without reading it all (a refusal: not logged in, no
        # such route) closes its connection, rather than have the server read and drop the rest.
        unread = _has_body(scope["headers"])

        async def limited_receive() -> Message:
            nonlocal received, refused, unread
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                unread = unread and message.get("more_body", False)
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now; the app sees a disconnect and its own reply is dropped.
                    refused = True
                    await self._too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if refused:
                return
            if unread and message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _too_large(self, send: Send, limit: int) -> None:
        body = orjson.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": f"request body is over the {limit} byte limit",
                    "details": [{"field": "body", "limit": limit}],
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
            return True
    return False


class RequestMetrics:
    """Observe latency per route template (never the raw path: it may carry a secret key)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.request_seconds.labels(template, scope["method"]).observe(time.perf_counter() - start)


class AuditScopes:
    """Open an audit scope per request; the caller, once known, is named in it (web/deps.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = audit.open_scope()
        try:
            await self.app(scope, receive, send)
        finally:
            audit.close_scope(token)


class NulGuard:
    """Refuse input holding a NUL character (U+0000), naming where: PostgreSQL cannot store it in
    text, and no name, note or setting needs one. Checks the query string and JSON and form bodies
    (buffered: BodyLimit, outside this, has bounded their size)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            field = next((k for k, v in parse_qsl(query.decode("latin-1")) if "\x00" in k + v), "query")
            await _refuse_nul(send, field, scope.get("path", ""))
            return
        if "%00" in scope.get("path", "") or b"%00" in scope.get("raw_path", b""):
            await _refuse_nul(send, "path", scope.get("path", ""))
            return
        kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind.endswith(b"+json"):
            kind = b"application/json"  # application/merge-patch+json and the like are read as JSON
        if scope["method"] not in ("POST", "PUT", "PATCH") or kind not in _CHECKED:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        found = _nul_field(kind, b"".join(chunks))
        if found is not None:
            await _refuse_nul(send, found, scope.get("path", ""))
            return
        await self.app(scope, _replay(chunks, None), send)


_CHECKED = {b"application/json", b"application/x-www-form-urlencoded"}


def _nul_field(kind: bytes, body: bytes) -> str | None:
    """Where in the body a NUL character is, or None."""
    if kind == b"application/x-www-form-urlencoded":
        if b"%00" not in body and b"\x00" not in body:
            return None
        return next((k for k, v in parse_qsl(body.decode("latin-1")) if "\x00" in k + v), "body")
    if b"\\u0000" not in body.lower():
        return None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # the app answers for the broken JSON itself
    return _nul_path(document, [])


def _nul_path(value: Any, at: list[str]) -> str | None:
    if isinstance(value, str):
        return ".".join(at) or "body" if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return ".".join([*at, key.replace("\x00", "")]) or "body"
        found = _nul_path(item, [*at, str(key)])
        if found is not None:
            return found
    return None


def _replay(chunks: list[bytes], last: Message | None) -> Receive:
    """A receive that gives the app the body already read, then what the client sends next."""
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}] if chunks else []
    if last is not None:
        pending.append(last)

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    return receive


async def _refuse_nul(send: Send, field: str, path: str = "") -> None:
    message = f"{field}: contains a NUL character (\\u0000), which cannot be stored"
    details = [{"field": field, "message": "contains a NUL character"}]
    document = error_body(path, "validation_failed", message, details)  # a vendor's shape on its endpoints
    body = orjson.dumps(document)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if "requestId" in document:
        headers.append((b"x-request-id", str(document["requestId"]).encode()))
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Admission:
    """A bulkhead for web requests: at most `limit` reads (GET, HEAD) and, separately, `limit` writes at
    work at once (each holds a worker thread and at most one of the web pool's connections), so the
    acknowledgement pressed during a big incident never queues behind the crowd reading it. The rest
    wait their turn on the event loop, without a thread, up to `wait` seconds; then they get 503 with
    Retry-After at once (an HTML page that retries by itself for a browser, JSON for the API), and the
    process keeps its time for intake, paging and those being served.

    Intake is answered before this (web/intake_app.py); liveness, readiness, metrics, the live-update
    stream (open for as long as a page is) and static files never wait here. Nor does a password login:
    it bounds itself (identity/login_guard.py), and holding a write turn through its hashing would
    keep a responder's acknowledgement waiting behind whoever floods the login form.
    """

    EXEMPT = ("/healthz", "/readyz", "/metrics", "/ui/stream", "/static/")
    SELF_BOUNDED = frozenset({("POST", "/login")})
    READS = frozenset({"GET", "HEAD", "OPTIONS"})
    RETRY_AFTER = 1  # seconds

    def __init__(self, app: ASGIApp, limit: int, wait: float) -> None:
        self.app = app
        self.limit = limit
        self.wait = wait
        self._lanes: dict[bool, asyncio.Semaphore] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith(self.EXEMPT)
            or (scope["method"], scope["path"]) in self.SELF_BOUNDED
        ):
            await self.app(scope, receive, send)
            return
        if self._lanes is None:  # made on the server's own event loop
            self._lanes = {True: asyncio.Semaphore(self.limit), False: asyncio.Semaphore(self.limit)}
        lane = self._lanes[scope["method"] in self.READS]
        try:
            await asyncio.wait_for(lane.acquire(), self.wait)
        except TimeoutError:
            await self._busy(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            lane.release()

    async def _busy(self, scope: Scope, send: Send) -> None:
        refusal = Unavailable("the server is busy with other requests; retry", retry_after=self.RETRY_AFTER)
        headers = {k.lower(): v for k, v in scope.get("headers") or []}
        browser = b"text/html" in headers.get(b"accept", b"") and b"hx-request" not in headers
        if browser:
            body = _BUSY_PAGE.replace(b"{seconds}", str(self.RETRY_AFTER).encode())
            kind = b"text/html; charset=utf-8"
        else:
            body = orjson.dumps(error_body(scope["path"], refusal.code, refusal.message, refusal.details))
            kind = b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": status_of(refusal),
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", retry_after_header(refusal.retry_after).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


# What a browser shows when its page could not get a turn: it loads the page again by itself. Its
# style's hash is allowed by the Content-Security-Policy (web/content_policy.py).
BUSY_STYLE = (
    "body{font:16px system-ui,sans-serif;background:#0f1318;color:#e6e8eb;margin:3rem auto;max-width:32rem;"
    "padding:0 1rem}"
)
_BUSY_PAGE = (
    b"<!doctype html><html lang=en><head><meta charset=utf-8>"
    b'<meta name=viewport content="width=device-width, initial-scale=1">'
    b'<meta http-equiv=refresh content="{seconds}"><title>Busy: retrying</title>'
    b"<style>" + BUSY_STYLE.encode() + b"</style></head><body><h1>Many people are reading right now</h1>"
    b"<p>Firebell keeps its time for alerts and pages first. This page loads again in {seconds} s.</p>"
    b"</body></html>"
)


class SecurityHeaders:
    """The headers every answer carries, pages, API, intake and errors alike: a Content-Security-Policy
    (`policy` chooses it by path), no framing, no MIME sniffing, a referrer without path or query
    across origins, and HSTS when the request came over TLS. A header the route set itself stays."""

    def __init__(self, app: ASGIApp, policy: Callable[[Scope], str]) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [
            (b"content-security-policy", self.policy(scope).encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", b"max-age=31536000"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
