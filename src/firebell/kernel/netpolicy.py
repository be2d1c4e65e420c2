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
        if self._allows(address):
            return None
        embedded = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else ()
        for judged in embedded or (address,):
            if self._allows(judged):
                continue
            if self.block_internal and (not judged.is_global or judged.is_multicast):
                return f"{judged} is an internal address; allow it with FIREBELL_OUTBOUND__ALLOW"
        return None

    def _allows(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.allowed)

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


# apprise schemes whose plugins open sockets of their own, outside the connection functions the send
# guard checks (paging/channels/guard.py): found by searching apprise's plugins (2.3) for
# `socket.socket(`, `sendto(`, their own websocket client and third-party network libraries:
# irc/ircs (utils/socket.py SocketTransport), nostr (a websocket relay client on SocketTransport),
# rsyslog (UDP sendto), growl (gntp) and xmpp/xmpps (slixmpp, through asyncio). Where the outbound
# rules apply these are refused, since where they connect cannot be checked.
UNCHECKED_SCHEMES = frozenset({"irc", "ircs", "nostr", "rsyslog", "growl", "xmpp", "xmpps"})


def scheme_refusal(address: str, policy: OutboundPolicy) -> str | None:
    """Why an apprise URL of a scheme whose connections cannot be checked may not be used, or None."""
    scheme = address.strip().split("://", 1)[0].lower()
    if not policy.block_internal or scheme not in UNCHECKED_SCHEMES:
        return None
    return f"{scheme}:// notifications connect where the outbound rules cannot check them"


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address reaches through a translator or tunnel, to be judged in
    its place: IPv4-mapped, IPv4-translated (::ffff:0:0:0/96), IPv4-compatible (::/96), NAT64
    (64:ff9b::/96, and the local-use 64:ff9b:1::/48 at every position RFC 6052 allows, since its
    prefix length is the operator's) and 6to4 (2002::/16). Empty for any other address."""
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    value = int(address)
    if any(address in net for net in (_NAT64, _IPV4_COMPATIBLE, _IPV4_TRANSLATED)):
        return (ipaddress.IPv4Address(value & 0xFFFFFFFF),)
    if address in _NAT64_LOCAL:
        packed = address.packed
        # RFC 6052 section 2.2: the IPv4 bytes after a /48, /56, /64 or /96 prefix, skipping byte 8.
        spans = (packed[6:8] + packed[9:11], packed[7:8] + packed[9:12], packed[9:13], packed[12:16])
        return tuple(ipaddress.IPv4Address(span) for span in spans)
    return ()


def literal_refusal(host: str, policy: OutboundPolicy, *, bare_numbers: bool = True) -> str | None:
    """For checks when an address is saved: a refused IP literal or `localhost` (names are
    resolved, and checked again, when a message is sent).

    IPv4 is read the way the system resolver reads it, so `2130706433`, `0x7f.1`, `017700000001` and
    `127.1` are all 127.0.0.1. `bare_numbers=False` leaves a plain run of digits alone, for addresses
    (such as some apprise URLs) whose host part may be an id or a token.
    """
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return policy.refusal(ipaddress.ip_address("127.0.0.1"))
    try:
        return policy.refusal(ipaddress.ip_address(name))
    except ValueError:
        pass
    if not bare_numbers and name.isdigit():
        return None
    address = ipv4_shorthand(name)
    return policy.refusal(address) if address is not None else None


def ipv4_shorthand(text: str) -> ipaddress.IPv4Address | None:
    """`text` read as inet_aton(3) reads it: one to four parts, each decimal, octal (leading 0) or hex
    (0x), the last part filling the remaining bytes. None when it is not such an address."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        value = _number(part)
        if value is None:
            return None
        values.append(value)
    *head, last = values
    if any(v > 0xFF for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    packed = 0
    for v in head:
        packed = packed << 8 | v
    return ipaddress.IPv4Address(packed << (8 * (4 - len(head))) | last)


def _number(part: str) -> int | None:
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    allowed = "0123456789abcdefABCDEF"[: 16 if base == 16 else base]
    if not digits or any(c not in allowed for c in digits):
        return None
    return int(digits, base)
