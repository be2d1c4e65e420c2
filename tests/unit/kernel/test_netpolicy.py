"""Outbound addresses: internal ones refused unless the operator allows them."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from firebell.kernel.netpolicy import OutboundPolicy, ipv4_shorthand, literal_refusal

ip = ipaddress.ip_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared (carrier-grade NAT)
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
    ],
)
def test_internal_addresses_are_refused_by_default(address: str) -> None:
    reason = OutboundPolicy().refusal(ip(address))
    assert reason is not None
    assert "internal address" in reason
    assert "FIREBELL_OUTBOUND__ALLOW" in reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert OutboundPolicy().refusal(ip(address)) is None


def test_the_operator_allows_networks_and_may_turn_the_guard_off() -> None:
    policy = OutboundPolicy.parse(" 10.0.0.0/8, 127.0.0.1 ")
    assert policy.refusal(ip("10.9.9.9")) is None
    assert policy.refusal(ip("127.0.0.1")) is None
    assert policy.refusal(ip("::ffff:127.0.0.1")) is None
    assert policy.refusal(ip("127.0.0.2")) is not None
    assert policy.refusal(ip("192.168.0.1")) is not None
    assert OutboundPolicy.parse("", block_internal=False).refusal(ip("127.0.0.1")) is None
    with pytest.raises(ValueError, match="is not a network or address"):
        OutboundPolicy.parse("intranet")


def test_a_name_with_any_internal_address_is_refused() -> None:
    chosen, reason = OutboundPolicy().first_allowed([ip("8.8.8.8"), ip("10.0.0.1")])
    assert chosen is None
    assert "10.0.0.1" in reason
    assert OutboundPolicy().first_allowed([ip("8.8.8.8"), ip("1.1.1.1")]) == (ip("8.8.8.8"), "")
    assert OutboundPolicy().first_allowed([]) == (None, "the name resolves to no address")


def test_literal_addresses_and_localhost_are_checked_when_saved() -> None:
    policy = OutboundPolicy()
    assert literal_refusal("169.254.169.254", policy) is not None
    assert literal_refusal("[::1]", policy) is not None
    assert literal_refusal("LocalHost.", policy) is not None
    assert literal_refusal("api.localhost", policy) is not None
    assert literal_refusal("hooks.example.com", policy) is None  # names are checked when sending


@pytest.mark.parametrize(
    "text",
    [
        "2130706433",
        "0x7f.1",
        "017700000001",
        "127.1",
        "0x7f000001",
        "0177.0.0.01",
        "1.2.3",
        "10.1",
        "00",
        "256.1",
        "4294967296",
        "0x",
        "08",
        "1..2",
        "",
        "a.b",
        "0x1_0",
        "1_0",
        "1.2.3.4.5",
        "1.2.3.256",
    ],
)
def test_ipv4_shorthand_reads_addresses_as_the_system_resolver_does(text: str) -> None:
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        expected = None
    assert ipv4_shorthand(text) == expected


def test_numeric_loopback_literals_are_refused_but_bare_ids_can_be_left_alone() -> None:
    policy = OutboundPolicy()
    for host in ("2130706433", "0x7f.1", "017700000001", "127.1"):
        assert (
            literal_refusal(host, policy) == "127.0.0.1 is an internal address; allow it with FIREBELL_OUTBOUND__ALLOW"
        )
    assert literal_refusal("167772161", policy, bare_numbers=False) is None
    assert literal_refusal("0x7f.1", policy, bare_numbers=False) is not None
    assert literal_refusal("hooks.example.com", policy) is None


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64 well-known prefix
        ("64:ff9b::7f00:1", "127.0.0.1"),
        ("64:ff9b:1::a9fe:a9fe", None),  # NAT64 local-use prefix, as a /96 (as a /48 it is 0.0.0.0)
        ("64:ff9b:1:a9fe:a9:fe00::", "169.254.169.254"),  # ... as a /48
        ("::127.0.0.1", "127.0.0.1"),  # IPv4-compatible
        ("::a00:1", "10.0.0.1"),
        ("::ffff:0:a9fe:a9fe", "169.254.169.254"),  # IPv4-translated (SIIT)
        ("2002:7f00:1::", "127.0.0.1"),  # 6to4
        ("2002:a9fe:a9fe::1", "169.254.169.254"),
    ],
)
def test_ipv4_inside_ipv6_is_judged_by_the_ipv4_address(address: str, inside: str | None) -> None:
    reason = OutboundPolicy().refusal(ip(address))
    assert reason is not None
    if inside is not None:
        assert reason.startswith(f"{inside} is an internal address")


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8"])
def test_ipv6_carrying_a_public_ipv4_address_may_be_called(address: str) -> None:
    assert OutboundPolicy().refusal(ip(address)) is None


def test_an_allowed_ipv4_network_covers_the_same_address_inside_ipv6() -> None:
    policy = OutboundPolicy.parse("127.0.0.0/8")
    assert policy.refusal(ip("64:ff9b::7f00:1")) is None
    assert policy.refusal(ip("2002:7f00:1::")) is None
    assert policy.refusal(ip("64:ff9b::a9fe:a9fe")) is not None
