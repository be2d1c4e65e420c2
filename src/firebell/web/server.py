"""Serving the app: uvicorn, one or several worker processes on one listening socket.

The listening socket gets TCP_NODELAY, which accepted connections inherit: without it a keep-alive
response written in two segments can wait ~40 ms for a delayed ACK (Nagle's algorithm).

A response's head and its body leave in one system call: the server writes them separately, and on
loopback each write costs as much as parsing the request (a fifth of a single-alert intake's time
was spent in them).

With TLS set (a certificate and its key) the server speaks HTTPS on the same port instead of HTTP.

Connections are bounded in time and number (settings.http): a request's headers must arrive within
`header_timeout_seconds` (else 408 and the connection closes), an idle keep-alive connection closes
after `keep_alive_seconds`, and a connection beyond `max_connections` gets 503 at once and closes, so
that clients which never finish their headers cannot take every file descriptor.

Forwarded headers (X-Forwarded-For, X-Forwarded-Proto) are believed only from `trusted_proxies`; from
anyone else, the peer's address is the client's (the login limits count by it).
"""

from __future__ import annotations

import asyncio
import resource
import socket
import ssl
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from firebell.infra.settings import Settings, TlsSettings


class _CorkedTransport:
    """A transport that holds a response's head until its body follows, and writes both at once.

    The head waits at most until the end of the current turn of the loop (a response without a body
    write); every other write goes out at once, so nothing else waits for a later turn.
    """

    __slots__ = ("_head", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        head, self._head = self._head, None
        if head is not None:
            self._transport.write(head + data)
        elif data.startswith(b"HTTP/1.1 ") and data.endswith(b"\r\n\r\n"):
            self._head = data
            self._loop.call_soon(self._flush)
        else:
            self._transport.write(data)

    def _flush(self) -> None:
        head, self._head = self._head, None
        if head is not None and not self._transport.is_closing():
            self._transport.write(head)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._head or b"")

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._head = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _answer(status: str, code: str, message: str) -> bytes:
    body = b'{"error":{"code":"%s","message":"%s","details":[]}}' % (code.encode(), message.encode())
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"connection: close\r\n\r\n" + body


_TIMED_OUT = _answer("408 Request Timeout", "request_timeout", "the request's headers took too long")
_FULL = _answer("503 Service Unavailable", "unavailable", "too many connections; try again")


class _Protocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol with a corked transport, a deadline for each request's headers and a
    cap on open connections."""

    def __init__(self, config: _Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.header_timeout = config.header_timeout
        self.max_connections = config.max_connections
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CorkedTransport(transport, self.loop))  # type: ignore[arg-type]
        if self.max_connections and len(self.connections) > self.max_connections:
            self.transport.write(_FULL)
            self.transport.close()
            return
        self._arm_header_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.header_deadline is None:  # a later request on a kept-alive connection
            self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self.header_deadline = self.loop.call_later(self.header_timeout, self._headers_timed_out)

    def _disarm_header_deadline(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_timed_out(self) -> None:
        self.header_deadline = None
        if not self.transport.is_closing():
            self.transport.write(_TIMED_OUT)
            self.transport.close()


FD_RESERVE = 256  # descriptors kept for the database pools, logs and files


def connection_cap(max_connections: int) -> int:
    """Raise the process's file descriptor limit to its hard limit and return how many connections
    to keep open at most: `max_connections`, or (0) the limit less FD_RESERVE."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max_connections or max(soft - FD_RESERVE, 16)


class _Config(uvicorn.Config):
    header_timeout = 10.0
    max_connections = 0

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def check_tls(tls: TlsSettings) -> None:
    """Refuse, before serving, a certificate or key that does not load (ValueError, one line)."""
    if not tls.enabled:
        return
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(tls.cert_file, tls.key_file)
    except OSError as exc:  # a missing file, or ssl.SSLError: not PEM, or a key of another certificate
        raise ValueError(f"FIREBELL_TLS__CERT_FILE / KEY_FILE do not load: {exc.strerror or exc}") from None


def run_server(settings: Settings) -> None:
    config = _Config(
        "firebell.web.asgi:create",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        loop="uvloop",
        http=_Protocol,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=settings.http.keep_alive_seconds,  # type: ignore[arg-type]
        ssl_certfile=settings.tls.cert_file or None,
        ssl_keyfile=settings.tls.key_file or None,
        # X-Forwarded-For and -Proto only from the proxies named (uvicorn's default trusts 127.0.0.1).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or "",
    )
    config.header_timeout = settings.http.header_timeout_seconds
    config.max_connections = connection_cap(settings.http.max_connections)
    sock = config.bind_socket()
    if settings.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
