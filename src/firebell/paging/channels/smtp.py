"""Email over SMTP (the standard library's client), with STARTTLS or TLS and login when configured."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy, default
from email.utils import make_msgid
from typing import cast

from firebell.paging.messages import Notice, email_html, plain_text, subject
from firebell.paging.ports import PermanentDeliveryError, RetryableDeliveryError


class _PlainHeader(UnstructuredHeader):
    """A header written as it is, on one line (its value is checked to be plain ASCII)."""

    name: str

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("x-firebell-idempotency-key", cast("type[BaseHeader]", _PlainHeader))
_POLICY = default.clone(header_factory=_HEADERS)
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:._-")


def header_key(key: str) -> str:
    """The idempotency key as a header value: the key itself when it is plain ASCII of at most 200
    characters (every key Firebell makes is), otherwise its SHA-256, so it is never encoded."""
    if key and len(key) <= 200 and set(key) <= _KEY_CHARS:
        return key
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False
    tls: bool = False
    timeout: float = 10.0


class EmailChannel:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, address: str, notice: Notice) -> None:
        # The idempotency key stays one plain ASCII header value a receiver can compare as it is
        # (the default policy would fold it at 78 characters, as an encoded word).
        message = EmailMessage(policy=_POLICY)
        try:
            message["From"] = self.config.sender
            message["To"] = address
            message["Subject"] = subject(notice)
            message["Message-ID"] = make_msgid(domain="firebell")
            message["X-Firebell-Idempotency-Key"] = header_key(notice.idempotency_key)
        except ValueError as exc:  # an address or header no retry will mend
            raise PermanentDeliveryError(f"cannot write this email: {exc}") from exc
        message.set_content(plain_text(notice))
        rich = email_html(notice)
        if rich is not None:
            message.add_alternative(rich, subtype="html")
        try:
            with self._connect() as smtp:
                if self.config.username:
                    smtp.login(self.config.username, self.config.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"recipient refused: {exc.recipients}"
            raise (PermanentDeliveryError if all(c >= 500 for c in codes) else RetryableDeliveryError)(error) from exc
        except smtplib.SMTPResponseException as exc:
            said = exc.smtp_error
            error = f"SMTP {exc.smtp_code}: {said.decode(errors='replace') if isinstance(said, bytes) else said}"
            raise (PermanentDeliveryError if exc.smtp_code >= 500 else RetryableDeliveryError)(error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableDeliveryError(f"SMTP server {self.config.host}:{self.config.port}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.tls:
            return smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        return smtp
