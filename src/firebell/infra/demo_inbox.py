"""The demo's built-in inbox: a real SMTP server (aiosmtpd) inside the server process that keeps the
last messages it receives, so the demo's email pages are delivered and can be read at /demo/inbox.

The server runs on its own thread and event loop (aiosmtpd's Controller), never on the web server's;
the web page only reads a copy of the kept messages. It listens on 127.0.0.1 only, keeps at most
`max_messages` (the oldest go first) and refuses a message over `max_bytes`.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Received:
    at: datetime
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str


class Inbox:
    """The kept messages, newest first; safe to use from several threads."""

    def __init__(self, *, max_messages: int, max_bytes: int, now: Callable[[], datetime]) -> None:
        self.max_bytes = max_bytes
        self._now = now
        self._kept: deque[Received] = deque(maxlen=max_messages)
        self._lock = threading.Lock()

    def take(self, sender: str, recipients: list[str], content: bytes) -> str:
        """Keep one message; the SMTP reply."""
        if len(content) > self.max_bytes:
            return f"552 message over {self.max_bytes} bytes"
        parsed: EmailMessage = message_from_bytes(content, policy=default)
        part = parsed.get_body(preferencelist=("plain", "html"))
        try:
            body = part.get_content() if part is not None else ""
        except (LookupError, ValueError):
            body = ""
        received = Received(
            at=self._now(),
            sender=sender,
            to=tuple(recipients),
            subject=str(parsed.get("subject", "")),
            body=str(body).strip(),
        )
        with self._lock:
            self._kept.appendleft(received)
        return "250 OK"

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._kept)


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        return self.inbox.take(str(envelope.mail_from or ""), [str(r) for r in envelope.rcpt_tos], content)


class InboxServer:
    """The SMTP server in front of an inbox: start() and stop() from the app's lifespan."""

    def __init__(self, inbox: Inbox, port: int) -> None:
        self.inbox = inbox
        self.port = port
        kwargs: dict[str, Any] = {"data_size_limit": inbox.max_bytes}
        self._controller = Controller(_Handler(inbox), hostname=HOST, port=port, ready_timeout=10, **kwargs)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def free_port() -> int:
    """A port nobody listens on at 127.0.0.1 now (the inbox takes it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
