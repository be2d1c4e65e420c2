"""Intake endpoints: Alertmanager, PagerDuty Events v2, Opsgenie and generic webhooks.

Each answers 2xx only after the raw payload and its alerts are committed (see infra/writer.py).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response

from firebell.alerts.config import WebhookMapping
from firebell.alerts.model import AlertEvent, EventAction, Source
from firebell.alerts.normalize import from_alertmanager, from_opsgenie, from_pagerduty, from_webhook
from firebell.alerts.schemas import AlertmanagerWebhook, OpsgenieAction, OpsgenieCreate, PagerDutyEvent
from firebell.alerts.service import EventResult, Submission
from firebell.bootstrap import IntegrationRef
from firebell.catalog.model import IntegrationKind
from firebell.kernel.errors import NotFound, Unauthenticated, ValidationFailed
from firebell.web.deps import ContainerDep

router = APIRouter(tags=["intake"])

KeyPath = Annotated[str, Path(min_length=8, max_length=128, description="the integration's secret key")]


def _json(payload: object, status: int = 202) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _integration(container: ContainerDep, key: str, kind: IntegrationKind, field: str) -> IntegrationRef:
    ref = container.integration_for_key(key)
    if ref is None or ref.kind != kind:
        container.metrics.rejected.labels(kind.value, "unknown_key").inc()
        raise NotFound(f"no {kind.value} integration has this key", details=[{"field": field}])
    return ref


async def _submit(
    container: ContainerDep, ref: IntegrationRef, source: Source, raw: bytes, events: list[AlertEvent]
) -> list[EventResult]:
    submission = Submission(
        integration_id=ref.integration_id,
        service_id=ref.service_id,
        source=source.value,
        raw_body=raw.decode("utf-8", errors="replace"),
        events=tuple(events),
    )
    return await container.submit(submission)


def _summary(results: list[EventResult]) -> dict[str, Any]:
    return {
        "status": "accepted",
        "alerts": [
            {"outcome": r.outcome, "dedup_key": r.dedup_key, "alert_id": r.alert_id, "incident_id": r.incident_id}
            for r in results
        ],
    }


@router.post("/integrations/alertmanager/{key}", status_code=202, summary="Prometheus Alertmanager webhook receiver")
async def alertmanager(key: KeyPath, body: AlertmanagerWebhook, request: Request, container: ContainerDep) -> Response:
    ref = _integration(container, key, IntegrationKind.ALERTMANAGER, "key")
    results = await _submit(container, ref, Source.ALERTMANAGER, await request.body(), from_alertmanager(body))
    return _json(_summary(results))


@router.post("/v2/enqueue", status_code=202, summary="PagerDuty Events API v2 compatible")
async def pagerduty(body: PagerDutyEvent, request: Request, container: ContainerDep) -> Response:
    event = from_pagerduty(body)
    ref = _integration(container, body.routing_key, IntegrationKind.PAGERDUTY, "routing_key")
    results = await _submit(container, ref, Source.PAGERDUTY, await request.body(), [event])
    return _json({"status": "success", "message": "Event processed", "dedup_key": results[0].dedup_key})


def _genie_key(authorization: str | None) -> str:
    if not authorization or not authorization.startswith("GenieKey "):
        raise Unauthenticated(
            "send the integration key as 'Authorization: GenieKey <key>'",
            details=[{"field": "Authorization", "message": "missing or not a GenieKey"}],
        )
    return authorization[len("GenieKey ") :].strip()


def _opsgenie_accepted(request_id: str) -> Response:
    return _json({"result": "Request will be processed", "took": 0.0, "requestId": request_id})


@router.post("/v2/alerts", status_code=202, summary="Opsgenie Alert API compatible: create")
async def opsgenie_create(
    body: OpsgenieCreate,
    request: Request,
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    ref = _integration(container, _genie_key(authorization), IntegrationKind.OPSGENIE, "Authorization")
    await _submit(container, ref, Source.OPSGENIE, await request.body(), [from_opsgenie(body)])
    return _opsgenie_accepted(str(uuid.uuid4()))


async def _opsgenie_action(
    action: EventAction,
    identifier: str,
    identifier_type: str,
    request: Request,
    container: ContainerDep,
    authorization: str | None,
) -> Response:
    ref = _integration(container, _genie_key(authorization), IntegrationKind.OPSGENIE, "Authorization")
    if identifier_type not in {"alias", "id"}:
        raise ValidationFailed.field("identifierType", "use alias or id")
    raw = await request.body()
    if raw.strip():
        try:
            OpsgenieAction.model_validate(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise ValidationFailed.field("body", "must be a JSON object with user, source, note") from exc
    dedup_key = identifier
    if identifier_type == "id":
        found = container.dedup_key_of_alert(ref.service_id, identifier)
        if found is None:
            raise NotFound(f"no open alert with id {identifier}", details=[{"field": "identifier"}])
        dedup_key = found
    event = AlertEvent(action=action, dedup_key=dedup_key, summary="")
    await _submit(container, ref, Source.OPSGENIE, raw or b"{}", [event])
    return _opsgenie_accepted(str(uuid.uuid4()))


IdentifierType = Annotated[str, Query(alias="identifierType")]


@router.post("/v2/alerts/{identifier}/close", status_code=202, summary="Opsgenie compatible: close")
async def opsgenie_close(
    identifier: str,
    request: Request,
    container: ContainerDep,
    identifier_type: IdentifierType = "id",
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    return await _opsgenie_action(EventAction.RESOLVE, identifier, identifier_type, request, container, authorization)


@router.post("/v2/alerts/{identifier}/acknowledge", status_code=202, summary="Opsgenie compatible: acknowledge")
async def opsgenie_acknowledge(
    identifier: str,
    request: Request,
    container: ContainerDep,
    identifier_type: IdentifierType = "id",
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    return await _opsgenie_action(
        EventAction.ACKNOWLEDGE, identifier, identifier_type, request, container, authorization
    )


@router.post(
    "/integrations/webhook/{key}",
    status_code=202,
    summary="Generic JSON webhook, read through the integration's field mapping",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def webhook(key: KeyPath, request: Request, container: ContainerDep) -> Response:
    raw = await request.body()
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed.field("body", f"is not valid JSON ({exc})") from exc
    ref = _integration(container, key, IntegrationKind.WEBHOOK, "key")
    mapping = WebhookMapping.from_config(_mapping_config(ref))
    results = await _submit(container, ref, Source.WEBHOOK, raw, [from_webhook(document, mapping)])
    return _json(_summary(results))


def _mapping_config(ref: IntegrationRef) -> dict[str, object]:
    mapping = ref.config.get("mapping", {})
    return dict(mapping) if isinstance(mapping, dict) else {}
