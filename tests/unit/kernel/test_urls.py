"""URLs shown without the credentials they carry."""

from __future__ import annotations

import pytest

from firebell.kernel.urls import masked_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@host.example/hook", "https://***@host.example/hook"),
        ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/services/***"),
        ("https://h.example/x?token=abc&b=&c", "https://h.example/x?token=***&b=&c"),
        ("https://discord.com/api/webhooks/123/tok", "https://discord.com/api/***"),
        (
            "https://acme.webhook.office.com/webhookb2/abc/IncomingWebhook/def",
            "https://acme.webhook.office.com/webhookb2/***",
        ),
        ("tgram://123456789:AAFake/-100", "tgram://***/***"),
        ("https://api.telegram.org/bot123456789:AAHfake/sendMessage", "https://api.telegram.org/***"),
        ("https://api.telegram.org/file/bot123456789:AAHfake/doc.pdf", "https://api.telegram.org/***"),
        ("json://user:pw@ntfy.example:8080/topic", "json://***@ntfy.example:8080/***"),
        ("ntfys://ntfy.sh/secret-topic", "ntfys://ntfy.sh/***"),
        ("discord://4174216298/tok", "discord://***/***"),
        ("https://[::1]:8443/a?k=v#frag", "https://[::1]:8443/a?k=***#***"),
        ("https://events.pagerduty.com/v2/enqueue", "https://events.pagerduty.com/v2/enqueue"),
        ("alice@example.com", "alice@example.com"),
        ("see https://x.example/?a=b", "see https://x.example/?a=b"),
    ],
)
def test_credentials_are_masked_and_the_rest_kept(url: str, shown: str) -> None:
    assert masked_url(url) == shown
