"""Slack incoming webhooks (Block Kit) and the generic outbound webhook, signed with HMAC-SHA256."""

from __future__ import annotations

import time

import httpx
import orjson

from firebell.paging.channels.guard import BlockedAddress
from firebell.paging.links import webhook_signature
from firebell.paging.messages import Notice, slack_payload, webhook_payload
from firebell.paging.ports import PermanentDeliveryError, RetryableDeliveryError


def _post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        response = client.post(url, content=body, headers={"content-type": "application/json", **headers})
    except BlockedAddress as exc:
        raise PermanentDeliveryError(str(exc)) from exc
    except httpx.InvalidURL as exc:
        raise PermanentDeliveryError(f"not a usable URL: {exc}") from exc
    except httpx.UnsupportedProtocol as exc:
        raise PermanentDeliveryError(f"not an http(s) URL: {exc}") from exc
    except httpx.HTTPError as exc:
        raise RetryableDeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if response.is_success:
        return
    error = f"HTTP {response.status_code}: {response.text[:200]}"
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        asked = response.headers.get("retry-after", "") if response.status_code in (429, 503) else ""
        raise RetryableDeliveryError(error, retry_after=asked)
    raise PermanentDeliveryError(error)


class SlackChannel:
    """The address is a Slack incoming-webhook URL."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def send(self, address: str, notice: Notice) -> None:
        _post(self.client, address, orjson.dumps(slack_payload(notice)), {})


class WebhookChannel:
    """POSTs the page as JSON; the receiver checks X-Firebell-Signature over `timestamp.body`."""

    def __init__(self, client: httpx.Client, secret: bytes) -> None:
        self.client = client
        self.secret = secret

    def send(self, address: str, notice: Notice) -> None:
        body = orjson.dumps(webhook_payload(notice))
        timestamp = int(time.time())
        headers = {
            "x-firebell-timestamp": str(timestamp),
            "x-firebell-signature": webhook_signature(self.secret, timestamp, body),
            "idempotency-key": notice.idempotency_key,
        }
        _post(self.client, address, body, headers)
