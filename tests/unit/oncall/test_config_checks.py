"""The on-call file refuses contact methods that could never deliver, and levels that never wait."""

from __future__ import annotations

import pytest

from firebell.kernel.errors import ValidationFailed
from firebell.oncall.config_file import load

USER = "users:\n  - {{name: A, handle: a, email: a@example.com, contact_methods: [{method}]}}\n"


@pytest.mark.parametrize(
    ("method", "reason"),
    [
        ("{type: email, address: nope}", "not an email address"),
        ("{type: slack, address: U01ALICE}", "the http(s) URL to post to"),
        ("{type: webhook, address: 'ftp://x'}", "the http(s) URL to post to"),
        ("{type: apprise, address: nope}", "not an apprise URL"),
        ("{type: sms, address: call-me}", "not a phone number"),
    ],
)
def test_undeliverable_contact_methods_are_refused_with_line_and_field(method: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        load(USER.format(method=method), "f.yaml")
    assert refused.value.message.startswith("f.yaml:2: users[0].contact_methods[0]")
    assert reason in refused.value.message


@pytest.mark.parametrize(
    "method",
    [
        "{type: email, address: a@example.com}",
        "{type: slack, address: 'https://hooks.slack.com/services/T/B/x', delay: 1m}",
        "{type: apprise, address: 'ntfy://ntfy.sh/oncall'}",
        "{type: sms, address: '+1 555 123 4567'}",
    ],
)
def test_deliverable_contact_methods_pass(method: str) -> None:
    config, _tree = load(USER.format(method=method))
    assert len(config.users[0].contact_methods) == 1


def test_a_level_with_no_timeout_is_refused() -> None:
    text = "escalation_policies:\n  - name: p\n    levels:\n      - {targets: [a], timeout: 0m}\n"
    with pytest.raises(ValidationFailed, match="timeout above zero"):
        load(text)
