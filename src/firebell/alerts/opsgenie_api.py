"""The Opsgenie-compatible Alert API beyond create, close and acknowledge (those are intake's, see
intake_api.py): request status, get, list, count, notes, tags, details, priority, message,
description, assign, escalate, snooze, unacknowledge, delete, and the heartbeat ping.

Paths, bodies, answers and status codes follow Opsgenie's published Alert API reference, so a team
leaving Opsgenie changes only the host. An integration key (`Authorization: GenieKey <key>`) reaches
only its own service's alerts: any other alert is answered as one that does not exist. Opsgenie runs
these requests later and answers 202; Firebell runs them before it answers (a 202 means committed),
and the request-status endpoint tells what each did.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from firebell.alerts import opsgenie
from firebell.alerts.intake_api import genie_blocking, request_values
from firebell.alerts.model import AlertEvent, EventAction
from firebell.alerts.opsgenie_repo import SqlOpsgenieRepo
from firebell.alerts.schemas import (
    OpsgenieAction,
    OpsgenieAssign,
    OpsgenieDescription,
    OpsgenieDetails,
    OpsgenieError,
    OpsgenieEscalate,
    OpsgenieMessage,
    OpsgenieNote,
    OpsgeniePriority,
    OpsgenieSnooze,
    OpsgenieTags,
)
from firebell.alerts.service import Submission
from firebell.bootstrap import Container, IntegrationRef, incident_topic
from firebell.heartbeats import service as heartbeats
from firebell.heartbeats.repo import SqlHeartbeatRepo
from firebell.heartbeats.runner import HeartbeatWatch
from firebell.identity.repo import SqlIdentityRepo
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.oncall.repo import SqlOncallRepo
from firebell.paging.runner import EscalationRunner
from firebell.web.deps import ContainerDep
from firebell.web.errors import json_response

_REFUSED: dict[int | str, dict[str, Any]] = {
    "4XX": {"description": "Refused in Opsgenie's shape, naming the field; nothing changed", "model": OpsgenieError},
    422: {"description": "Invalid input, naming the field; nothing changed", "model": OpsgenieError},
    503: {"description": "The database is unavailable: nothing changed; retry after Retry-After"},
    507: {"description": "The database's disk is full: nothing changed; retry after Retry-After"},
}
router = APIRouter(tags=["opsgenie"], responses=_REFUSED)


def _genie(container: ContainerDep, authorization: Annotated[str, Header(description="GenieKey <key>")] = "") -> Any:
    return genie_blocking(container, authorization)


Genie = Annotated[IntegrationRef, Depends(_genie)]


def _asked(
    user: Annotated[str, Query(max_length=200, description="who asked")] = "",
    note: Annotated[str, Query(max_length=25_000, description="a note to add to the alert")] = "",
    source: Annotated[str, Query(max_length=200, description="where the request came from")] = "",
) -> OpsgenieAction:
    """The user, note and source a DELETE request carries in its query, as others do in their body."""
    return OpsgenieAction(user=user or None, note=note or None, source=source or None)


Asked = Annotated[OpsgenieAction, Depends(_asked)]
IdType = Annotated[Literal["id", "tiny", "alias"], Query(alias="identifierType")]
Answer = dict[str, Any]


def _answer(status: int, document: Answer) -> Response:
    response = json_response(document, status_code=status)
    response.headers["x-request-id"] = str(document["requestId"])
    return response


def _took(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _data(document: object, started: float, **extra: object) -> Response:
    return _answer(200, {"data": document, **extra, "took": _took(started), "requestId": str(uuid.uuid4())})


def _found(repo: SqlOpsgenieRepo, ref: IntegrationRef, identifier: str, id_type: str) -> dict[str, Any]:
    row = repo.find(ref.service_id, identifier, id_type)
    if row is None:
        raise NotFound(
            f"Alert with {id_type} [{identifier}] does not exist",
            details=[{"field": "identifier", "message": "unknown"}],
        )
    return row


# A change to one alert: (repo, the alert's row, now) -> the words for its incident's timeline, or "".
Change = Callable[[SqlOpsgenieRepo, dict[str, Any], datetime], str]


def _act(
    container: Container,
    ref: IntegrationRef,
    identifier: str,
    id_type: str,
    action: str,
    body: OpsgenieAction,
    change: Change,
) -> Response:
    """Apply one change to the key's service's alert, note it, and record the request; one transaction."""
    started = time.perf_counter()
    request_id = str(uuid.uuid4())
    now = container.clock.now()
    with transaction(container.engine, write=True) as conn:
        repo = SqlOpsgenieRepo(conn)
        row = _found(repo, ref, identifier, id_type)
        said = change(repo, row, now)
        who = (body.user or "").strip()[:200]
        if body.note:
            repo.add_note(row["id"], body.note[:25_000], who, now)
        incident_id = row["incident_id"]
        if incident_id and (said or body.note):
            words = "; ".join(part for part in (said, body.note or "") if part)
            message = f"Alert '{row['summary'][:200]}': {words}"[:2000]
            SqlIncidentRepo(conn).add_event(incident_id, now, "note", message, actor=who or "opsgenie api")
        done = (True, f"{action} done", row["id"], row["dedup_key"])
        repo.record(request_values(ref, request_id, action, done, now))
    container.changes.bump(*((incident_topic(incident_id),) if incident_id else ()), "alerts")
    return _answer(202, {"result": "Request will be processed", "took": _took(started), "requestId": request_id})


# --- request status, get, list, count --------------------------------------------------------------


@router.get("/v2/alerts/requests/{request_id}", summary="Opsgenie compatible: the status of a request")
def request_status(request_id: str, container: ContainerDep, ref: Genie) -> Response:
    started = time.perf_counter()
    with transaction(container.engine) as conn:
        row = SqlOpsgenieRepo(conn).request(ref.service_id, request_id)
    if row is None:
        raise NotFound(f"Request [{request_id}] does not exist", details=[{"field": "requestId"}])
    data = {
        "success": row["success"],
        "action": row["action"],
        "processedAt": row["processed_at"].isoformat().replace("+00:00", "Z"),
        "integrationId": row["integration_id"],
        "isSuccess": row["success"],
        "status": row["status"],
        "alertId": row["alert_id"] or "",
        "alias": row["alias"],
    }
    return _data(data, started)


Query_ = Annotated[str, Query(max_length=2000, description="Opsgenie search query: field: value terms joined by AND")]


@router.get("/v2/alerts/count", summary="Opsgenie compatible: count alerts matching a query")
def count_alerts(container: ContainerDep, ref: Genie, query: Query_ = "") -> Response:
    started = time.perf_counter()
    terms = opsgenie.parse_query(query)
    with transaction(container.engine) as conn:
        count = SqlOpsgenieRepo(conn).count(ref.service_id, terms)
    return _data({"count": count}, started)


@router.get("/v2/alerts", summary="Opsgenie compatible: list alerts")
def list_alerts(
    container: ContainerDep,
    ref: Genie,
    query: Query_ = "",
    offset: Annotated[int, Query(ge=0, le=20_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: Annotated[Literal["createdAt", "updatedAt", "lastOccurredAt", "count"], Query()] = "createdAt",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
) -> Response:
    started = time.perf_counter()
    terms = opsgenie.parse_query(query)
    now = container.clock.now()
    with transaction(container.engine, write=True) as conn:  # write: alerts shown first get tiny ids
        repo = SqlOpsgenieRepo(conn)
        rows = repo.search(ref.service_id, terms, sort=sort, order=order, offset=offset, limit=limit + 1)
        shown = rows[:limit]
        tiny = repo.tiny_ids([row["id"] for row in shown])
        integration = repo.integration(ref.integration_id)
        total = repo.count(ref.service_id, terms) if len(rows) > limit or offset > 0 else offset + len(rows)
    documents = [opsgenie.alert_document(r, tiny[r["id"]], integration, full=False, now=now) for r in shown]
    base = f"{container.settings.base_url()}/v2/alerts"

    def page(at: int) -> str:
        return f"{base}?{urlencode({'query': query, 'offset': at, 'limit': limit, 'sort': sort, 'order': order})}"

    paging = {"first": page(0)}
    if len(rows) > limit:
        paging["next"] = page(offset + limit)
    if offset > 0:
        paging["prev"] = page(max(0, offset - limit))
    if total:
        paging["last"] = page(min((total - 1) // limit * limit, 20_000))
    response = _data(documents, started, paging=paging)
    for name, url in paging.items():  # also in headers, as Opsgenie gives them
        response.headers[f"x-paging-{name}"] = url
    return response


@router.get("/v2/alerts/{identifier}", summary="Opsgenie compatible: get an alert")
def get_alert(identifier: str, container: ContainerDep, ref: Genie, identifier_type: IdType = "id") -> Response:
    started = time.perf_counter()
    with transaction(container.engine, write=True) as conn:  # write: an alert shown first gets a tiny id
        repo = SqlOpsgenieRepo(conn)
        row = _found(repo, ref, identifier, identifier_type)
        tiny = repo.tiny_ids([row["id"]])[row["id"]]
        integration = repo.integration(row["integration_id"])
    return _data(opsgenie.alert_document(row, tiny, integration, full=True, now=container.clock.now()), started)


@router.delete("/v2/alerts/{identifier}", summary="Opsgenie compatible: delete an alert", status_code=202)
async def delete_alert(
    identifier: str,
    container: ContainerDep,
    ref: Genie,
    asked: Asked,
    identifier_type: IdType = "id",
) -> Response:
    """An open alert is closed first, as intake closes one (its incident resolves with its last
    open alert), then removed."""

    def find() -> dict[str, Any]:
        with transaction(container.engine) as conn:
            return _found(SqlOpsgenieRepo(conn), ref, identifier, identifier_type)

    row = await run_in_threadpool(find)
    if row["status"] != "resolved":
        event = AlertEvent(EventAction.RESOLVE, row["dedup_key"], "")
        raw = f'{{"delete": "{row["id"]}"}}'
        await container.submit(Submission(ref.integration_id, ref.service_id, "opsgenie", raw, (event,)))

    def remove(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        repo.delete(alert["id"])
        return "deleted through the Opsgenie API"

    return await run_in_threadpool(_act, container, ref, row["id"], "id", "Delete", asked, remove)


# --- notes -------------------------------------------------------------------------------------------


@router.post("/v2/alerts/{identifier}/notes", summary="Opsgenie compatible: add a note", status_code=202)
def add_note(
    identifier: str, body: OpsgenieNote, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    return _act(container, ref, identifier, identifier_type, "AddNote", body, lambda _r, _a, _n: "")


@router.get("/v2/alerts/{identifier}/notes", summary="Opsgenie compatible: list an alert's notes")
def list_notes(
    identifier: str,
    container: ContainerDep,
    ref: Genie,
    identifier_type: IdType = "id",
    offset: Annotated[str, Query(max_length=26, description="the offset of the note to go on from")] = "",
    direction: Annotated[Literal["next", "prev"], Query()] = "next",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> Response:
    started = time.perf_counter()
    reading = order if direction == "next" else ("asc" if order == "desc" else "desc")
    with transaction(container.engine) as conn:
        repo = SqlOpsgenieRepo(conn)
        row = _found(repo, ref, identifier, identifier_type)
        notes = repo.notes(row["id"], after=offset, order=reading, limit=limit + 1)
    more = len(notes) > limit
    notes = notes[:limit] if direction == "next" else list(reversed(notes[:limit]))
    data = [
        {
            "note": n["note"],
            "owner": n["owner"],
            "createdAt": n["created_at"].isoformat().replace("+00:00", "Z"),
            "offset": n["id"],
        }
        for n in notes
    ]
    base = f"{container.settings.base_url()}/v2/alerts/{row['id']}/notes?identifierType=id&order={order}&limit={limit}"
    paging = {"first": base}
    if more and direction == "next" and data:
        paging["next"] = f"{base}&offset={data[-1]['offset']}&direction=next"
    return _data(data, started, paging=paging)


# --- tags, details, priority, message, description --------------------------------------------------


@router.post("/v2/alerts/{identifier}/tags", summary="Opsgenie compatible: add tags", status_code=202)
def add_tags(
    identifier: str, body: OpsgenieTags, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        repo.update(alert["id"], {"labels": opsgenie.with_tags(alert["labels"] or {}, body.tags)})
        return ""

    return _act(container, ref, identifier, identifier_type, "AddTags", body, change)


Names = Annotated[str, Query(max_length=5000, description="names separated by commas")]


@router.delete("/v2/alerts/{identifier}/tags", summary="Opsgenie compatible: remove tags", status_code=202)
def remove_tags(
    identifier: str,
    container: ContainerDep,
    ref: Genie,
    asked: Asked,
    tags: Names = "",
    identifier_type: IdType = "id",
) -> Response:
    gone = opsgenie.split_list(tags, "tags")

    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        repo.update(alert["id"], {"labels": opsgenie.without_tags(alert["labels"] or {}, gone)})
        return ""

    return _act(container, ref, identifier, identifier_type, "RemoveTags", asked, change)


def _noted(alert: dict[str, Any], **values: object) -> dict[str, Any]:
    """The alert's details with these of Firebell's own keys set (owner, description, snoozedUntil...)."""
    return {**(alert["details"] or {}), **values}


def _with_details(alert: dict[str, Any], update: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    details = dict(alert["details"] or {})
    own = details.get("details")
    own = dict(own) if isinstance(own, dict) else {}
    update(own)
    details["details"] = own
    return details


@router.post("/v2/alerts/{identifier}/details", summary="Opsgenie compatible: add details", status_code=202)
def add_details(
    identifier: str, body: OpsgenieDetails, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        repo.update(alert["id"], {"details": _with_details(alert, lambda own: own.update(body.details))})
        return ""

    return _act(container, ref, identifier, identifier_type, "AddDetails", body, change)


@router.delete("/v2/alerts/{identifier}/details", summary="Opsgenie compatible: remove details", status_code=202)
def remove_details(
    identifier: str,
    container: ContainerDep,
    ref: Genie,
    asked: Asked,
    keys: Names = "",
    identifier_type: IdType = "id",
) -> Response:
    gone = opsgenie.split_list(keys, "keys")

    def drop(own: dict[str, Any]) -> None:
        for key in gone:
            own.pop(key, None)

    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        repo.update(alert["id"], {"details": _with_details(alert, drop)})
        return ""

    return _act(container, ref, identifier, identifier_type, "RemoveDetails", asked, change)


@router.put("/v2/alerts/{identifier}/priority", summary="Opsgenie compatible: update priority", status_code=202)
def update_priority(
    identifier: str, body: OpsgeniePriority, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        details = _noted(alert, priority=body.priority)
        repo.update(alert["id"], {"severity": opsgenie.severity_of(body.priority).value, "details": details})
        return f"priority set to {body.priority}"

    return _act(container, ref, identifier, identifier_type, "UpdatePriority", OpsgenieAction(), change)


@router.put("/v2/alerts/{identifier}/message", summary="Opsgenie compatible: update message", status_code=202)
def update_message(
    identifier: str, body: OpsgenieMessage, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        repo.update(alert["id"], {"summary": body.message})
        return ""

    return _act(container, ref, identifier, identifier_type, "UpdateMessage", OpsgenieAction(), change)


@router.put("/v2/alerts/{identifier}/description", summary="Opsgenie compatible: update description", status_code=202)
def update_description(
    identifier: str, body: OpsgenieDescription, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        repo.update(alert["id"], {"details": _noted(alert, description=body.description)})
        return ""

    return _act(container, ref, identifier, identifier_type, "UpdateDescription", OpsgenieAction(), change)


# --- assign, escalate, snooze, unacknowledge --------------------------------------------------------


@router.post("/v2/alerts/{identifier}/assign", summary="Opsgenie compatible: assign an owner", status_code=202)
def assign(
    identifier: str, body: OpsgenieAssign, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        people = SqlIdentityRepo(repo.conn)
        named = body.owner.username or body.owner.id or ""
        person = people.user_by_email(named) if "@" in named else people.user_by_handle(named)
        if person is None:
            raise ValidationFailed.field("owner", f"no Firebell user with the email or handle {named!r}")
        repo.update(alert["id"], {"details": _noted(alert, owner=person["email"])})
        return f"assigned to {person['email']}"

    return _act(container, ref, identifier, identifier_type, "Assign", body, change)


@router.post("/v2/alerts/{identifier}/escalate", summary="Opsgenie compatible: escalate", status_code=202)
def escalate(
    identifier: str, body: OpsgenieEscalate, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        named = body.escalation.name or body.escalation.id or ""
        if SqlOncallRepo(repo.conn).policy_by_name(named) is None:
            raise ValidationFailed.field("escalation", f"no escalation policy named {named!r}")
        details = _noted(alert, escalatedTo=named)
        repo.update(alert["id"], {"details": details})
        return f"escalation to {named} asked for"

    return _act(container, ref, identifier, identifier_type, "Escalate", body, change)


@router.post("/v2/alerts/{identifier}/snooze", summary="Opsgenie compatible: snooze", status_code=202)
def snooze(
    identifier: str, body: OpsgenieSnooze, container: ContainerDep, ref: Genie, identifier_type: IdType = "id"
) -> Response:
    end = body.endTime if body.endTime.tzinfo is not None else body.endTime.replace(tzinfo=container.clock.now().tzinfo)
    if end <= container.clock.now():
        raise ValidationFailed.field("endTime", "must be in the future")

    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        repo.update(alert["id"], {"details": _noted(alert, snoozedUntil=end.isoformat())})
        return f"snoozed until {end.isoformat()}"

    return _act(container, ref, identifier, identifier_type, "Snooze", body, change)


@router.post("/v2/alerts/{identifier}/unacknowledge", summary="Opsgenie compatible: unacknowledge", status_code=202)
def unacknowledge(
    identifier: str,
    container: ContainerDep,
    ref: Genie,
    identifier_type: IdType = "id",
    body: Annotated[OpsgenieAction | None, Body()] = None,
) -> Response:
    def change(repo: SqlOpsgenieRepo, alert: dict[str, Any], _now: datetime) -> str:
        if alert["status"] != "acknowledged":
            return ""
        repo.update(alert["id"], {"status": "triggered", "acknowledged_at": None})
        return "alert unacknowledged"

    return _act(container, ref, identifier, identifier_type, "UnAcknowledge", body or OpsgenieAction(), change)


# --- heartbeats ----------------------------------------------------------------------------------------


@router.api_route(
    "/v2/heartbeats/{name}/ping",
    methods=["GET", "POST", "PUT", "PATCH"],
    summary="Opsgenie compatible: ping a heartbeat of the key's service",
    status_code=202,
)
def ping(name: str, container: ContainerDep, ref: Genie) -> Response:
    started = time.perf_counter()
    with transaction(container.engine, write=True) as conn:
        repo = SqlHeartbeatRepo(conn)
        row = repo.by_name(name)
        if row is None or row["service_id"] != ref.service_id:
            raise NotFound(f"Heartbeat with name [{name}] does not exist", details=[{"field": "name"}])
        heartbeats.ping(
            repo=repo,
            intake=lambda subs: container.intake_in(conn, subs),
            integration_id=str(row["integration_id"]),
            now=container.clock.now(),
        )
    container.changes.bump()
    container.background.poke(HeartbeatWatch.name, EscalationRunner.name)
    document = {"result": "PONG - Heartbeat received", "took": _took(started), "requestId": str(uuid.uuid4())}
    return _answer(202, document)
