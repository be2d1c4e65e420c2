"""The incident API: list and read (acknowledge, resolve and reassign are in paging/api.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from firebell.alerts.queries import list_alerts
from firebell.incidents.queries import get_incident, list_incidents, timeline
from firebell.incidents.schemas import IncidentDetailRead, IncidentRead
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
