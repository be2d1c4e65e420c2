"""The alert API: list alerts, read one with everything its sender said, send a test alert."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from firebell.alerts.details import FULL_FIELDS, FULL_VALUE, digest
from firebell.alerts.normalize import from_test_alert, storable
from firebell.alerts.queries import get_alert, list_alerts, raw_payload
from firebell.alerts.schemas import AlertDetailRead, AlertRead, IngestResultRead, TestAlert
from firebell.alerts.service import Submission
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Role
from firebell.incidents.queries import get_incident
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder, require_on_service

router = APIRouter(prefix="/api/v1", tags=["alerts"])

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]


@router.get("/alerts", response_model=list[AlertRead], summary="Alerts, most recently seen first")
def get_alerts(
    conn: ReadConn,
    _caller: Reader,
    status: Annotated[str | None, Query(description="open, triggered, acknowledged or resolved")] = None,
    service: Annotated[str | None, Query(description="service name")] = None,
    verdict: Annotated[str | None, Query(description="no_action, actionable, or unset (nobody said)")] = None,
    incident: Annotated[str | None, Query(description="an incident's number or id: its alerts only")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, object]]:
    incident_id = None
    if incident:
        try:
            incident_id = str(get_incident(conn, incident)["id"])
        except NotFound as exc:
            raise NotFound(exc.message, details=[{"field": "incident"}]) from None
    return list_alerts(
        conn, status=status, service=service, verdict=verdict, incident_id=incident_id, limit=limit, offset=offset
    )


@router.get(
    "/alerts/{alert_id}",
    response_model=AlertDetailRead,
    summary="One alert: its details, links, images, labels and the payload it came in",
)
def get_one_alert(alert_id: str, conn: ReadConn, _caller: Reader) -> dict[str, object]:
    return alert_detail(conn, alert_id)


def alert_detail(conn: ReadConn, alert_id: str) -> dict[str, object]:
    """The single-alert document (API and CLI): the listing's fields, the details as rows, images, raw."""
    alert = get_alert(conn, alert_id)
    shown = digest(alert, value_chars=FULL_VALUE, rows_kept=FULL_FIELDS)
    raw = raw_payload(conn, alert_id)
    if raw is not None:
        with suppress(orjson.JSONDecodeError):  # else kept as the text it was
            raw["body"] = orjson.loads(raw["body"])
    return {
        **alert,
        "fields": [{"key": k, "value": v} for k, v in shown.fields],
        "more_fields": shown.more_fields,
        "images": [{"src": src, "text": text} for src, text in shown.images],
        "raw": raw,
    }


@router.post("/alerts", response_model=list[IngestResultRead], status_code=202, summary="Send a test alert")
async def send_alert(body: TestAlert, container: ContainerDep, _caller: Responder) -> list[IngestResultRead]:
    await run_in_threadpool(require_on_service, container, _caller, body.service, Role.RESPONDER)
    with transaction(container.engine) as conn:
        repo = SqlCatalogRepo(conn)
        service = repo.service_by_name(body.service)
        if service is None:
            raise NotFound(f"no service named {body.service}", details=[{"field": "service"}])
        integrations = [i for i in repo.integrations(service["id"]) if i["disabled_at"] is None]
    if not integrations:
        raise NotFound(
            f"service {body.service} has no integration to send through",
            details=[{"field": "service"}],
        )
    submission = Submission(
        integration_id=integrations[0]["id"],
        service_id=service["id"],
        source="api",
        raw_body=body.model_dump_json(),
        events=(storable(from_test_alert(body)),),
    )
    results = await container.submit(submission)
    return [
        IngestResultRead(outcome=r.outcome, dedup_key=r.dedup_key, alert_id=r.alert_id, incident_id=r.incident_id)
        for r in results
    ]
