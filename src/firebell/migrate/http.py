"""Reading a vendor's REST API for a migration: JSON GETs with bounded retries.

A 429 is waited out as its headers ask (the first of `wait_headers` that holds a number of seconds,
at most `max_wait`) and a 5xx is retried with backoff, `retries` times; a refused or dropped
connection is tried again twice. Every wait goes through `sleep` and is kept in `waits`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from firebell.migrate.common import Doc

TRANSPORT_RETRIES = 2  # a refused or dropped connection: tried again this often


class ReadFailed(Exception):
    """A call that did not answer with data, after the retries it was worth."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class JsonReader:
    client: httpx.Client
    sleep: Callable[[float], None] = time.sleep
    retries: int = 5
    max_wait: float = 60.0
    waits: list[float] = field(default_factory=list)  # every wait taken, in seconds

    wait_headers: ClassVar[tuple[str, ...]] = ("retry-after",)

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, params: Any = None) -> dict[str, Any]:
        for attempt in range(self.retries + 1):
            try:
                response = self.client.get(path, params=params)
            except httpx.TransportError as exc:
                if attempt >= min(self.retries, TRANSPORT_RETRIES):  # a wrong address fails soon
                    raise ReadFailed(f"GET {path}: {exc or type(exc).__name__}") from None
                self._wait(2.0**attempt)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == self.retries:
                    raise ReadFailed(
                        f"GET {path}: {_problem(response)} after {self.retries} retries", response.status_code
                    )
                self._wait(self._asked_wait(response) if response.status_code == 429 else 2.0**attempt)
                continue
            if not response.is_success:
                raise ReadFailed(f"GET {path}: {_problem(response)}", response.status_code)
            try:
                body = response.json()
            except ValueError:
                raise ReadFailed(f"GET {path}: the answer is not JSON", response.status_code) from None
            if not isinstance(body, dict):
                raise ReadFailed(f"GET {path}: the answer is not a JSON object", response.status_code)
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, seconds: float) -> None:
        seconds = min(max(seconds, 0.0), self.max_wait)
        self.waits.append(seconds)
        self.sleep(seconds)

    def _asked_wait(self, response: httpx.Response) -> float:
        for header in self.wait_headers:
            value = response.headers.get(header, "").strip()
            if value.replace(".", "", 1).isdigit():
                return float(value)
        return 1.0


def part(value: object) -> str:
    """A path segment, quoted."""
    return quote(str(value or ""), safe="")


def unique(items: Iterable[dict[str, Any]]) -> list[Doc]:
    """Items by id, the first of each (a page that shifted while being read repeats one)."""
    seen: set[str] = set()
    found: list[Doc] = []
    for item in items:
        key = str(item.get("id", ""))
        if key and key in seen:
            continue
        seen.add(key)
        found.append(item)
    return found


def _problem(response: httpx.Response) -> str:
    """`HTTP 404 (message)`: the message as Opsgenie ({message}), PagerDuty ({error: {message}}) or
    Grafana OnCall ({detail}) gives it."""
    try:
        body = response.json()
        message = body.get("message") or (body.get("error") or {}).get("message") or body.get("detail")
    except (ValueError, AttributeError):
        message = None
    return f"HTTP {response.status_code}" + (f" ({message})" if message else "")
