"""Token buckets per key: a steady rate with room for a burst. Pure: the caller passes the time.

Each key's bucket holds up to `burst` tokens and refills at `rate` tokens a second; a request takes
one. When the bucket is empty the answer is how many seconds until a token is back, which becomes
the 429's Retry-After. Buckets idle long enough to be full again are forgotten, so a flood of
distinct keys cannot grow memory without bound.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, now: float) -> float:
        """Take a token for `key` at monotonic time `now`: 0.0 when allowed, else seconds to wait."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._forget_full(now)
                bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            else:
                bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
                bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        full_after = self.burst / self.rate
        stale = [k for k, b in self._buckets.items() if now - b.at >= full_after]
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()  # every key active at once: start them all afresh rather than grow


def retry_after_header(seconds: float) -> str:
    """Whole seconds, at least 1, as HTTP's Retry-After wants."""
    return str(max(1, math.ceil(seconds)))


class FailureBackoff:
    """A growing delay per key after failures: the first `free` failures cost nothing, then each one
    doubles the wait before the next try, up to `max_delay` seconds. Pure: the caller passes the time.

    A slow-down, never a lockout: the wait is bounded, a success forgets the key, and keys idle for
    `max_delay` are dropped first when the table is full.
    """

    def __init__(self, free: int, max_delay: float, *, max_keys: int = 100_000) -> None:
        self.free = max(0, free)
        self.max_delay = max_delay
        self.max_keys = max_keys
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may be tried again at monotonic time `now` (0.0: now)."""
        if self.max_delay <= 0:
            return 0.0
        with self._lock:
            count, at = self._failures.get(key, (0, now))
        return max(0.0, at + self.delay(count) - now)

    def delay(self, failures: int) -> float:
        """The wait after `failures` failures in a row."""
        over = failures - self.free
        return 0.0 if over <= 0 else min(self.max_delay, 2.0 ** min(over - 1, 32))

    def failed(self, key: str, now: float) -> None:
        if self.max_delay <= 0:
            return
        with self._lock:
            if key not in self._failures and len(self._failures) >= self.max_keys:
                stale = [k for k, (_, at) in self._failures.items() if now - at >= self.max_delay]
                for each in stale:
                    del self._failures[each]
                if len(self._failures) >= self.max_keys:
                    self._failures.clear()
            count, _ = self._failures.get(key, (0, now))
            self._failures[key] = (count + 1, now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
