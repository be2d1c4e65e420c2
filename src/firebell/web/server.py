"""Serving the app: uvicorn, one or several worker processes on one listening socket.

The listening socket gets TCP_NODELAY, which accepted connections inherit: without it a keep-alive
response written in two segments can wait ~40 ms for a delayed ACK (Nagle's algorithm).
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from firebell.infra.settings import Settings


class _Config(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


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
        http="httptools",
        timeout_graceful_shutdown=10,
    )
    sock = config.bind_socket()
    if settings.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
