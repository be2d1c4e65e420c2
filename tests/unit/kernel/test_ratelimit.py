"""Token buckets: a burst, then the steady rate, per key; the wait is the time to the next token."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firebell.kernel.ratelimit import FailureBackoff, RateLimiter, retry_after_header


def test_a_burst_then_the_rate_and_keys_apart() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", 0.0) == 0.5  # the next token is half a second away at 2 a second
    assert limiter.take("b", 0.0) == 0.0  # another key, its own bucket
    assert limiter.take("a", 0.5) == 0.0
    assert limiter.take("a", 0.5) == 0.5


def test_refused_requests_take_nothing_and_a_zero_rate_is_no_limit() -> None:
    limiter = RateLimiter(rate=1.0, burst=1)
    assert limiter.take("k", 10.0) == 0.0
    for _ in range(5):
        assert limiter.take("k", 10.0) == 1.0
    assert limiter.take("k", 11.0) == 0.0
    assert RateLimiter(rate=0, burst=1).take("k", 0.0) == 0.0


def test_idle_keys_are_forgotten_when_the_table_is_full() -> None:
    limiter = RateLimiter(rate=1.0, burst=2, max_keys=3)
    for i, key in enumerate("abc"):
        limiter.take(key, float(i))
    limiter.take("d", 10.0)  # a, b and c are full again by now: forgotten
    assert len(limiter._buckets) == 1


@given(
    rate=st.floats(0.5, 50),
    burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 2), min_size=1, max_size=200),
)
def test_never_more_than_the_burst_plus_the_rate_times_the_time(rate: float, burst: int, gaps: list[float]) -> None:
    limiter = RateLimiter(rate=rate, burst=burst)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        if limiter.take("k", now) == 0.0:
            allowed += 1
    assert allowed <= burst + rate * now + 1e-6


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert [retry_after_header(s) for s in (0.01, 1.0, 1.2)] == ["1", "1", "2"]


def test_failures_past_the_free_ones_double_the_wait_up_to_the_most() -> None:
    backoff = FailureBackoff(free=2, max_delay=8)
    waits = []
    for n in range(7):
        backoff.failed("k", now=100.0 * n)
        waits.append(backoff.wait("k", now=100.0 * n))
    assert waits == [0, 0, 1, 2, 4, 8, 8]
    assert backoff.wait("k", now=600.0 + 8) == 0.0  # a bounded slow-down, never a lockout
    assert backoff.wait("other", now=600.0) == 0.0
    backoff.succeeded("k")
    backoff.failed("k", now=700.0)
    assert backoff.wait("k", now=700.0) == 0.0  # a success starts the count again


def test_failure_backoff_forgets_idle_keys_before_growing_past_its_size() -> None:
    backoff = FailureBackoff(free=0, max_delay=5, max_keys=10)
    for n in range(10):
        backoff.failed(f"k{n}", now=0.0)
    backoff.failed("new", now=10.0)
    assert len(backoff._failures) == 1
    assert FailureBackoff(free=0, max_delay=0).wait("k", 0.0) == 0.0  # 0: off
