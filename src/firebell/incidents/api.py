"""The incident API: list and read (acknowledge, resolve and reassign are in paging/api.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from firebell.alerts.queries import list_alerts
from firebell.incidents.classifier import TEXT, classify
from firebell.incidents.queries import get_incident, list_incidents, timeline
from firebell.incidents.schemas import ClassifyRead, ClassifyRequest, IncidentDetailRead, IncidentRead
from firebell.web.deps import ReadConn, Reader

router = APIRouter(prefix="/api/v1", tags=["incidents"])


@router.get("/incidents", response_model=list[IncidentRead], summary="Incidents, newest first")
def get_incidents(
    conn: ReadConn,
    _caller: Reader,
    status: Annotated[str | None, Query(description="open, or a lifecycle state")] = None,
    service: Annotated[str | None, Query(description="service name")] = None,
    sev: Annotated[str | None, Query(pattern="^SEV-[1-4]$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    return list_incidents(conn, status=status, service=service, sev=sev, limit=limit, offset=offset)


@router.get("/incidents/{ref}", response_model=IncidentDetailRead, summary="One incident by id or number")
def get_one(ref: str, conn: ReadConn, _caller: Reader) -> dict[str, Any]:
    incident = get_incident(conn, ref)
    incident["timeline"] = timeline(conn, incident["id"])
    incident["alerts"] = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in a.items()}
        for a in list_alerts(conn, incident_id=incident["id"], limit=1000)
    ]
    return incident


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
