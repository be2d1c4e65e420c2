"""The ASGI front for intake: matches the intake paths before the framework does.

Per request it does only what intake needs: match the path, read the body under the size limit,
run the handler, answer, and count. Every other request goes on to the FastAPI app untouched.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qs

import orjson
from prometheus_client import Histogram
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from firebell.alerts import intake_api
from firebell.alerts.model import EventAction
from firebell.bootstrap import Container
from firebell.infra.failures import report_failure
from firebell.kernel.errors import DomainError
from firebell.kernel.ratelimit import retry_after_header
from firebell.web.errors import error_body, pydantic_details, status_of, validation_status

log = logging.getLogger("firebell.intake")

Call = Callable[[Mapping[str, str], bytes], Awaitable[intake_api.Reply]]
Keyed = Callable[[Container, str, bytes], Awaitable[intake_api.Reply]]

_KEYED = re.compile(r"^/integrations/(alertmanager|webhook)/([^/]+)$")
_OPSGENIE_ACTION = re.compile(r"^/v2/alerts/([^/]+)/(close|acknowledge)$")
_KEYED_HANDLERS: dict[str, tuple[str, Keyed]] = {
    "alertmanager": ("/integrations/alertmanager/{key}", intake_api.alertmanager),
    "webhook": ("/integrations/webhook/{key}", intake_api.webhook),
}


class TooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


class IntakeApp:
    def __init__(self, app: ASGIApp, container: Container) -> None:
        self.app = app
        self.container = container
        self.limit = container.settings.ingest.max_body_bytes
        self._timers: dict[str, Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        route = self._route(path, scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        template, call = route
        start = time.perf_counter()
        try:
            status, document, retry_after = await self._answer(path, scope, receive, call)
        except ClientGone:
            return  # nothing to answer, and nothing was stored
        body = orjson.dumps(document)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 413:
            headers.append((b"connection", b"close"))  # the unread body must not poison the connection
        if retry_after:
            headers.append((b"retry-after", retry_after.encode()))
        request_id = document.get("requestId")
        if request_id is not None:  # Opsgenie's answers name their request in a header too
            headers.append((b"x-request-id", str(request_id).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        timer = self._timers.get(template)
        if timer is None:  # `labels()` costs on every call: each route's child is looked up once
            timer = self._timers[template] = self.container.metrics.request_seconds.labels(template, "POST")
        timer.observe(time.perf_counter() - start)

    def _route(self, path: str, scope: Scope) -> tuple[str, Call] | None:
        c = self.container
        if path == "/v2/enqueue":
            return path, lambda _h, raw: intake_api.pagerduty(c, raw)
        if path == "/v2/alerts":
            return path, lambda h, raw: intake_api.opsgenie_create(c, h, raw)
        keyed = _KEYED.match(path)
        if keyed:
            template, handler = _KEYED_HANDLERS[keyed.group(1)]
            key = keyed.group(2)
            return template, lambda _h, raw: handler(c, key, raw)
        action = _OPSGENIE_ACTION.match(path)
        if action:
            identifier, verb = action.group(1), action.group(2)
            query = parse_qs(scope.get("query_string", b"").decode())
            id_type = query.get("identifierType", ["id"])[0]
            event = EventAction.RESOLVE if verb == "close" else EventAction.ACKNOWLEDGE
            return f"/v2/alerts/{{identifier}}/{verb}", lambda h, raw: intake_api.opsgenie_action(
                c, event, identifier, id_type, h, raw
            )
        return None

    async def _answer(
        self,
        path: str,
        scope: Scope,
        receive: Receive,
        call: Call,
    ) -> tuple[int, dict[str, object], str]:
        """The status, the document, and a Retry-After value ("" for none)."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            raw = await self._body(headers, receive)
            status, document = await call(headers, raw)
            return status, document, ""
        except ClientGone:
            raise
        except TooLarge:
            message = f"request body is over the {self.limit} byte limit"
            return 413, error_body(path, "payload_too_large", message, [{"field": "body", "limit": self.limit}]), ""
        except ValidationError as exc:
            details = pydantic_details(exc.errors())
            message = f"{details[0]['field']}: {details[0]['message']}" if details else "invalid input"
            return validation_status(path, exc.errors()), error_body(path, "validation_failed", message, details), ""
        except DomainError as exc:
            return self._refused(path, exc)
        except Exception as exc:
            failure = report_failure(log, "intake_failed", exc, path=path)  # a storage failure: one line now and then
            if failure is not None:  # the database is down or full: say so, with when to retry
                return self._refused(path, failure)
            return 500, error_body(path, "internal", "the alert could not be stored; retry", []), ""

    def _refused(self, path: str, exc: DomainError) -> tuple[int, dict[str, object], str]:
        wait: float | None = getattr(exc, "retry_after", None)
        header = retry_after_header(wait) if wait is not None else ""
        return status_of(exc), error_body(path, exc.code, exc.message, exc.details), header

    async def _body(self, headers: Mapping[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            raise TooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
