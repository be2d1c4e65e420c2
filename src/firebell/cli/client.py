"""The responder CLI's HTTP client: one-line errors, JSON in and out."""

from __future__ import annotations

import time
from typing import Any

import httpx

RATE_LIMIT_RETRIES = 3


class ApiError(Exception):
    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.details = details or []  # the error body's details, e.g. [{"field": ..., "message": ...}]


class Api:
    def __init__(self, url: str, token: str | None) -> None:
        if not url:
            raise ApiError("no server URL: pass --url, set FIREBELL_URL or write it in the CLI settings file")
        if not token:
            raise ApiError(
                "no API token: pass --token, set FIREBELL_TOKEN or write it in the CLI settings file "
                "(see `firebell token create`)"
            )
        self.client = httpx.Client(base_url=url.rstrip("/"), headers={"authorization": f"Bearer {token}"}, timeout=30)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise ApiError(f"cannot reach {self.client.base_url}: {exc}") from exc
            wait = response.headers.get("retry-after", "")
            if response.status_code != 429 or attempt == RATE_LIMIT_RETRIES or not wait.isdigit() or int(wait) > 30:
                break
            time.sleep(int(wait))  # over the token's rate limit: wait as told, then again
        if response.status_code >= 400:
            raise ApiError(_message(response), _details(response))
        return response.json()

    def text(self, path: str) -> str:
        """A plain-text answer (exports)."""
        try:
            response = self.client.get(path)
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach {self.client.base_url}: {exc}") from exc
        if response.status_code >= 400:
            raise ApiError(_message(response))
        return response.text

    def paged(self, path: str, params: dict[str, Any], limit: int | None) -> list[Any]:
        """Fetch every page (or up to `limit` rows), newest first as the server orders them."""
        rows: list[Any] = []
        page = 500
        while limit is None or len(rows) < limit:
            size = page if limit is None else min(page, limit - len(rows))
            batch = self.request("GET", path, params={**params, "limit": size, "offset": len(rows)})
            rows.extend(batch)
            if len(batch) < size:
                break
        return rows


def _details(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return []
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"HTTP {response.status_code}: {error.get('message')}"
    return f"HTTP {response.status_code}: {str(body)[:200]}"
