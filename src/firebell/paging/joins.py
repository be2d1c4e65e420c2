"""What paging does when a new alert joins an open incident, or a person changes its severity.

A join that raises the incident's severity applies the new severity's urgency again: the policy
starts over for it (a SEV-1-only level now counts, and an earlier acknowledgement does not answer
it). A join into an incident someone is already working tells the people responding (whoever holds a
role, whoever acknowledged); when nobody is known to be responding and the alert's own severity
pages at once, the policy pages again, so a critical alert is never swallowed by a quiet incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from firebell.incidents.ports import IncidentRepo, ResponseRepo
from firebell.incidents.response import set_severity
from firebell.incidents.state import IncidentStatus
from firebell.kernel.severity import Sev
from firebell.oncall.urgency import Urgency, urgency_for
from firebell.paging.model import RESPONDER, EscalationState
from firebell.paging.ports import PagingRepo
from firebell.paging.service import start_escalation

TELL_EVERY_SECONDS = 300


class Messenger(Protocol):
    def remind(
        self,
        *,
        user_ids: Sequence[str],
        incident_id: str,
        number: int,
        subject: str,
        text: str,
        key: str,
        now: datetime,
    ) -> int: ...


class RoleHolders(Protocol):
    def roles(self, incident_id: str) -> list[dict[str, Any]]: ...


def alert_joined(
    *,
    paging: PagingRepo,
    incidents: IncidentRepo,
    roles: RoleHolders,
    messenger: Messenger,
    incident_id: str,
    summary: str,
    severity: Sev,
    raised_from: Sev | None,
    at: datetime,
) -> bool:
    """React to an alert joining the open incident `incident_id` (in the intake's transaction).
    True when it may have queued pages or messages (the paging engine has work), else False."""
    incident = incidents.get(incident_id)
    if incident is None or not IncidentStatus(incident["status"]).is_open:
        return False
    responders = _responders(incident, roles)
    told = bool(responders) and _tell(messenger, incident, responders, summary, severity, raised_from, at) > 0
    service_id = str(incident["service_id"] or "")
    if not service_id:
        return told
    if raised_from is not None:
        why = f"raised from {raised_from} by a new alert"
        return page_again(paging, incidents, incident, Sev(incident["sev"]), at, why) or told
    if responders:
        return told
    # One read of the incident's escalations serves both the check and a restart (once per batch).
    escalations = paging.escalations_of(incident_id)
    if _paging_now(paging, incident_id, escalations):
        return told
    service = paging.service_paging([service_id]).get(service_id)
    if urgency_for(severity, service.urgency if service else {}) is not Urgency.PAGE:
        return told
    why = f"a {severity} alert joined and nobody is responding"
    return page_again(paging, incidents, incident, severity, at, why, escalations=escalations) or told


def severity_changed(
    *, paging: PagingRepo, incidents: IncidentRepo, incident_id: str, old: Sev, new: Sev, at: datetime
) -> None:
    """A severity changed by hand: a raise pages again under the new severity's urgency (levels for
    it alone now count); a lowering re-plans paging still under way (the VP level drops out, a
    SEV-3 waits for working hours), and pages nobody who is not paged already."""
    incident = incidents.get(incident_id)
    if incident is None or not IncidentStatus(incident["status"]).is_open or old is new:
        return
    if new.rank < old.rank or _paging_now(paging, incident_id):
        verb = "raised" if new.rank < old.rank else "lowered"
        page_again(paging, incidents, incident, new, at, f"{verb} from {old} to {new} by hand")


def change_severity(
    *,
    incidents: ResponseRepo,
    paging: PagingRepo,
    incident_id: str,
    sev: Sev,
    actor: str,
    at: datetime,
    reason: str = "",
) -> bool:
    """Change an incident's severity by hand (API and form alike), and its paging with it."""
    row = incidents.get(incident_id)
    old = Sev(row["sev"]) if row is not None else sev
    changed = set_severity(incidents, incident_id=incident_id, sev=sev, actor=actor, at=at, reason=reason)
    if changed:
        severity_changed(paging=paging, incidents=incidents, incident_id=incident_id, old=old, new=sev, at=at)
    return changed


def _paging_now(paging: PagingRepo, incident_id: str, escalations: Sequence[Mapping[str, Any]] | None = None) -> bool:
    """Whether the incident's own paging (not a request to join) is under way."""
    return any(e.get("kind") != RESPONDER for e in _active(paging, incident_id, escalations))


def _active(
    paging: PagingRepo, incident_id: str, escalations: Sequence[Mapping[str, Any]] | None
) -> list[Mapping[str, Any]]:
    """The incident's active escalations: from `escalations` (all of them, read just before) if given."""
    if escalations is None:
        return list(paging.active_escalations(incident_id))
    return [e for e in escalations if e.get("state") == EscalationState.ACTIVE.value]


def _responders(incident: Mapping[str, Any], roles: RoleHolders) -> list[str]:
    people = [str(r["user_id"]) for r in roles.roles(str(incident["id"]))]
    if incident.get("acknowledged_by"):
        people.append(str(incident["acknowledged_by"]))
    return list(dict.fromkeys(people))


def page_again(
    paging: PagingRepo,
    incidents: IncidentRepo,
    incident: Mapping[str, Any],
    sev: Sev,
    at: datetime,
    why: str,
    *,
    escalations: Sequence[Mapping[str, Any]] | None = None,
) -> bool:
    """Restart the incident's policy (the one it ran last, else the service's) for `sev`, answered only
    by an acknowledgement from now on; people asked to join go on being paged, and a drill stays one.
    `escalations`: all of the incident's, oldest first, if just read. True when paging restarted."""
    incident_id = str(incident["id"])
    if escalations is None:
        escalations = paging.escalations_of(incident_id)
    for running in _active(paging, incident_id, escalations):
        if running.get("kind") != RESPONDER:
            paging.update_escalation(
                running["id"], {"state": EscalationState.REPLACED.value, "next_due_at": None, "ended_at": at}
            )
    last_policy = next((str(e["policy_id"]) for e in reversed(escalations) if e["policy_id"]), None)
    drill = next((list(e["only_user_ids"]) for e in escalations if e.get("only_user_ids") is not None), None)
    started = start_escalation(
        paging,
        incident_id=incident_id,
        service_id=str(incident["service_id"] or "") or None,
        at=at,
        policy_id=last_policy,
        sev=sev,
        answer_after=at,
        only_user_ids=drill,
    )
    if started is None:
        if incident.get("page_gap") is None:  # said once, not at every alert that joins
            incidents.add_event(
                incident_id, at, "not_paged", f"Nobody paged ({why}): the service has no escalation policy"
            )
            incidents.flag_page_gap(incident_id, "no_policy")
        return False
    incidents.add_event(incident_id, at, "paging_restarted", f"Paging again under {sev}'s urgency: {why}")
    return True


def _tell(
    messenger: Messenger,
    incident: Mapping[str, Any],
    people: list[str],
    summary: str,
    severity: Sev,
    raised_from: Sev | None,
    at: datetime,
) -> int:
    number = int(incident["number"])
    raised = f" and raised it from {raised_from} to {incident['sev']}" if raised_from else ""
    return messenger.remind(
        user_ids=people,
        incident_id=str(incident["id"]),
        number=number,
        subject=f"[{incident['sev']}] #{number} new alert: {summary}"[:200],
        text=f"A {severity} alert joined incident #{number} ({incident['title']}){raised}: {summary}",
        # One message per incident per few minutes, however many alerts join meanwhile.
        key=f"joined:{incident['id']}:{int(at.timestamp()) // TELL_EVERY_SECONDS}",
        now=at,
    )
