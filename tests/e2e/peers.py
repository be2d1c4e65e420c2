"""Real receivers for notifications: an SMTP server (aiosmtpd) and an HTTP server for Slack and
webhooks. Each keeps what it received, in order, with the time it arrived."""

from __future__ import annotations

import asyncio
import email
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived (before a slow receiver answers)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpSink:
    """Answers every POST with `status` (200 unless told otherwise) and keeps the request."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    status: Callable[[str], int] = lambda _path: 200
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Every request, refused ones too, and extra headers to answer with (such as Retry-After).
    attempts: list[Received] = field(default_factory=list)
    headers: Callable[[str], dict[str, str]] = lambda _path: {}

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


@contextmanager
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            arrived = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
            with sink.lock:
                sink.attempts.append(arrived)
            status = sink.status(self.path)
            if status < 300:
                with sink.lock:
                    sink.received.append(arrived)
            self.send_response(status)
            for name, value in sink.headers(self.path).items():
                self.send_header(name, value)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    sink.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Message
    at: float

    def part(self, subtype: str) -> str:
        """The decoded text/`subtype` part (the whole body of a one-part mail)."""
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8")
        raise AssertionError(f"no text/{subtype} part in {self.message.get_content_type()} mail")

    @property
    def text(self) -> str:
        return self.part("plain")


class _Handler:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message, time.time()))
        return "250 OK"


@dataclass
class SmtpSink:
    host: str
    port: int
    handler: _Handler

    @property
    def mails(self) -> list[Mail]:
        with self.handler.lock:
            return list(self.handler.mails)


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    handler = _Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpSink("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


class _Silent:
    """An SMTP server that takes every connection and mail, then never answers the DATA command."""

    def __init__(self) -> None:
        self.stalled = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        with self.lock:
            self.stalled += 1
        await asyncio.sleep(3600)
        return "451 too late"


@dataclass
class HangingSmtp:
    host: str
    port: int
    handler: _Silent


@contextmanager
def hanging_smtp() -> Iterator[HangingSmtp]:
    """A relay that accepts and never answers: every send waits out the client's timeout."""
    handler = _Silent()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield HangingSmtp("127.0.0.1", controller.port, handler)
    finally:
        controller.stop(no_assert=True)


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class SlackApi:
    """A local server speaking the Slack Web API methods Firebell calls, with their state."""

    token: str
    url: str = ""
    channels: dict[str, str] = field(default_factory=lambda: {"incidents": "C0INCIDENTS"})  # name -> id
    members: dict[str, list[str]] = field(default_factory=dict)  # channel id -> user ids
    topics: dict[str, str] = field(default_factory=dict)
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (channel id, message)
    calls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The next this many posts are refused as Slack does when rate limited: 429, Retry-After.
    rate_limited: int = 0
    retry_after: str = "30"

    def _channel(self, ref: str) -> str | None:
        ref = ref.lstrip("#")
        return self.channels.get(ref) or (ref if ref in self.channels.values() else None)

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls.append(method)
            if method == "conversations.create":
                name = str(args["name"])
                if name in self.channels:
                    return {"ok": False, "error": "name_taken"}
                self.channels[name] = f"C{len(self.channels):08d}"
                return {"ok": True, "channel": {"id": self.channels[name], "name": name}}
            if method == "conversations.list":
                listed = [{"id": i, "name": n} for n, i in self.channels.items()]
                return {"ok": True, "channels": listed, "response_metadata": {"next_cursor": ""}}
            channel = self._channel(str(args.get("channel", "")))
            if channel is None:
                return {"ok": False, "error": "channel_not_found"}
            if method == "conversations.invite":
                users = str(args["users"]).split(",") if isinstance(args["users"], str) else list(args["users"])
                self.members.setdefault(channel, []).extend(users)
                return {"ok": True, "channel": {"id": channel}}
            if method == "conversations.setTopic":
                self.topics[channel] = str(args["topic"])
                return {"ok": True}
            if method == "chat.postMessage":
                self.posts.append((channel, args))
                return {"ok": True, "channel": channel, "ts": f"{len(self.posts)}.000"}
            return {"ok": False, "error": "unknown_method"}

    def posted_to(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            wanted = self.channels.get(name)
            return [message for channel, message in self.posts if channel == wanted]


@contextmanager
def slack_api(token: str = "xoxb-test-token") -> Iterator[SlackApi]:  # noqa: S107 - a test double's token
    fake = SlackApi(token)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            path, _, query = self.path.partition("?")
            args: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
            if "json" in self.headers.get("content-type", ""):
                args.update(json.loads(raw or b"{}"))
            else:
                args.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
            status, extra = 200, {}
            with fake.lock:
                limited = fake.rate_limited > 0 and path.endswith("chat.postMessage")
                if limited:
                    fake.rate_limited -= 1
            if self.headers.get("authorization") != f"Bearer {fake.token}":
                body = {"ok": False, "error": "invalid_auth"}
            elif limited:
                body, status, extra = {"ok": False, "error": "ratelimited"}, 429, {"Retry-After": fake.retry_after}
            else:
                body = fake.answer(path.rsplit("/", 1)[-1], args)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_port}/api/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
