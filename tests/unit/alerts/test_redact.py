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
