"""Steady alert load for the fault tests: threads sending unique PagerDuty events, keeping every
answer, so a test can say exactly what was sent, answered 2xx, refused, or lost in transit."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa


@dataclass
class Tally:
    sent: int = 0
    statuses: Counter[int | str] = field(default_factory=Counter)
    acked: list[str] = field(default_factory=list)  # dedup keys answered 2xx
    times: list[tuple[float, int | str]] = field(default_factory=list)  # (monotonic, status)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def first_after(self, when: float, status: int) -> float | None:
        with self.lock:
            return next((t for t, s in self.times if t > when and s == status), None)


class Load:
    """`threads` senders posting to `url()` (read per request, so a restarted server is found)."""

    def __init__(
        self,
        url: Callable[[], str],
        key: str,
        *,
        threads: int = 8,
        details_bytes: int = 0,
        tally: Tally | None = None,
        timeout: float = 10,
    ) -> None:
        self.url = url
        self.key = key
        self.details = "x" * details_bytes
        self.tally = tally or Tally()
        self.timeout = timeout
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, daemon=True) for _ in range(threads)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _send(self) -> None:
        import time

        with httpx.Client(timeout=self.timeout) as client:
            while not self._stop.is_set():
                dedup = uuid.uuid4().hex
                event: dict[str, Any] = {
                    "routing_key": self.key,
                    "event_action": "trigger",
                    "dedup_key": dedup,
                    "payload": {"summary": f"load {dedup}", "source": "load", "severity": "error"},
                }
                if self.details:
                    event["payload"]["custom_details"] = {"filler": self.details}
                with self.tally.lock:
                    self.tally.sent += 1
                status: int | str
                try:
                    status = client.post(f"{self.url()}/v2/enqueue", json=event).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                    self._stop.wait(0.05)
                with self.tally.lock:
                    self.tally.statuses[status] += 1
                    self.tally.times.append((time.monotonic(), status))
                    if status == 202:
                        self.tally.acked.append(dedup)


def stored(database_url: str) -> Counter[str]:
    """How many alert rows each dedup key has."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT dedup_key, count(*) FROM alerts GROUP BY dedup_key")).all()
        return Counter({str(key): int(n) for key, n in rows})
    finally:
        engine.dispose()


def verdict(tally: Tally, found: Counter[str]) -> dict[str, int]:
    """The counts every fault test reports and checks."""
    acked = set(tally.acked)
    return {
        "sent": tally.sent,
        "2xx": len(tally.acked),
        "stored": sum(1 for key in acked if found.get(key)),
        "missing": sum(1 for key in acked if not found.get(key)),
        "duplicates": sum(n - 1 for n in found.values() if n > 1),
    }
