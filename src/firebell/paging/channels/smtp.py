"""Email over SMTP (the standard library's client), with STARTTLS or TLS and login when configured."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from firebell.paging.messages import Notice, plain_text, subject
from firebell.paging.ports import PermanentDeliveryError, RetryableDeliveryError


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
        message = EmailMessage()
        try:
            message["From"] = self.config.sender
            message["To"] = address
            message["Subject"] = subject(notice)
            message["Message-ID"] = make_msgid(domain="firebell")
            message["X-Firebell-Idempotency-Key"] = notice.idempotency_key
        except ValueError as exc:  # an address or header no retry will mend
            raise PermanentDeliveryError(f"cannot write this email: {exc}") from exc
        message.set_content(plain_text(notice))
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
