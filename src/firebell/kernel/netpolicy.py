"""Which network addresses outbound webhooks may reach. Pure: resolving names is the caller's job.

By default only globally routable addresses: never loopback, private (RFC 1918, unique local),
link-local (where cloud metadata services answer), shared (CGNAT), multicast or reserved ones, so a
webhook address typed into Firebell cannot make it call services inside its own network. The
operator lists the internal networks it may call anyway.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    allowed: tuple[IPNetwork, ...] = ()
    block_internal: bool = True

    @classmethod
    def parse(cls, allow: str, *, block_internal: bool = True) -> OutboundPolicy:
        """`allow` is comma-separated networks or addresses: `10.0.0.0/8, 127.0.0.1`."""
        networks = []
        for part in allow.split(","):
            text = part.strip()
            if not text:
                continue
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError as exc:
                raise ValueError(f"{text!r} is not a network or address (such as 10.0.0.0/8)") from exc
        return cls(tuple(networks), block_internal)

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` may not be called, or None when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address.version == n.version and address in n for n in self.allowed):
            return None
        if self.block_internal and (not address.is_global or address.is_multicast):
            return f"{address} is an internal address; allow it with FIREBELL_OUTBOUND__ALLOW"
        return None

    def first_allowed(self, addresses: Iterable[IPAddress]) -> tuple[IPAddress | None, str]:
        """The first address a name resolved to that may be called, else None and why not.

        Every address must pass: a name that resolves to both a public and an internal address is
        refused, so round-robin DNS cannot smuggle the internal one in.
        """
        chosen: IPAddress | None = None
        for address in addresses:
            reason = self.refusal(address)
            if reason is not None:
                return None, reason
            chosen = chosen or address
        return chosen, "" if chosen is not None else "the name resolves to no address"


def literal_refusal(host: str, policy: OutboundPolicy) -> str | None:
    """For checks when an address is saved: a refused IP literal or `localhost` (names are
    resolved, and checked again, when a message is sent)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return policy.refusal(ipaddress.ip_address("127.0.0.1"))
    try:
        return policy.refusal(ipaddress.ip_address(name))
    except ValueError:
        return None
