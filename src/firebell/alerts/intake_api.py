"""Intake endpoints: Alertmanager, PagerDuty Events v2, Opsgenie and generic webhooks.

These are the hottest paths in Firebell, so they are served by a small ASGI front (web/intake_app.py)
rather than the framework's routing and dependency machinery; the handlers here are plain functions
from (container, key, headers, raw body) to (status, JSON document). Each answers 2xx only after the
raw payload and its alerts are committed (see infra/writer.py). Their OpenAPI description is added to
the app's schema from the same Pydantic models (`openapi_paths`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import orjson
from pydantic import BaseModel

from firebell.alerts.config import WebhookMapping
from firebell.alerts.forwarding import ForwardRequest
from firebell.alerts.model import AlertEvent, EventAction, Outcome, Source
from firebell.alerts.normalize import (
    fit_key,
    from_alertmanager,
    from_opsgenie,
    from_pagerduty,
    from_webhook,
    storable_all,
)
from firebell.alerts.opsgenie_repo import SqlOpsgenieRepo
from firebell.alerts.schemas import AlertmanagerWebhook, OpsgenieAction, OpsgenieCreate, PagerDutyEvent
from firebell.alerts.service import EventResult, Submission
from firebell.bootstrap import Container, IntegrationRef
from firebell.catalog.model import IntegrationKind
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound, RateLimited, Unauthenticated, ValidationFailed

Reply = tuple[int, dict[str, Any]]
_AS_POSTED = ForwardRequest()  # a JSON POST to the old tool's endpoint, its key in the body or URL


async def _integration(container: Container, key: str, kind: IntegrationKind, field: str) -> IntegrationRef:
    ref = await container.integration(key) if 8 <= len(key) <= 128 else None
    if ref is None or ref.kind != kind:
        container.metrics.rejected.labels(kind.value, "unknown_key").inc()
        raise NotFound(f"no {kind.value} integration has this key", details=[{"field": field}])
    wait = container.intake_limiter.take(ref.integration_id, time.monotonic())
    if wait:
        container.metrics.rejected.labels(kind.value, "rate_limited").inc()
        raise RateLimited(
            "too many requests for this integration key; retry after the Retry-After header's seconds",
            retry_after=wait,
            details=[{"field": field, "message": "rate limited"}],
        )
    return ref


async def _submit(
    container: Container,
    ref: IntegrationRef,
    source: Source,
    raw: bytes,
    events: list[AlertEvent],
    forward: ForwardRequest = _AS_POSTED,
) -> list[EventResult]:
    free_form = source is Source.PAGERDUTY  # the only source whose details may hold numbers
    submission = Submission(
        integration_id=ref.integration_id,
        service_id=ref.service_id,
        source=source.value,
        raw_body=raw.decode("utf-8", errors="replace"),
        events=storable_all(raw, events, free_form=free_form),
        key_digest=ref.key_digest,
        forward=forward,
    )
    results = await container.submit(submission)
    if results and results[0].outcome is Outcome.REFUSED:
        container.forget_key_digest(ref.key_digest)
        raise NotFound(f"no {ref.kind} integration has this key", details=[{"field": "key"}])
    return results


def _summary(results: list[EventResult]) -> dict[str, Any]:
    return {
        "status": "accepted",
        "alerts": [
            {"outcome": r.outcome, "dedup_key": r.dedup_key, "alert_id": r.alert_id, "incident_id": r.incident_id}
            for r in results
        ],
    }


async def alertmanager(container: Container, key: str, raw: bytes) -> Reply:
    body = AlertmanagerWebhook.model_validate_json(raw)
    ref = await _integration(container, key, IntegrationKind.ALERTMANAGER, "key")
    return 202, _summary(await _submit(container, ref, Source.ALERTMANAGER, raw, from_alertmanager(body)))


async def pagerduty(container: Container, raw: bytes) -> Reply:
    body = PagerDutyEvent.model_validate_json(raw)
    event = from_pagerduty(body)
    ref = await _integration(container, body.routing_key, IntegrationKind.PAGERDUTY, "routing_key")
    results = await _submit(container, ref, Source.PAGERDUTY, raw, [event])
    return 202, {"status": "success", "message": "Event processed", "dedup_key": results[0].dedup_key}


def _genie_key(headers: Mapping[str, str]) -> str:
    authorization = headers.get("authorization", "")
    if not authorization.startswith("GenieKey "):
        raise Unauthenticated(
            "send the integration key as 'Authorization: GenieKey <key>'",
            details=[{"field": "Authorization", "message": "missing or not a GenieKey"}],
        )
    return authorization[len("GenieKey ") :].strip()


async def genie(container: Container, headers: Mapping[str, str]) -> IntegrationRef:
    """The Opsgenie integration the request's GenieKey names; an unknown key answers 401, as Opsgenie's."""
    try:
        return await _integration(container, _genie_key(headers), IntegrationKind.OPSGENIE, "Authorization")
    except NotFound:
        raise Unauthenticated(
            "Could not authenticate: no Opsgenie integration has this key",
            details=[{"field": "Authorization", "message": "unknown key"}],
        ) from None


def genie_blocking(container: Container, authorization: str) -> IntegrationRef:
    """`genie` for a worker thread (the Opsgenie API's other routes)."""
    key = _genie_key({"authorization": authorization})
    ref = container.integration_for_key(key) if 8 <= len(key) <= 128 else None
    if ref is None or ref.kind != IntegrationKind.OPSGENIE:
        container.metrics.rejected.labels("opsgenie", "unknown_key").inc()
        raise Unauthenticated(
            "Could not authenticate: no Opsgenie integration has this key",
            details=[{"field": "Authorization", "message": "unknown key"}],
        )
    wait = container.intake_limiter.take(ref.integration_id, time.monotonic())
    if wait:
        raise RateLimited(
            "too many requests for this integration key; retry after the Retry-After header's seconds",
            retry_after=wait,
            details=[{"field": "Authorization", "message": "rate limited"}],
        )
    return ref


def accepted(request_id: str, started: float) -> Reply:
    """Opsgenie's answer to an asynchronous request (here: already done and committed)."""
    took = round(time.perf_counter() - started, 3)
    return 202, {"result": "Request will be processed", "took": took, "requestId": request_id}


def request_values(
    ref: IntegrationRef, request_id: str, action: str, result: tuple[bool, str, str | None, str], now: datetime
) -> dict[str, Any]:
    """A request-status row: (success, status, alert id, alias) of what the request did."""
    success, status, alert_id, alias = result
    return {
        "id": request_id,
        "service_id": ref.service_id,
        "integration_id": ref.integration_id,
        "action": action,
        "success": success,
        "status": status[:300],
        "alert_id": alert_id,
        "alias": alias[:255],
        "processed_at": now,
    }


def _record_blocking(container: Container, values: dict[str, Any], note: str, owner: str) -> None:
    with transaction(container.intake_engine, write=True) as conn:
        repo = SqlOpsgenieRepo(conn)
        repo.record(values)
        if values["alert_id"]:
            if values["action"] == "Create":
                repo.tiny_ids([values["alert_id"]])
            if note:
                repo.add_note(values["alert_id"], note[:25_000], owner[:200], values["processed_at"])


async def _record(
    container: Container,
    ref: IntegrationRef,
    action: str,
    result: EventResult,
    alias: str,
    *,
    note: str = "",
    owner: str = "",
) -> str:
    """Store the request's status (after its alert was committed) and return its id."""
    request_id = str(uuid.uuid4())
    done = {
        Outcome.CREATED: "Created alert",
        Outcome.LOGGED: "Created alert",
        Outcome.SUPPRESSED: "Created alert",
        Outcome.DEDUPLICATED: "Alert deduplicated",
        Outcome.ACKNOWLEDGED: "Acknowledged alert",
        Outcome.RESOLVED: "Closed alert",
    }
    status = done.get(result.outcome)
    if status is None:
        status = "Alert is already acknowledged" if result.alert_id else "Alert does not exist"
    found = status != "Alert does not exist"
    outcome = (found, status, result.alert_id, alias if found else "")  # as Opsgenie tells a request that failed
    values = request_values(ref, request_id, action, outcome, container.clock.now())
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(container.key_lookups, _record_blocking, container, values, note, owner)
    return request_id


async def opsgenie_create(container: Container, headers: Mapping[str, str], raw: bytes) -> Reply:
    started = time.perf_counter()
    ref = await genie(container, headers)
    body = OpsgenieCreate.model_validate_json(raw)
    event = from_opsgenie(body)
    forward = ForwardRequest(authorization=headers.get("authorization", ""))
    results = await _submit(container, ref, Source.OPSGENIE, raw, [event], forward)
    note, owner = body.note or "", body.user or ""
    request_id = await _record(container, ref, "Create", results[0], event.dedup_key, note=note, owner=owner)
    return accepted(request_id, started)


async def opsgenie_action(
    container: Container,
    action: EventAction,
    identifier: str,
    identifier_type: str,
    headers: Mapping[str, str],
    raw: bytes,
) -> Reply:
    started = time.perf_counter()
    ref = await genie(container, headers)
    if identifier_type not in {"alias", "id", "tiny"}:
        raise ValidationFailed.field("identifierType", "use id, tiny or alias")
    body = OpsgenieAction.model_validate_json(raw) if raw.strip() else OpsgenieAction()
    dedup_key = fit_key(identifier)  # as stored at create time, long aliases included
    if identifier_type != "alias":
        found = await container.dedup_key(ref.service_id, identifier, identifier_type)
        if found is None:
            raise NotFound(f"no open alert with {identifier_type} {identifier}", details=[{"field": "identifier"}])
        dedup_key = found
    verb = "Close" if action is EventAction.RESOLVE else "Acknowledge"
    suffix = f"/{quote(identifier, safe='')}/{verb.lower()}?identifierType={quote(identifier_type)}"
    forward = ForwardRequest(suffix=suffix, authorization=headers.get("authorization", ""))
    event = AlertEvent(action, dedup_key, "")
    results = await _submit(container, ref, Source.OPSGENIE, raw or b"{}", [event], forward)
    request_id = await _record(container, ref, verb, results[0], dedup_key, note=body.note or "", owner=body.user or "")
    return accepted(request_id, started)


async def webhook(container: Container, key: str, raw: bytes) -> Reply:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed.field("body", f"is not valid JSON ({exc})") from exc
    ref = await _integration(container, key, IntegrationKind.WEBHOOK, "key")
    config = ref.config.get("mapping", {})
    mapping = WebhookMapping.from_config(dict(config) if isinstance(config, dict) else {})
    return 202, _summary(await _submit(container, ref, Source.WEBHOOK, raw, [from_webhook(document, mapping)]))


# --- OpenAPI description of the endpoints above -------------------------------------------------


def _operation(summary: str, model: type[BaseModel] | None, params: list[dict[str, Any]]) -> dict[str, Any]:
    schema: dict[str, Any] = (
        {"$ref": f"#/components/schemas/{model.__name__}"} if model is not None else {"type": "object"}
    )
    return {
        "post": {
            "tags": ["intake"],
            "summary": summary,
            "parameters": params,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": {
                "202": {"description": "Committed: stored durably before this answer"},
                "4XX": {"description": "Refused, naming the field; nothing stored"},
                "503": {"description": "The database is unavailable: nothing stored; retry after Retry-After"},
                "507": {"description": "The database's disk is full: nothing stored; retry after Retry-After"},
            },
        }
    }


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    """(paths, component schemas) documenting the intake endpoints."""
    key = _path_param("key", "the integration's secret key")
    genie = {
        "name": "Authorization",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "GenieKey <integration key>",
    }
    id_type = {"name": "identifierType", "in": "query", "schema": {"type": "string", "enum": ["id", "alias"]}}
    identifier = [_path_param("identifier", "alias or id"), id_type, genie]
    paths = {
        "/integrations/alertmanager/{key}": _operation(
            "Prometheus Alertmanager webhook receiver", AlertmanagerWebhook, [key]
        ),
        "/v2/enqueue": _operation("PagerDuty Events API v2 compatible", PagerDutyEvent, []),
        "/v2/alerts": _operation("Opsgenie Alert API compatible: create", OpsgenieCreate, [genie]),
        "/v2/alerts/{identifier}/close": _operation("Opsgenie compatible: close", OpsgenieAction, identifier),
        "/v2/alerts/{identifier}/acknowledge": _operation(
            "Opsgenie compatible: acknowledge",
            OpsgenieAction,
            identifier,
        ),
        "/integrations/webhook/{key}": _operation(
            "Generic JSON webhook, read through the integration's field mapping", None, [key]
        ),
    }
    schemas: dict[str, Any] = {}
    for model in (AlertmanagerWebhook, PagerDutyEvent, OpsgenieCreate, OpsgenieAction):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return paths, schemas
