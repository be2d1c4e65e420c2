from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.oncall.notification_rules import (
    ContactKind,
    ContactMethod,
    NotificationRule,
    RetryPolicy,
    after_hours,
    planned,
)

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
EMAIL = ContactMethod(ContactKind.EMAIL, "ana@example.com")
SLACK = ContactMethod(ContactKind.SLACK, "U024BE7LH")
HOOK = ContactMethod(ContactKind.WEBHOOK, "https://hooks.example.com/ana")


def test_email_at_once_slack_after_a_minute_webhook_after_five() -> None:
    rules = (
        NotificationRule(HOOK, timedelta(minutes=5)),
        NotificationRule(EMAIL),
        NotificationRule(SLACK, timedelta(minutes=1)),
    )
    assert planned(rules, T0) == [
        (EMAIL, T0),
        (SLACK, T0 + timedelta(minutes=1)),
        (HOOK, T0 + timedelta(minutes=5)),
    ]


def test_retries_back_off_exponentially_up_to_the_cap_then_stop() -> None:
    policy = RetryPolicy(attempts=8, base=timedelta(seconds=5), cap=timedelta(seconds=60), jitter=0.0)
    waits = [policy.wait_before(n, 0.5) for n in range(2, 10)]
    assert waits[:6] == [timedelta(seconds=s) for s in (5, 10, 20, 40, 60, 60)]
    assert waits[6] is not None
    assert waits[7] is None  # attempt 9 of 8
    with pytest.raises(ValueError, match="retries count from 2"):
        policy.wait_before(1, 0.5)


@given(st.integers(2, 5), st.floats(0, 1, exclude_max=True))
def test_jitter_stays_within_its_band(attempt: int, draw: float) -> None:
    policy = RetryPolicy()
    nominal = min(policy.cap, policy.base * (1 << (attempt - 2)))
    wait = policy.wait_before(attempt, draw)
    assert wait is not None
    assert nominal * 0.8 <= wait <= nominal * 1.2


def test_after_hours_is_read_in_the_persons_own_zone() -> None:
    # 12:00 UTC on a Monday is 08:00 in New York (before hours) and 13:00 in London (working).
    assert after_hours(T0, "America/New_York")
    assert not after_hours(T0, "Europe/London")
    assert after_hours(datetime(2026, 5, 9, 12, tzinfo=UTC), "Europe/London")  # Saturday
