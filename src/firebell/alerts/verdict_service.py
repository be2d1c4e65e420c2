"""Use cases for responders' verdicts: mark one alert, or every alert of an incident, as needing no
action (a false positive) or as actionable, or take the verdict back.

Saying again what an alert already carries changes nothing: the first person's word and time stay,
and the timeline gets no second entry.
"""

from __future__ import annotations

from datetime import datetime

from firebell.alerts.ports import IncidentTimeline, VerdictRepo
from firebell.alerts.verdict import Verdict, alert_message, changed, incident_message, stored_verdict
from firebell.kernel.errors import Conflict, NotFound

EVENT_KIND = "alert_verdict"


def set_alert_verdict(
    *,
    alerts: VerdictRepo,
    timeline: IncidentTimeline,
    alert_id: str,
    verdict: Verdict | None,
    actor: str,
    now: datetime,
    note: str = "",
) -> bool:
    """Set (or clear, with None) one alert's verdict; whether anything changed."""
    alert = alerts.judged_alert(alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found", details=[{"field": "alert_id"}])
    if not changed([alert], verdict):
        return False
    alerts.set_verdict([alert.alert_id], stored_verdict(verdict, actor=actor, at=now))
    if alert.incident_id is not None:
        timeline.add_event(
            alert.incident_id,
            now,
            EVENT_KIND,
            alert_message(alert, verdict, actor=actor, note=note),
            actor=actor,
            data={"alert_id": alert.alert_id, "verdict": verdict.value if verdict else None},
        )
    return True


def set_incident_verdict(
    *,
    alerts: VerdictRepo,
    timeline: IncidentTimeline,
    incident_id: str,
    verdict: Verdict | None,
    actor: str,
    now: datetime,
    note: str = "",
) -> int:
    """Set (or clear) the verdict of every alert of an incident; how many alerts changed."""
    judged = alerts.judged_alerts_of_incident(incident_id)
    if not judged:
        raise Conflict("this incident has no alerts to mark (it was declared by hand)")
    todo = changed(judged, verdict)
    if not todo:
        return 0
    alerts.set_verdict([a.alert_id for a in todo], stored_verdict(verdict, actor=actor, at=now))
    timeline.add_event(
        incident_id,
        now,
        EVENT_KIND,
        incident_message(len(judged), verdict, actor=actor, note=note),
        actor=actor,
        data={"alert_ids": [a.alert_id for a in todo], "verdict": verdict.value if verdict else None},
    )
    return len(todo)
