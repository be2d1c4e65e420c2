"""Outbound HTTP that only reaches addresses the operator allows (see kernel/netpolicy.py).

`GuardedTransport` resolves each request's host itself, refuses it when any address is not allowed,
and connects to the address it checked (the Host header and TLS server name stay the original
name), so a DNS answer that changes between the check and the connection cannot reach elsewhere.

`guarded_connections` does the same for libraries that open their own connections (apprise, through
requests and urllib3, smtplib or MQTT): inside it, every connection, redirects included, goes to an
address checked when it is opened.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import urllib3.util.connection

from firebell.kernel.netpolicy import OutboundPolicy


class BlockedAddress(httpx.TransportError):
    """The destination resolves to an address outbound webhooks may not reach."""


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc.strerror}") from exc
    seen: dict[str, ipaddress.IPv4Address | ipaddress.IPv6Address] = {}
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]
        seen.setdefault(text, ipaddress.ip_address(text))
    return list(seen.values())


def check_host(host: str, port: int, policy: OutboundPolicy) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address to connect to for `host`, or BlockedAddress saying why none may be."""
    chosen, reason = policy.first_allowed(resolve(host, port))
    if chosen is None:
        raise BlockedAddress(f"refused to call {host}: {reason}")
    return chosen


def check_url(url: str, policy: OutboundPolicy) -> None:
    """Refuse a URL (of any scheme with a host, such as an apprise URL) whose host is not allowed."""
    parts = urlsplit(url)
    if parts.hostname:
        check_host(parts.hostname, parts.port or 443, policy)


class GuardedTransport(httpx.BaseTransport):
    def __init__(self, policy: OutboundPolicy, inner: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        address = check_host(host, request.url.port or (443 if request.url.scheme == "https" else 80), self.policy)
        pinned = request.url.copy_with(host=str(address))
        request.url = pinned
        request.headers["host"] = request.headers.get("host") or host
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class RefusedConnection(OSError):
    """A connection a library was about to open goes to an address that may not be reached."""


# The policy of the delivery running in this context (apprise copies the context to its workers).
_POLICY: contextvars.ContextVar[tuple[OutboundPolicy, list[str]] | None] = contextvars.ContextVar(
    "outbound_policy", default=None
)
_INSTALLING = threading.Lock()
_INSTALLED: list[bool] = []


@contextmanager
def guarded_connections(policy: OutboundPolicy) -> Iterator[list[str]]:
    """Within it, connections opened through urllib3 (HTTP, redirects included) or the socket
    module (SMTP, MQTT) go only to addresses `policy` allows, checked as each is opened; the list
    collects why any was refused."""
    _install()
    refused: list[str] = []
    token = _POLICY.set((policy, refused))
    try:
        yield refused
    finally:
        _POLICY.reset(token)


def _install() -> None:
    # Installed once and inert outside `guarded_connections`: the libraries open their connections
    # themselves, through these two functions.
    with _INSTALLING:
        if _INSTALLED:
            return
        for module in (urllib3.util.connection, socket):
            setattr(module, "create_connection", _checked(module.create_connection))  # noqa: B010
        _INSTALLED.append(True)


def _checked(unguarded: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        guard = _POLICY.get()
        if guard is None:
            return unguarded(address, *args, **kwargs)
        policy, refused = guard
        host, port = address
        try:
            chosen = check_host(host, port, policy)
        except BlockedAddress as exc:
            refused.append(str(exc))
            raise RefusedConnection(str(exc)) from exc
        except httpx.ConnectError as exc:
            raise socket.gaierror(str(exc)) from exc
        return unguarded((str(chosen), port), *args, **kwargs)

    return create_connection
