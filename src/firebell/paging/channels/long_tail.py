"""Every other service (Microsoft Teams, Discord, Telegram, ntfy, Pushover, SMS gateways) through
apprise: the address is an apprise URL, such as `ntfy://ntfy.sh/topic` or `msteams://...`."""

from __future__ import annotations

import apprise
import httpx

from firebell.kernel.netpolicy import OutboundPolicy, scheme_refusal
from firebell.paging.channels.guard import BlockedAddress, check_url, guarded_connections
from firebell.paging.messages import Notice, plain_text, subject
from firebell.paging.ports import PermanentDeliveryError, RetryableDeliveryError

# apprise schemes whose host part is the server the message goes to (self-hosted services and
# plain HTTP): these are checked against the outbound rules before apprise is called. Every
# delivery is also checked as apprise connects, whatever the scheme, redirects included. In the others (tgram://, discord://,
# slack://...) the "host" is a bot token or an id and the server is the vendor's own.
HOSTED = frozenset(
    {
        "json",
        "jsons",
        "xml",
        "xmls",
        "form",
        "forms",
        "ntfy",
        "ntfys",
        "gotify",
        "gotifys",
        "mmost",
        "mmosts",
        "rocket",
        "rockets",
        "matrix",
        "matrixs",
        "apprise",
        "apprises",
        "mqtt",
        "mqtts",
        "ncloud",
        "nclouds",
    }
)


class AppriseChannel:
    def __init__(self, policy: OutboundPolicy | None = None) -> None:
        self.policy = policy  # None: the address is the operator's (the SMS gateway), not checked

    def send(self, address: str, notice: Notice) -> None:
        unchecked = scheme_refusal(address, self.policy) if self.policy is not None else None
        if unchecked is not None:
            raise PermanentDeliveryError(unchecked)
        if self.policy is not None and address.split("://", 1)[0].lower() in HOSTED:
            try:
                check_url(address, self.policy)
            except BlockedAddress as exc:
                raise PermanentDeliveryError(str(exc)) from exc
            except (httpx.HTTPError, ValueError) as exc:
                raise RetryableDeliveryError(str(exc)) from exc
        sender = apprise.Apprise()
        if not sender.add(address):
            raise PermanentDeliveryError("not a notification URL apprise understands")
        if self.policy is None:
            delivered = sender.notify(body=plain_text(notice), title=subject(notice))
        else:
            with guarded_connections(self.policy) as refused:
                delivered = sender.notify(body=plain_text(notice), title=subject(notice))
            if refused:
                raise PermanentDeliveryError(refused[0])
        if not delivered:
            raise RetryableDeliveryError("the service did not accept the notification")


class SmsChannel:
    """The address is a phone number, put into the operator's SMS gateway URL template
    (FIREBELL_NOTIFY__SMS_URL, such as `twilio://SID:TOKEN@+15550000000/{number}`)."""

    def __init__(self, url_template: str) -> None:
        self.url_template = url_template

    def send(self, address: str, notice: Notice) -> None:
        if not self.url_template:
            raise PermanentDeliveryError("no SMS gateway is configured (FIREBELL_NOTIFY__SMS_URL)")
        AppriseChannel().send(self.url_template.replace("{number}", address.strip()), notice)
