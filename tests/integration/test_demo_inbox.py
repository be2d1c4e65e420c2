"""The demo's built-in inbox: a real SMTP server that keeps the last messages, newest first, and
refuses one over its size bound."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from firebell.infra.demo_inbox import Inbox, InboxServer, free_port
from firebell.kernel.clock import ManualClock


def _message(n: int, body: str = "") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "firebell@localhost"
    message["To"] = f"person{n}@firebell.local"
    message["Subject"] = f"page {n}"
    message.set_content(body or f"you are paged ({n})")
    return message


@pytest.fixture
def running() -> Iterator[InboxServer]:
    clock = ManualClock(datetime(2026, 12, 8, 3, 0, tzinfo=UTC))
    server = InboxServer(Inbox(max_messages=3, max_bytes=4096, now=clock.now), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_keeps_the_newest_messages_up_to_its_bound(running: InboxServer) -> None:
    with smtplib.SMTP("127.0.0.1", running.port, timeout=10) as smtp:
        for n in range(5):
            smtp.send_message(_message(n))
    kept = running.inbox.messages()
    assert [m.subject for m in kept] == ["page 4", "page 3", "page 2"]
    assert kept[0].to == ("person4@firebell.local",)
    assert kept[0].body == "you are paged (4)"
    assert kept[0].at == datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


def test_refuses_a_message_over_its_size(running: InboxServer) -> None:
    with smtplib.SMTP("127.0.0.1", running.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPResponseException) as refused:
            smtp.send_message(_message(1, "x" * 10_000))
        assert refused.value.smtp_code == 552
    assert running.inbox.messages() == []


def test_the_size_bound_holds_without_the_server() -> None:
    inbox = Inbox(max_messages=2, max_bytes=1024, now=lambda: datetime(2026, 12, 8, tzinfo=UTC))
    assert inbox.take("a@x", ["b@x"], b"Subject: big\r\n\r\n" + b"x" * 2000).startswith("552")
    assert inbox.take("a@x", ["b@x"], b"Subject: small\r\n\r\nhello\r\n") == "250 OK"
    assert [(m.subject, m.body) for m in inbox.messages()] == [("small", "hello")]


def test_stops_and_frees_its_port() -> None:
    server = InboxServer(Inbox(max_messages=1, max_bytes=1024, now=lambda: datetime.now(UTC)), free_port())
    server.start()
    with smtplib.SMTP("127.0.0.1", server.port, timeout=5) as smtp:
        assert smtp.noop()[0] == 250
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP("127.0.0.1", server.port, timeout=5)
