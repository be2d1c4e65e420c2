"""The verdict API: responders mark alerts as needing no action (false positives) or as actionable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from firebell.alerts.queries import get_alert, list_alerts
from firebell.alerts.repo import SqlAlertRepo
from firebell.alerts.schemas import AlertRead, VerdictUpdate
from firebell.alerts.verdict_service import set_alert_verdict, set_incident_verdict
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.web.deps import ContainerDep, Responder

router = APIRouter(prefix="/api/v1", tags=["alerts"])


@router.put(
    "/alerts/{alert_id}/verdict",
    response_model=AlertRead,
    summary="Mark an alert no action needed (a false positive) or actionable; null clears",
)
def put_alert_verdict(alert_id: str, body: VerdictUpdate, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        changed = set_alert_verdict(
            alerts=SqlAlertRepo(conn),
            timeline=SqlIncidentRepo(conn),
            alert_id=alert_id,
            verdict=body.verdict,
            actor=caller.name,
            now=container.clock.now(),
            note=body.note,
        )
        result = get_alert(conn, alert_id)
    if changed:
        container.changes.bump()
    return result


@router.put(
    "/incidents/{ref}/verdict",
    response_model=list[AlertRead],
    summary="Mark every alert of an incident (by number or id) at once; returns its alerts",
)
def put_incident_verdict(
    ref: str, body: VerdictUpdate, container: ContainerDep, caller: Responder
) -> list[dict[str, Any]]:
    with transaction(container.engine, write=True) as conn:
        incident_id = str(get_incident(conn, ref)["id"])
        changed = set_incident_verdict(
            alerts=SqlAlertRepo(conn),
            timeline=SqlIncidentRepo(conn),
            incident_id=incident_id,
            verdict=body.verdict,
            actor=caller.name,
            now=container.clock.now(),
            note=body.note,
        )
        result = list_alerts(conn, incident_id=incident_id, limit=1000)
    if changed:
        container.changes.bump()
    return result
