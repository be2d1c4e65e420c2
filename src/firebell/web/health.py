"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from firebell.infra import migrate
from firebell.web.deps import ContainerDep
from firebell.web.errors import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and its schema is current")
def readyz(container: ContainerDep) -> Response:
    try:
        with container.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = migrate.current(conn)
    except Exception as exc:
        return json_response(
            {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}, status_code=503
        )
    head = migrate.head()
    if current != head:
        return json_response(
            {"status": "unavailable", "database": "ok", "schema": current, "expected": head}, status_code=503
        )
    return json_response({"status": "ok", "database": "ok", "schema": current})


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
def metrics(container: ContainerDep) -> Response:
    return Response(generate_latest(container.metrics.registry), media_type=CONTENT_TYPE_LATEST)
