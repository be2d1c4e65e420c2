"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import hmac

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from firebell.bootstrap import Container
from firebell.infra import migrate
from firebell.kernel.errors import Unauthenticated
from firebell.web.deps import ContainerDep
from firebell.web.errors import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    # async: answered on the event loop at once, whatever the worker threads and the pools are doing
    return {"status": "ok"}


# How long readiness waits for the database before it says no.
READY_WITHIN = 3.0


def _probe(container: Container) -> tuple[str | None, str | None]:
    """(the database's schema revision, the code's), the first read through intake's pool: readiness
    is about whether alerts can be taken."""
    with container.intake_engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        current = migrate.current(conn)
    return current, migrate.head()


@router.get("/readyz", summary="The database is reachable and its schema is current")
async def readyz(request: Request, container: ContainerDep) -> Response:
    # One probe at a time per app: a hung database costs one waiting thread, not one per request.
    probe: asyncio.Future[tuple[str | None, str | None]] | None = getattr(request.app.state, "ready_probe", None)
    if probe is None or probe.done():
        probe = asyncio.ensure_future(asyncio.to_thread(_probe, container))
        probe.add_done_callback(lambda done: done.cancelled() or done.exception())  # retrieved, if late
        request.app.state.ready_probe = probe
    try:
        current, head = await asyncio.wait_for(asyncio.shield(probe), READY_WITHIN)
    except TimeoutError:
        return json_response(
            {"status": "unavailable", "database": f"no answer within {READY_WITHIN:g} s"}, status_code=503
        )
    except Exception as exc:
        return json_response(
            {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}, status_code=503
        )
    if current != head:
        return json_response(
            {"status": "unavailable", "database": "ok", "schema": current, "expected": head}, status_code=503
        )
    return json_response({"status": "ok", "database": "ok", "schema": current})


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
def metrics(request: Request, container: ContainerDep) -> Response:
    """Open, or with FIREBELL_METRICS__TOKEN set, for the bearer of that token only."""
    expected = container.settings.metrics.token.get_secret_value()
    if expected:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise Unauthenticated(
                "send the metrics token as 'Authorization: Bearer <token>'",
                details=[{"field": "authorization", "location": "header"}],
            )
    return Response(generate_latest(container.metrics.registry), media_type=CONTENT_TYPE_LATEST)
