"""The ASGI application factory."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from firebell import __version__
from firebell.actionitems import api as actionitems_api
from firebell.alerts import api as alerts_api
from firebell.alerts import intake_api, opsgenie_api, verdict_api
from firebell.audit import api as audit_api
from firebell.audit import views as audit_views
from firebell.bootstrap import Container
from firebell.catalog import api as catalog_api
from firebell.catalog import integration_views
from firebell.changes import api as changes_api
from firebell.drills import api as drills_api
from firebell.heartbeats import api as heartbeats_api
from firebell.history import api as history_api
from firebell.history import views as history_views
from firebell.identity import account_views
from firebell.identity import api as identity_api
from firebell.identity import views as identity_views
from firebell.incidents import api as incidents_api
from firebell.incidents import response_api, severity_api
from firebell.infra.demo_inbox import Inbox, InboxServer, free_port
from firebell.metrics import api as metrics_api
from firebell.metrics import views as metrics_views
from firebell.oncall import api as oncall_api
from firebell.oncall import contacts_api, people_views
from firebell.paging import api as paging_api
from firebell.playbooks import api as playbooks_api
from firebell.postmortems import api as postmortems_api
from firebell.runbooks import api as runbooks_api
from firebell.statuspage import api as statuspage_api
from firebell.statuspage import public_api as statuspage_public
from firebell.statuspage import views as statuspage_views
from firebell.web import api_docs, demo_inbox, errors, health, openapi_doc, views
from firebell.web.content_policy import policies
from firebell.web.intake_app import IntakeApp
from firebell.web.login_front import LoginFront
from firebell.web.middleware import Admission, AuditScopes, BodyLimit, NulGuard, RequestMetrics, SecurityHeaders
from firebell.web.pages import LoginRequired, login_redirect

STATIC = Path(__file__).resolve().parent / "static"


class _Firebell(FastAPI):
    """The app, with the intake front (web/intake_app.py) ahead of the framework's own stack.

    As a middleware the front would come after the framework's entry and its outer middlewares
    (server errors, telemetry, body limit), a cost on every alert; here a request it does not
    serve goes on to the framework untouched.
    """

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is None:
            await super().__call__(scope, receive, send)
        else:
            await self.front(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


def create_app(container: Container, *, manage_lifecycle: bool = True) -> FastAPI:
    """Build the app around a container; by default it starts and stops the container with it."""

    inbox_server = _demo_inbox(container)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if inbox_server is not None:
            inbox_server.start()
        if manage_lifecycle:
            container.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                container.stop()
            if inbox_server is not None:
                inbox_server.stop()

    extra: dict[str, Any] = {}
    if "telemetry" in inspect.signature(FastAPI).parameters:
        # Newer FastAPI asks OpenTelemetry on every request whether it is configured; we export
        # Prometheus metrics instead, so skip that per-request cost.
        extra["telemetry"] = {"tracing": False, "metrics": False, "logs": False}
    app = _Firebell(
        title="Firebell",
        version=__version__,
        description="Self-hosted incident response: alert intake, incidents and on-call.",
        lifespan=lifespan,
        docs_url=None,  # served by web/api_docs.py, from Firebell's own origin
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        **extra,
    )
    app.state.container = container
    app.state.demo_inbox = inbox_server.inbox if inbox_server is not None else None
    errors.install(app)

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc.next_url)

    for router in (
        health.router,
        alerts_api.router,
        opsgenie_api.router,
        incidents_api.router,
        severity_api.router,
        response_api.router,
        changes_api.intake,
        changes_api.router,
        catalog_api.router,
        oncall_api.router,
        paging_api.router,
        heartbeats_api.router,
        heartbeats_api.ping_router,
        runbooks_api.router,
        playbooks_api.router,
        statuspage_api.router,
        actionitems_api.router,
        metrics_api.router,
        metrics_views.router,
        verdict_api.router,
        drills_api.router,
        history_api.router,
        history_views.router,
        identity_api.router,
        identity_views.router,
        account_views.router,
        contacts_api.router,
        people_views.router,
        integration_views.router,
        audit_api.router,
        audit_views.router,
        postmortems_api.router,
        statuspage_public.router,
        statuspage_public.feed_router,
        statuspage_views.router,
        views.router,
    ):
        app.include_router(router)
    api_docs.install(app)
    if inbox_server is not None:
        app.include_router(demo_inbox.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    ingest = container.settings.ingest
    # History exports are files of many records: their two upload paths take more.
    imports = {"/api/v1/import": ingest.max_import_bytes, "/import": ingest.max_import_bytes}
    app.add_middleware(NulGuard)  # inside BodyLimit: it buffers bodies BodyLimit has bounded
    app.add_middleware(BodyLimit, limit=ingest.max_body_bytes, wider=imports)
    app.add_middleware(AuditScopes)
    app.add_middleware(RequestMetrics, metrics=container.metrics)
    pools = container.settings.pools
    app.add_middleware(Admission, limit=pools.web_turns(), wait=pools.web_queue_seconds)
    # In front of everything: intake skips the rest, and so does a login refused while hashing is
    # busy; every answer, theirs too, gets the security headers.
    app.front = SecurityHeaders(IntakeApp(LoginFront(app.framework, container.login_guard), container), policies())
    _document_intake(app)
    return app


def _demo_inbox(container: Container) -> InboxServer | None:
    """The demo's built-in inbox (settings.demo.inbox), or None."""
    demo = container.settings.demo
    if not demo.inbox:
        return None
    inbox = Inbox(max_messages=demo.inbox_max_messages, max_bytes=demo.inbox_max_bytes, now=container.clock.now)
    return InboxServer(inbox, demo.inbox_port or free_port())


def _document_intake(app: FastAPI) -> None:
    """Add the intake endpoints, served by IntakeApp, to the OpenAPI document, and the answers every
    operation may give: errors in Firebell's shape, and the other media types some return."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = base()
            paths, components = intake_api.openapi_paths()
            framework = schema.get("paths", {})
            schema["paths"] = {**paths, **framework}
            for path, operations in paths.items():  # a path served by both keeps each one's methods
                if path in framework:
                    schema["paths"][path] = {**operations, **framework[path]}
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(components)
            schemas["Error"] = ERROR_SCHEMA
            _document_answers(schema["paths"])
            openapi_doc.finish(app, schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
                "request_id": {"type": "string"},
            },
        }
    },
}
_ERRORS = {
    "400": "Bad request",
    "401": "No credentials, or unknown or revoked ones",
    "403": "The caller's scope or role does not allow this",
    "404": "Nothing by that name or id",
    "409": "Conflicts with what is stored (a duplicate name, a move the state machine refuses)",
    "413": "The request body is over the size limit",
    "422": "Invalid input, naming the field",
    "429": "Over the rate limit; retry after the Retry-After header's seconds",
    "503": "The database is unavailable: nothing was changed; retry after Retry-After",
    "507": "The database's disk is full: nothing was changed; retry after Retry-After",
}
# Media types answered besides JSON, by path: Prometheus' text format, the status page's feeds.
_MEDIA = {
    "/metrics": "text/plain",
    "/status/history.atom": "application/atom+xml",
    "/status/history.rss": "application/rss+xml",
}


def _document_answers(paths: dict[str, Any]) -> None:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in paths.items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "4XX" not in responses:  # the intake endpoints answer errors in their vendors' shapes
                for code, description in _ERRORS.items():
                    responses[code] = {"description": description, "content": error}
            ok = responses.get("200")
            if ok is None:
                continue
            if path in _MEDIA:
                ok["content"] = {_MEDIA[path]: {"schema": {"type": "string"}}}
            if any(p.get("name") == "format" and p.get("in") == "query" for p in operation.get("parameters", [])):
                ok.setdefault("content", {})["text/csv"] = {"schema": {"type": "string"}}
