"""Forwarding to the tool Firebell replaces, during a parallel run: pure rules, no I/O.

An integration with `forward_to` set has every body it accepts sent on, as it was received, to that
URL: the same method, content type and body, the path after the intake endpoint (an Opsgenie
`/{identifier}/acknowledge`) and the header the old tool authenticates with (Opsgenie's GenieKey). The
forward is queued in the transaction that stores the alert, and sent by the engine with retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from firebell.kernel.errors import ValidationFailed

MAX_URL = 2000
# Retried with doubling pauses up to BACKOFF_CAP, for at most GIVE_UP_AFTER after it was queued.
BACKOFF_FIRST = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=24)
# An answer of these statuses is a passing trouble of the receiver: the forward is tried again.
RETRYABLE_STATUS = frozenset({408, 425, 429})


class ForwardOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # failed this time, to be tried again
    FAILED = "failed"  # failed for good


@dataclass(frozen=True, slots=True)
class ForwardRequest:
    """What of an accepted request is sent on: method, path after the endpoint, content type, auth."""

    method: str = "POST"
    suffix: str = ""  # with its query string, e.g. "/a1/acknowledge?identifierType=alias"
    content_type: str = "application/json"
    authorization: str = ""  # kept only where the old tool authenticates by header (Opsgenie)

    def headers(self) -> dict[str, str]:
        kept = {"content-type": self.content_type}
        if self.authorization:
            kept["authorization"] = self.authorization
        return kept


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: ForwardOutcome
    due_at: datetime | None  # when to try again (RETRY only)


def checked_forward_to(url: str | None, field: str = "forward_to") -> str | None:
    """The forward target as stored (None: forwarding off), or ValidationFailed naming `field`."""
    if url is None or not url.strip():
        return None
    text = url.strip()
    if len(text) > MAX_URL or any(c.isspace() for c in text):
        raise ValidationFailed.field(field, f"a URL of at most {MAX_URL} characters without spaces")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        raise ValidationFailed.field(field, f"not a usable URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed.field(field, f"the http(s) URL of the old tool's endpoint, not {text!r}")
    if parts.fragment or parts.username or parts.password:
        raise ValidationFailed.field(field, "a URL without a fragment or user:password@ (send keys as headers)")
    return text


def target_url(forward_to: str, suffix: str) -> str:
    """`forward_to` with the request's path suffix after its path, and the request's query after its own."""
    if not suffix:
        return forward_to
    path, _, query = suffix.partition("?")
    parts = urlsplit(forward_to)
    joined = "&".join(q for q in (parts.query, query) if q)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path if path else parts.path, query=joined))


def outcome_of(status: int | None) -> ForwardOutcome:
    """What an answer (None: no answer, the connection failed or timed out) means for the forward."""
    if status is None or status in RETRYABLE_STATUS or status >= 500:
        return ForwardOutcome.RETRY
    if 200 <= status < 300:
        return ForwardOutcome.SENT
    return ForwardOutcome.FAILED


def backoff(attempts: int) -> timedelta:
    """The pause after the `attempts`-th failed attempt: doubling from BACKOFF_FIRST to BACKOFF_CAP."""
    pause: timedelta = BACKOFF_FIRST * (2 ** min(max(attempts - 1, 0), 20))
    return min(pause, BACKOFF_CAP)


def after_attempt(
    outcome: ForwardOutcome, *, attempts: int, queued_at: datetime, now: datetime, asked: timedelta | None = None
) -> Verdict:
    """What becomes of a forward after its `attempts`-th attempt ended in `outcome` at `now`; `asked`
    is a wait the receiver asked for (Retry-After), honoured up to BACKOFF_CAP."""
    if outcome is not ForwardOutcome.RETRY:
        return Verdict(outcome, None)
    pause = max(backoff(attempts), min(asked, BACKOFF_CAP) if asked else timedelta(0))
    if now + pause - queued_at > GIVE_UP_AFTER:
        return Verdict(ForwardOutcome.FAILED, None)
    return Verdict(ForwardOutcome.RETRY, now + pause)
