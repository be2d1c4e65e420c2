"""Serving the app: uvicorn, one or several worker processes on one listening socket.

The listening socket gets TCP_NODELAY, which accepted connections inherit: without it a keep-alive
response written in two segments can wait ~40 ms for a delayed ACK (Nagle's algorithm).

A response's head and its body leave in one system call: the server writes them separately, and on
loopback each write costs as much as parsing the request (a fifth of a single-alert intake's time
was spent in them).

With TLS set (a certificate and its key) the server speaks HTTPS on the same port instead of HTTP.
"""

from __future__ import annotations

import asyncio
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


class _Protocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CorkedTransport(transport, self.loop))  # type: ignore[arg-type]


class _Config(uvicorn.Config):
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
        ssl_certfile=settings.tls.cert_file or None,
        ssl_keyfile=settings.tls.key_file or None,
    )
    sock = config.bind_socket()
    if settings.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
