"""The pure parts of sending: a receiver's Retry-After, the wait it makes, where a notification goes
(for the per-destination cap) and the email's idempotency header."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta

import pytest

from firebell.oncall.notification_rules import RetryPolicy
from firebell.paging.channels.smtp import _POLICY, header_key
from firebell.paging.model import AttemptOutcome, DeliveryStatus, after_attempt, retry_after
from firebell.paging.runner import destination

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RETRY = RetryPolicy(attempts=5, base=timedelta(seconds=5), cap=timedelta(seconds=60))


@pytest.mark.parametrize(
    ("value", "wait"),
    [
        ("30", timedelta(seconds=30)),
        (" 7 ", timedelta(seconds=7)),
        ("0", timedelta(0)),
        ("Mon, 02 Mar 2026 09:00:45 GMT", timedelta(seconds=45)),
        ("Mon, 02 Mar 2026 08:59:00 GMT", timedelta(0)),  # a date gone by: no wait
        ("", None),
        ("soon", None),
        ("-5", None),
        ("99999999", timedelta(days=1)),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str, wait: timedelta | None) -> None:
    assert retry_after(value, NOW) == wait


def test_a_retry_comes_no_sooner_than_the_receiver_asked() -> None:
    verdict = after_attempt(RETRY, 1, sent=False, permanent=False, now=NOW, draw=0.5, asked_wait=timedelta(seconds=30))
    assert verdict.status is DeliveryStatus.PENDING
    assert verdict.outcome is AttemptOutcome.RETRY
    assert verdict.retry_at == NOW + timedelta(seconds=30)


def test_a_shorter_ask_than_the_backoff_keeps_the_backoff() -> None:
    asked = after_attempt(RETRY, 3, sent=False, permanent=False, now=NOW, draw=0.5, asked_wait=timedelta(seconds=1))
    plain = after_attempt(RETRY, 3, sent=False, permanent=False, now=NOW, draw=0.5)
    assert asked.retry_at == plain.retry_at == NOW + timedelta(seconds=20)


def test_a_long_ask_is_capped_by_the_longest_retry_wait() -> None:
    verdict = after_attempt(RETRY, 1, sent=False, permanent=False, now=NOW, draw=0.5, asked_wait=timedelta(hours=2))
    assert verdict.retry_at == NOW + RETRY.cap


def test_an_ask_does_not_revive_a_notification_out_of_attempts_or_refused() -> None:
    last = after_attempt(RETRY, 5, sent=False, permanent=False, now=NOW, draw=0.5, asked_wait=timedelta(seconds=9))
    refused = after_attempt(RETRY, 1, sent=False, permanent=True, now=NOW, draw=0.5, asked_wait=timedelta(seconds=9))
    assert last.status is refused.status is DeliveryStatus.FAILED
    assert last.retry_at is refused.retry_at is None


@pytest.mark.parametrize(
    ("channel", "address", "where"),
    [
        ("webhook", "http://Hooks.Example.com:8080/a/b?x=1", "http://hooks.example.com:8080"),
        ("webhook", "https://hooks.example.com/other", "https://hooks.example.com"),
        ("slack", "https://hooks.slack.com/services/T/B/X", "https://hooks.slack.com"),
        ("email", "alice@example.com", "email"),  # every email goes through the one relay
        ("slack_api", "#incidents", "slack_api"),
        ("sms", "+15550000000", "sms"),
        ("webhook", "not a url", "webhook"),
    ],
)
def test_where_a_notification_goes(channel: str, address: str, where: str) -> None:
    assert destination(channel, address) == where


def test_the_email_idempotency_key_is_one_plain_header_line() -> None:
    key = "01JABCDEFGHJKMNPQRSTVWXYZ0:12:01JABCDEFGHJKMNPQRSTVWXYZ0:01JABCDEFGHJKMNPQRSTVWXYZ0"
    message = email.message.EmailMessage(policy=_POLICY)
    message["Subject"] = "é" * 120  # other headers still fold and encode as usual
    message["X-Firebell-Idempotency-Key"] = header_key(key)
    message.set_content("page")
    raw = message.as_bytes()
    assert f"X-Firebell-Idempotency-Key: {key}\n".encode() in raw
    assert email.message_from_bytes(raw)["X-Firebell-Idempotency-Key"] == key
    assert b"Subject: =?utf-8?" in raw


def test_a_key_that_is_not_plain_ascii_becomes_its_digest() -> None:
    odd = header_key("incident:é\r\nBcc: someone")
    assert len(odd) == 64
    assert odd.isascii()
    assert odd.isalnum()
    assert header_key("a" * 201) != "a" * 201
