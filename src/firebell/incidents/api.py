"""The incident API: list and read (acknowledge, resolve and reassign are in paging/api.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from firebell.alerts.queries import count_alerts, list_alerts
from firebell.bootstrap import incident_topic
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Role
from firebell.incidents.classifier import TEXT, classify
from firebell.incidents.queries import fingerprint, get_incident, list_incidents, response_view, target_view, timeline
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.schemas import (
    ClassifyRead,
    ClassifyRequest,
    IncidentCreate,
    IncidentDetailRead,
    IncidentRead,
    StatusRequest,
)
from firebell.incidents.service import declare
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.incidents.state import IncidentStatus
from firebell.infra.db import transaction
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.severity import Sev
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.runner import EscalationRunner, sends_finished
from firebell.paging.service import move_to as paging_answer
from firebell.paging.service import start_paging
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder, require_on_service

router = APIRouter(prefix="/api/v1", tags=["incidents"])


@router.get("/incidents", response_model=list[IncidentRead], summary="Incidents, newest first")
def get_incidents(
    conn: ReadConn,
    _caller: Reader,
    status: Annotated[str | None, Query(description="open, or a lifecycle state")] = None,
    service: Annotated[str | None, Query(description="service name")] = None,
    sev: Annotated[str | None, Query(pattern="^SEV-[1-4]$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[dict[str, Any]]:
    return list_incidents(conn, status=status, service=service, sev=sev, limit=limit, offset=offset)


@router.get("/incidents/{ref}", response_model=IncidentDetailRead, summary="One incident by id or number")
def get_one(
    ref: str,
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    alerts: Annotated[
        int,
        Query(
            ge=0,
            le=1000,
            description="how many of its most recently seen alerts to include; `alerts_total` says how many it "
            "has, and `GET /api/v1/alerts?incident=` pages through all of them",
        ),
    ] = 100,
) -> Response:
    incident = get_incident(conn, ref)

    def build() -> bytes:
        now = container.clock.now()
        terms = SqlSeverityTargetsRepo(conn).terms_of(incident)
        detail = dict(incident)
        detail["response"] = response_view(conn, incident, now, terms)
        detail["targets"] = target_view(incident, now, terms, detail["response"]["next_update_due"])
        detail["timeline"] = timeline(conn, incident["id"])
        listed = list_alerts(conn, incident_id=incident["id"], limit=alerts) if alerts else []
        detail["alerts"] = [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in a.items()} for a in listed
        ]
        whole = len(listed) < alerts
        detail["alerts_total"] = len(listed) if whole else count_alerts(conn, incident_id=incident["id"])
        return IncidentDetailRead.model_validate(detail).model_dump_json(by_alias=True).encode()

    # Everyone reading this incident meanwhile shares one answer (see infra/snapshots.py).
    topic = incident_topic(str(incident["id"]))
    body = container.snapshots.get(("api.incident", incident["id"], alerts), topic, fingerprint(incident), build)
    return Response(body, media_type="application/json")


@router.post("/classify", response_model=ClassifyRead, summary="The severity decision tree, one answer at a time")
def classify_severity(body: ClassifyRequest, _caller: Reader) -> dict[str, Any]:
    result = classify(body.answers)
    return {
        "severity": result.sev.value if result.sev else None,
        "reason": result.reason,
        "path": [{"question": s.question, "text": s.text, "answer": s.answer} for s in result.path],
        "next_question": result.next_question,
        "next_question_text": TEXT[result.next_question] if result.next_question else None,
    }


@router.post("/incidents", response_model=IncidentRead, status_code=201, summary="Declare an incident by hand")
def declare_incident(body: IncidentCreate, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    require_on_service(container, caller, body.service, Role.RESPONDER)
    try:
        sev = Sev.parse(body.severity)
    except ValueError as exc:
        raise ValidationFailed.field("severity", str(exc)) from None
    now = container.clock.now()
    with transaction(container.engine, write=True) as conn:
        catalog = SqlCatalogRepo(conn)
        main = _service_id(catalog, body.service, "service") if body.service else None
        affected = [
            _service_id(catalog, name, f"affected_services[{i}]") for i, name in enumerate(body.affected_services)
        ]
        incident_id, _number = declare(
            SqlIncidentRepo(conn),
            title=body.title,
            sev=sev,
            service_id=main,
            affected_service_ids=affected,
            impact=body.impact,
            source=body.source,
            actor=caller.name,
            at=now,
        )
        if main is not None:
            start_paging(
                SqlPagingRepo(conn), SqlIncidentRepo(conn), incident_id=incident_id, service_id=main, sev=sev, at=now
            )
        result = get_incident(conn, incident_id)
    container.background.poke(EscalationRunner.name)
    container.changes.bump()
    return result


def _service_id(catalog: SqlCatalogRepo, name: str, field: str) -> str:
    row = catalog.service_by_name(name)
    if row is None:
        raise ValidationFailed.field(field, f"no service named {name!r}")
    return str(row["id"])


@router.post("/incidents/{ref}/status", response_model=IncidentRead, summary="Move an incident to a state")
def change_status(ref: str, body: StatusRequest, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        incident = get_incident(conn, ref)
        paging_answer(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident["id"],
            current=IncidentStatus(incident["status"]),
            target=body.status,
            actor=caller.name,
            via="the API" + (f": {body.note}" if body.note else ""),
            now=container.clock.now(),
            actor_id=caller.user_id,
        )
        result = get_incident(conn, incident["id"])
    container.changes.bump()
    if body.status in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED) or incident["status"] == "detected":
        sends_finished(container, str(incident["id"]))
    return result
