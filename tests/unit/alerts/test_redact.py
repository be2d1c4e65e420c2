"""Integration keys are taken out of stored payloads; the rest stays as received."""

from __future__ import annotations

from firebell.alerts.redact import redact_keys


def test_key_members_are_replaced_where_they_stand() -> None:
    body = '{"routing_key":"R01abc","event_action":"trigger","payload":{"custom_details":{"ApiKey" : "a\\"b"}}}'
    assert redact_keys(body) == (
        '{"routing_key":"[redacted]","event_action":"trigger","payload":{"custom_details":{"ApiKey" : "[redacted]"}}}'
    )


def test_numbers_lists_and_spellings_are_covered_and_other_members_kept() -> None:
    body = '{"service_key": 12345, "integrationKey": "z", "integration_keys": ["a", "b"], "dedup_key": "keep"}'
    assert redact_keys(body) == (
        '{"service_key": "[redacted]", "integrationKey": "[redacted]", "integration_keys": "[redacted]", '
        '"dedup_key": "keep"}'
    )


def test_text_that_is_not_json_is_left_alone() -> None:
    assert redact_keys("routing_key=abc") == "routing_key=abc"


def test_names_holding_a_key_word_are_covered_wherever_it_stands() -> None:
    names = (
        "api_token",
        "client_secret",
        "x-api-key",
        "bot_token",
        "private_key",
        "access_key",
        "AWSAccessKeyId",
        "db_passwd",
        "Password",
        "aws_credentials",
        "Proxy-Authorization",
        "PD_ROUTING_KEY",
        "slackWebhookSecret",
    )
    for name in names:
        assert redact_keys(f'{{"{name}": "s3cr3t", "summary": "disk full"}}') == (
            f'{{"{name}": "[redacted]", "summary": "disk full"}}'
        ), name


def test_alert_labels_that_merely_say_key_are_kept() -> None:
    body = (
        '{"dedup_key": "d1", "alias": "q", "group_key": "{}:{alertname=\\"x\\"}", "key": "k",'
        ' "groupKey": "g", "monkey": "m", "keyboard": "kb", "text": "the token expired"}'
    )
    assert redact_keys(body) == body
