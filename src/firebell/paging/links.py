"""Signed, expiring acknowledge links, and the signatures of inbound Slack and outbound webhooks.

Pure: the key and the instant are passed in. A link token is `payload.signature`, both base64url;
the payload names the incident, the person and the expiry, so a link works for its page only
and stops working when it expires. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SLACK_MAX_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class AckGrant:
    incident_id: str
    user_id: str
    expires_at: datetime


class BadLink(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, b"ack-link:" + message, hashlib.sha256).digest()


def sign_ack(key: bytes, grant: AckGrant) -> str:
    payload = json.dumps(
        {"i": grant.incident_id, "u": grant.user_id, "e": int(grant.expires_at.timestamp())}, separators=(",", ":")
    ).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def verify_ack(key: bytes, token: str, now: datetime) -> AckGrant:
    """The grant a token carries; `BadLink` if it was not signed with `key` or has expired."""
    try:
        payload_text, signature_text = token.split(".", 1)
        payload = _unb64(payload_text)
        signature = _unb64(signature_text)
    except ValueError as exc:
        raise BadLink("this link is damaged: copy the whole link from the message") from exc
    if not hmac.compare_digest(signature, _mac(key, payload)):
        raise BadLink("this link was not issued by this Firebell")
    try:
        data = json.loads(payload)
        grant = AckGrant(str(data["i"]), str(data["u"]), datetime.fromtimestamp(int(data["e"]), UTC))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadLink("this link is damaged") from exc
    if now >= grant.expires_at:
        raise BadLink("this link has expired: acknowledge from the incident page instead")
    return grant


def webhook_signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` over `timestamp.body`, sent as X-Firebell-Signature with X-Firebell-Timestamp."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def slack_signature(signing_secret: bytes, timestamp: str, body: bytes) -> str:
    """Slack's request signature: `v0=` and HMAC-SHA256 of `v0:timestamp:body`."""
    digest = hmac.new(signing_secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def slack_request_valid(signing_secret: bytes, timestamp: str, body: bytes, signature: str, now: datetime) -> bool:
    """Whether a request carries Slack's signature and is recent (replays are refused)."""
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        return False
    if abs(now - sent) > SLACK_MAX_SKEW:
        return False
    expected = slack_signature(signing_secret, timestamp, body).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))
