"""Outbound HTTP that only reaches addresses the operator allows (see kernel/netpolicy.py).

`GuardedTransport` resolves each request's host itself, refuses it when any address is not allowed,
and connects to the address it checked (the Host header and TLS server name stay the original
name), so a DNS answer that changes between the check and the connection cannot reach elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

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
