"""One place that turns errors into HTTP responses: `{"error": {"code", "message", "details"}}`.

The PagerDuty- and Opsgenie-compatible endpoints answer in their own vendors' shapes, so existing
senders read our errors the way they read theirs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from firebell.infra.failures import report_failure
from firebell.kernel.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RateLimited,
    StorageFull,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from firebell.kernel.ratelimit import retry_after_header

log = logging.getLogger("firebell.web")

STATUS = {
    NotFound: 404,
    Conflict: 409,
    InvalidTransition: 409,
    ValidationFailed: 422,
    PermissionDenied: 403,
    Unauthenticated: 401,
    RateLimited: 429,
    Unavailable: 503,
    StorageFull: 507,
}

PAGERDUTY_PATH = "/v2/enqueue"
OPSGENIE_PATH = "/v2/alerts"
OPSGENIE_HEARTBEATS = "/v2/heartbeats"


def json_response(payload: object, status_code: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")


def field_name(loc: Sequence[Any]) -> str:
    """`body.slis.0.query` as `slis.0.query`: only the first part says where the value came from."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def pydantic_details(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, object]]:
    return [
        {
            "field": "body" if e.get("type") == "json_invalid" else field_name(e.get("loc", ())),
            "message": str(e.get("msg", "invalid")),
        }
        for e in errors
    ]


def error_body(path: str, code: str, message: str, details: Sequence[Mapping[str, object]]) -> dict[str, Any]:
    """The error document for `path`: PagerDuty's and Opsgenie's shapes on their endpoints, ours elsewhere."""
    if path == PAGERDUTY_PATH:
        errors = [f"{d.get('field', 'body')}: {d.get('message', message)}" for d in details] or [message]
        return {"status": "invalid event", "message": message, "errors": errors}
    if is_opsgenie(path):
        return {
            "message": message,
            "took": 0.0,
            "requestId": str(uuid.uuid4()),
            "errors": {str(d.get("field", "body")): str(d.get("message", "")) for d in details},
        }
    return {"error": {"code": code, "message": message, "details": list(details)}}


def status_of(exc: DomainError) -> int:
    return next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)


def is_opsgenie(path: str) -> bool:
    return path.startswith((OPSGENIE_PATH, OPSGENIE_HEARTBEATS))


def validation_status(path: str, errors: Sequence[Mapping[str, Any]] = ()) -> int:
    """PagerDuty answers invalid events with 400, Opsgenie a body that is not JSON (its invalid
    fields with 422); everything else here uses 422."""
    if path == PAGERDUTY_PATH:
        return 400
    if is_opsgenie(path) and any(e.get("type") == "json_invalid" for e in errors):
        return 400
    return 422


def error_response(
    request: Request, status: int, code: str, message: str, details: Sequence[Mapping[str, object]]
) -> Response:
    document = error_body(request.url.path, code, message, details)
    response = json_response(document, status_code=status)
    if "requestId" in document:
        response.headers["x-request-id"] = str(document["requestId"])
    return response


def _wants_page(request: Request) -> bool:
    """A browser on a page of the web UI (not the API, not intake) reads an HTML page, not JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/v2/", "/integrations/", "/heartbeat/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _page(request: Request, status: int, message: str) -> Response:
    from firebell.web.pages import TEMPLATES  # the pages import this module's neighbours, not the reverse

    back = request.headers.get("referer", "")
    same_site = back.startswith(str(request.base_url))
    context = {"status": status, "message": message, "back": back if same_site else "/incidents"}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if _wants_page(request):
            return _page(request, status_of(exc), exc.message)
        response = error_response(request, status_of(exc), exc.code, exc.message, exc.details)
        wait = getattr(exc, "retry_after", None)
        if wait is not None:
            response.headers["retry-after"] = retry_after_header(wait)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = pydantic_details(exc.errors())
        first = details[0] if details else {"field": "body", "message": "invalid"}
        message = f"{first['field']}: {first['message']}"
        status = validation_status(request.url.path, exc.errors())
        return error_response(request, status, "validation_failed", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        details = [{"field": "body"}] if exc.status_code == 413 else []
        response = error_response(request, exc.status_code, code, str(exc.detail), details)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    # Database errors get a handler of their own, not only the catch-all below: the framework hands
    # a catch-all's exception on to the server after the answer, which then drops the connection.
    @app.exception_handler(sa.exc.SQLAlchemyError)
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        request_id = getattr(request.state, "request_id", uuid.uuid4().hex)
        failure = report_failure(log, "unhandled_error", exc, request_id=request_id, path=request.url.path)
        if failure is not None:  # the database is down, busy or full: one warning now and then
            return await _domain(request, failure)
        return json_response(
            {"error": {"code": "internal", "message": "unexpected error", "details": [], "request_id": request_id}},
            status_code=500,
        )
