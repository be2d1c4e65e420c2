"""Outbound webhooks reach only addresses the operator allows: not loopback, private networks or the
cloud metadata address, whatever name points there; refused when saved where that can be told, and
always when sent, visibly in the delivery log."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from firebell.kernel.errors import ValidationFailed
from firebell.kernel.netpolicy import OutboundPolicy
from firebell.paging.channels.guard import GuardedTransport
from firebell.paging.channels.long_tail import AppriseChannel
from firebell.paging.channels.webhooks import SlackChannel, WebhookChannel
from firebell.paging.ports import PermanentDeliveryError
from tests.conftest import free_port
from tests.e2e.peers import http_sink, smtp_sink, wait_for
from tests.integration.conftest import PagingApp, apply_config
from tests.unit.paging.test_links_and_messages import PAGE


def channel(policy: OutboundPolicy) -> WebhookChannel:
    return WebhookChannel(httpx.Client(transport=GuardedTransport(policy), timeout=5), b"secret")


def test_internal_addresses_are_refused_before_any_connection() -> None:
    with http_sink() as sink:
        port = sink.url.rsplit(":", 1)[1]
        refused = channel(OutboundPolicy())
        for url in (
            f"http://localhost:{port}/hook",
            f"http://127.0.0.1:{port}/hook",
            f"http://[::ffff:127.0.0.1]:{port}/hook",
            f"http://2130706433:{port}/hook",
            f"http://0x7f.1:{port}/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/hook",
        ):
            with pytest.raises(PermanentDeliveryError, match="internal address"):
                refused.send(url, PAGE)
        with pytest.raises(PermanentDeliveryError, match="internal address"):
            SlackChannel(refused.client).send(f"http://localhost:{port}/slack", PAGE)
        with pytest.raises(PermanentDeliveryError, match="internal address"):
            AppriseChannel(OutboundPolicy()).send(f"json://127.0.0.1:{port}/apprise", PAGE)
        assert sink.received == []


def test_an_allowed_network_is_reached_at_the_address_checked_with_the_name_kept() -> None:
    with http_sink() as sink:
        port = sink.url.rsplit(":", 1)[1]
        channel(OutboundPolicy.parse("127.0.0.1")).send(f"http://localhost:{port}/hook", PAGE)
        got = sink.on("/hook")
        assert len(got) == 1
        assert got[0].headers["host"] == f"localhost:{port}"
        assert got[0].json()["incident"]["number"] == 42


def test_saving_an_internal_literal_address_is_refused_naming_the_field(paging_app: PagingApp) -> None:
    config = """\
users:
  - name: Mallory
    handle: mallory
    email: mallory@example.com
    contact_methods:
      - {type: email, address: mallory@example.com}
      - {type: webhook, address: 'http://169.254.169.254/latest/meta-data/'}
"""
    with pytest.raises(ValidationFailed) as refused:
        apply_config(paging_app, config)
    assert refused.value.details[0]["field"] == "users[0].contact_methods[1].address"
    assert "169.254.169.254 is an internal address" in refused.value.message


def test_a_page_to_an_internal_name_fails_visibly_and_is_not_retried(paging_app: PagingApp) -> None:
    app = paging_app
    with http_sink() as sink:
        port = sink.url.rsplit(":", 1)[1]
        app.add_service("checkout")
        key = app.add_integration("checkout", "webhook")
        apply_config(
            app,
            """\
users:
  - name: Carol
    handle: carol
    email: carol@example.com
    contact_methods: [{type: webhook, address: 'https://hooks.example/carol'}]
escalation_policies:
  - name: carol-only
    levels: [{targets: [carol], timeout: 15m}]
services:
  - {name: checkout, escalation_policy: carol-only}
""",
        )
        # The name was fine when saved; now it points inside (as a changed DNS answer would).
        with app.container.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE contact_methods SET address = :a WHERE kind = 'webhook'"),
                {"a": f"http://localhost:{port}/carol"},
            )
        assert app.client.post(f"/integrations/webhook/{key}", json={"title": "down"}).status_code == 202
        app.tick()
        log = app.client.get("/api/v1/deliveries", headers=app.auth()).json()
        webhook = [d for d in log if d["channel"] == "webhook"]
        assert [d["status"] for d in webhook] == ["failed"]
        assert webhook[0]["attempts"] == 1
        assert "refused to call localhost: 127.0.0.1 is an internal address" in webhook[0]["last_error"]
        assert sink.received == []


def test_apprise_addresses_whose_host_is_a_token_are_not_taken_for_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """tgram://, discord://: the "host" is a bot token or an id, the server the vendor's own."""
    sent: list[str] = []

    class Sender:
        def add(self, url: str) -> bool:
            sent.append(url)
            return True

        def notify(self, body: str, title: str) -> bool:
            return True

    monkeypatch.setattr("firebell.paging.channels.long_tail.apprise.Apprise", Sender)
    channel = AppriseChannel(OutboundPolicy())
    for url in ("tgram://123456789:AAFakeBotToken/-1001234567", "discord://4174216298/some-token"):
        channel.send(url, PAGE)
    assert len(sent) == 2
    with pytest.raises(PermanentDeliveryError, match="internal address"):
        channel.send("json://127.0.0.1:9/hook", PAGE)


@pytest.mark.parametrize(
    ("scheme", "hosts"),
    [
        ("json", ("2130706433", "0x7f.1", "017700000001", "127.1", "0x7f000001")),
        # Not among the schemes checked before sending: refused as apprise connects (apprise itself
        # rejects the dotted short forms for it).
        ("kodi", ("2130706433", "017700000001", "0x7f000001")),
    ],
)
def test_apprise_does_not_reach_loopback_written_as_a_number(scheme: str, hosts: tuple[str, ...]) -> None:
    with http_sink() as sink:
        port = sink.url.rsplit(":", 1)[1]
        for host in hosts:
            with pytest.raises(PermanentDeliveryError, match=r"127\.0\.0\.1 is an internal address"):
                AppriseChannel(OutboundPolicy()).send(f"{scheme}://{host}:{port}/hook", PAGE)
        assert sink.attempts == []


@contextmanager
def redirector(to: str) -> Iterator[str]:
    """An HTTP server on 127.0.0.2 that answers every POST with a redirect to `to`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(307)
            self.send_header("location", to)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.2", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.2:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_apprise_does_not_follow_a_redirect_to_an_internal_address() -> None:
    with http_sink() as sink, redirector(f"{sink.url}/inside") as allowed:
        policy = OutboundPolicy.parse("127.0.0.2")
        for scheme in ("json", "form", "kodi"):
            with pytest.raises(PermanentDeliveryError, match=r"refused to call 127\.0\.0\.1"):
                AppriseChannel(policy).send(f"{scheme}://{allowed}/hook", PAGE)
        assert sink.attempts == []
        # Where the operator allows both, the redirect is followed: the refusal above is the guard's.
        AppriseChannel(OutboundPolicy.parse("127.0.0.0/8")).send(f"json://{allowed}/hook", PAGE)
        assert [r.path for r in sink.received] == ["/inside"]


def test_saving_an_internal_address_written_as_a_number_is_refused(paging_app: PagingApp) -> None:
    for kind, address in (("webhook", "http://2130706433/hook"), ("apprise", "json://0x7f.1/hook")):
        config = f"""\
users:
  - name: Mallory
    handle: mallory
    email: mallory@example.com
    contact_methods:
      - {{type: {kind}, address: '{address}'}}
"""
        with pytest.raises(ValidationFailed) as refused:
            apply_config(paging_app, config)
        assert refused.value.details[0]["field"] == "users[0].contact_methods[0].address"
        assert "127.0.0.1 is an internal address" in refused.value.message


def test_apprise_mail_to_an_internal_smtp_server_is_refused_as_it_connects() -> None:
    with smtp_sink() as sink:
        url = f"mailto://{sink.host}:{sink.port}?from=firebell@example.com&to=carol@example.com"
        with pytest.raises(PermanentDeliveryError, match=r"refused to call 127\.0\.0\.1"):
            AppriseChannel(OutboundPolicy()).send(url, PAGE)
        assert sink.mails == []
        AppriseChannel(OutboundPolicy.parse("127.0.0.1")).send(url, PAGE)
        wait_for(lambda: len(sink.mails) == 1, what="the allowed mail")


@contextmanager
def listeners() -> Iterator[tuple[int, int, list[bytes]]]:
    """A TCP and a UDP listener on loopback, and what either received (connections count too)."""
    import socket

    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    tcp.settimeout(0.2)
    udp.settimeout(0.2)
    got: list[bytes] = []
    try:
        yield tcp.getsockname()[1], udp.getsockname()[1], got
        with contextlib.suppress(OSError):
            conn, _ = tcp.accept()
            got.append(b"tcp connection")
            conn.close()
        with contextlib.suppress(OSError):
            got.append(udp.recv(4096))
    finally:
        tcp.close()
        udp.close()


def test_apprise_schemes_with_their_own_sockets_are_refused_and_reach_nothing() -> None:
    """irc://, rsyslog:// and the like open sockets the send guard cannot see."""
    with listeners() as (tcp, udp, got):
        for url in (f"irc://localhost:{tcp}/%23ops", f"ircs://localhost:{tcp}/%23ops", f"rsyslog://localhost:{udp}"):
            with pytest.raises(PermanentDeliveryError, match="outbound rules cannot check"):
                AppriseChannel(OutboundPolicy()).send(url, PAGE)
    assert got == []


def test_saving_an_apprise_scheme_with_its_own_sockets_is_refused_naming_the_field(paging_app: PagingApp) -> None:
    config = """\
users:
  - name: Mallory
    handle: mallory
    email: mallory@example.com
    contact_methods:
      - {type: apprise, address: 'rsyslog://syslog.example.com'}
"""
    with pytest.raises(ValidationFailed) as refused:
        apply_config(paging_app, config)
    assert refused.value.details[0]["field"] == "users[0].contact_methods[0].address"
    assert "rsyslog:// notifications" in refused.value.message
