"""Incident pages: the open-incident board and one incident with its alerts and timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from firebell.actionitems.repo import SqlActionItemRepo
from firebell.alerts.queries import count_alerts, list_alerts
from firebell.bootstrap import Container, incident_topic
from firebell.catalog.queries import dependency_chain
from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Role as AccessRole
from firebell.identity.repo import SqlIdentityRepo
from firebell.incidents.business_time import DEFAULT as DEFAULT_HOURS
from firebell.incidents.classifier import TEXT, Question, classify
from firebell.incidents.comms import FIELD_LABELS, TEMPLATES
from firebell.incidents.mitigation import TEXT as MITIGATION_TEXT
from firebell.incidents.mitigation import Question as MitigationQuestion
from firebell.incidents.queries import (
    STATUS_FILTERS,
    fingerprint,
    get_incident,
    list_incidents,
    response_view,
    target_view,
    timeline,
)
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.response_api import compose_for
from firebell.incidents.roles import Role
from firebell.incidents.service import DetectionSource, declare
from firebell.incidents.severity_config import listing
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.incidents.state import IncidentStatus, allowed_moves
from firebell.incidents.timeline import condense
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, ValidationFailed
from firebell.kernel.severity import Sev
from firebell.oncall.service import policy_from_row
from firebell.paging import service as paging
from firebell.paging.api import delivery_log
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.runner import sends_finished
from firebell.paging.service import start_paging
from firebell.paging.summary import IncidentSummary, summarize
from firebell.paging.views import reassign_choices, responder_choices
from firebell.playbooks.queries import incident_playbooks
from firebell.postmortems.repo import SqlPostmortemRepo
from firebell.runbooks.queries import incident_runbook
from firebell.statuspage.model import IncidentStatus as PublicState
from firebell.statuspage.repo import SqlStatusPageRepo
from firebell.web.deps import ContainerDep, ReadConn, require_on_service
from firebell.web.pages import CsrfSession, UserSession, is_partial, render

router = APIRouter()


@router.get("/incidents", response_class=HTMLResponse)
def board(
    request: Request,
    conn: ReadConn,
    session: UserSession,
    status: str = "open",
    service: str = "",
    sev: str = "",
) -> Response:
    status = status if status in STATUS_FILTERS or status == "all" else "open"
    incidents = list_incidents(
        conn,
        status=None if status == "all" else status,
        service=service or None,
        sev=sev or None,
        limit=200,
        worst_first=status == "open",
    )
    context = {"incidents": incidents, "status": status, "service": service, "sev": sev}
    if is_partial(request):
        return render(request, "incidents_rows.html", session, **context)
    services = [s["name"] for s in SqlCatalogRepo(conn).services()]
    return render(request, "incidents.html", session, services=services, statuses=sorted(STATUS_FILTERS), **context)


@router.get("/incidents/declare", response_class=HTMLResponse)
def declare_form(request: Request, conn: ReadConn, session: UserSession, sev: str = "") -> Response:
    services = [s["name"] for s in SqlCatalogRepo(conn).services()]
    chosen = sev if sev in {s.value for s in Sev} else ""
    return render(
        request,
        "declare.html",
        session,
        services=services,
        sevs=[s.value for s in Sev],
        chosen=chosen,
        sources=[d.value for d in DetectionSource if d is not DetectionSource.ALERT],
        error=request.query_params.get("error"),
    )


@router.post("/incidents/declare")
def declare_action(
    container: ContainerDep,
    session: CsrfSession,
    title: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "",
    service: Annotated[str, Form()] = "",
    affected: Annotated[list[str] | None, Form()] = None,
    impact: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "user_report",
) -> Response:
    require_on_service(container, session.principal, service, AccessRole.RESPONDER)  # refused: the 403 page
    try:
        sev = Sev.parse(severity)
        now = container.clock.now()
        with transaction(container.engine, write=True) as conn:
            catalog = SqlCatalogRepo(conn)

            def service_id(name: str, field: str) -> str:
                row = catalog.service_by_name(name)
                if row is None:
                    raise ValidationFailed.field(field, f"no service named {name!r}")
                return str(row["id"])

            main = service_id(service, "service") if service else None
            incident_id, number = declare(
                SqlIncidentRepo(conn),
                title=title,
                sev=sev,
                service_id=main,
                affected_service_ids=[service_id(a, "affected") for a in affected or [] if a != service],
                impact=impact.strip()[:5000],
                source=DetectionSource(source),
                actor=session.email,
                at=now,
            )
            if main is not None:
                start_paging(
                    SqlPagingRepo(conn),
                    SqlIncidentRepo(conn),
                    incident_id=incident_id,
                    service_id=main,
                    sev=sev,
                    at=now,
                )
    except (DomainError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        back = f"/incidents/declare?sev={quote(severity)}&error={quote(message)}"
        return RedirectResponse(back, status_code=303)
    container.sent()
    container.changes.bump()
    return RedirectResponse(f"/incidents/{number}", status_code=303)


ALERTS_SHOWN = 20  # the most recent alerts an incident page lists


@router.get("/incidents/{ref}", response_class=HTMLResponse)
def detail(request: Request, ref: str, conn: ReadConn, container: ContainerDep, session: UserSession) -> Response:
    partial = is_partial(request)
    full_timeline = request.query_params.get("timeline") == "full"

    incident = get_incident(conn, ref)

    def build() -> dict[str, Any]:
        return _detail_data(conn, container, incident, partial=partial, full_timeline=full_timeline)

    # Everyone reading this incident meanwhile shares its data (see infra/snapshots.py); the page
    # itself is rendered for each of them, with their own session and buttons.
    key = ("page.incident", incident["id"], partial, full_timeline)
    told = request.query_params.get("v", "")
    at_least = int(told) if told.isdigit() and len(told) < 19 else 0
    data = container.snapshots.get(key, incident_topic(str(incident["id"])), fingerprint(incident), build, at_least)
    return render(
        request,
        "incident_body.html" if partial else "incident.html",
        session,
        **data,
        error=request.query_params.get("error"),
    )


def _detail_data(
    conn: Connection, container: Container, incident: dict[str, Any], *, partial: bool, full_timeline: bool
) -> dict[str, Any]:
    """What an incident's page shows, the same for everyone who reads it."""
    now = container.clock.now()
    terms = SqlSeverityTargetsRepo(conn).terms_of(incident)
    work = response_view(conn, incident, now, terms)
    # A storm can put thousands of alerts into one incident that many people watch: the page shows the
    # most recent and links to all of them, and shortens runs of alert entries on the timeline.
    alerts = list_alerts(conn, incident_id=incident["id"], limit=ALERTS_SHOWN)
    alerts_total = len(alerts) if len(alerts) < ALERTS_SHOWN else count_alerts(conn, incident_id=incident["id"])
    entries = timeline(conn, incident["id"])
    people = [p for p in SqlIdentityRepo(conn).people() if p.get("handle") or p.get("email")]
    escalations = SqlPagingRepo(conn).escalations_of(incident["id"])
    deliveries = delivery_log(conn, incident_id=incident["id"], status=None, limit=200)
    return {
        "incident": incident,
        "summary": incident_summary(conn, incident, escalations, deliveries, people, now),
        "live_incident": incident["id"],  # its live updates: changes to this incident only
        "work": work,
        "people": people,
        "roles": list(Role),
        "templates": [t for t in TEMPLATES.values() if t.audiences],
        "labels": FIELD_LABELS,
        "questions": [(q.value, MITIGATION_TEXT[q]) for q in MitigationQuestion],
        "sevs": [s.value for s in Sev],
        "public": public_view(conn, container, incident),
        "alerts": alerts,
        "alerts_total": alerts_total,
        "runbook": incident_runbook(conn, incident, alerts),
        "playbooks": None if partial else incident_playbooks(conn, incident, alerts),
        "dependencies": dependency_chain(conn, str(incident["service_id"])) if incident.get("service_id") else [],
        "timeline": entries if full_timeline else condense(entries),
        "full_timeline": full_timeline,
        "escalations": escalations,
        "deliveries": deliveries,
        "reassign_to": reassign_choices(conn),
        "page_choices": responder_choices(conn),
        "targets": target_view(incident, now, terms, work["next_update_due"]),
        "postmortem": SqlPostmortemRepo(conn).for_incident(str(incident["id"])),
        "action_items": SqlActionItemRepo(conn).listing(incident_id=str(incident["id"])),
        "moves": [m.value for m in allowed_moves(IncidentStatus(incident["status"]))],
    }


def incident_summary(
    conn: Connection,
    incident: dict[str, Any],
    escalations: list[dict[str, Any]],
    deliveries: list[dict[str, Any]],
    people: list[dict[str, Any]],
    now: datetime,
) -> IncidentSummary:
    """The top of the page: state, who is paged now and whether it got through, what comes next."""
    repo = SqlPagingRepo(conn)
    policy_ids = {str(e["policy_id"]) for e in escalations if e.get("policy_id")}
    policies = {str(row["id"]): policy_from_row(row) for row in repo.policies(policy_ids)} if policy_ids else {}
    return summarize(
        incident,
        escalations=escalations,
        pages=repo.pages_of(incident["id"]),
        deliveries=deliveries,
        policies=policies,
        names={str(p["id"]): str(p.get("display_name") or p.get("handle") or p.get("email")) for p in people},
        now=now,
    )


_PUBLIC_STATE = {"identified": "identified", "resolving": "monitoring", "resolved": "resolved", "closed": "resolved"}


def public_view(conn: Connection, container: Container, incident: dict[str, Any]) -> dict[str, Any]:
    """The incident's public status-page incident, the components, and a suggested update to review."""
    repo = SqlStatusPageRepo(conn)
    linked = repo.linked_incident(str(incident["id"]))
    state = _PUBLIC_STATE.get(str(incident["status"]), "investigating")
    key = f"customer.{state if state != 'monitoring' else 'identified'}"
    components = {str(c["id"]): str(c["name"]) for c in repo.components()}
    shown = [components[c] for c in (linked or {}).get("components") or {} if c in components]
    try:  # in public words only: the components it names, else "our service"
        _subject, text = compose_for(conn, container, incident, key, {}, public_names=shown)
    except DomainError:
        text = ""
    return {
        "linked": linked,
        "components": list(components.values()),
        "state": state,
        "states": [s.value for s in PublicState],
        "suggested": text.strip(),
    }


@router.post("/incidents/{ref}/move/{target}")
def move_action(ref: str, target: str, container: ContainerDep, session: CsrfSession) -> Response:
    try:
        status = IncidentStatus(target)
        with transaction(container.engine, write=True) as conn:
            incident = get_incident(conn, ref)
            repo, now = SqlIncidentRepo(conn), container.clock.now()
            paging.move_to(
                incidents=repo,
                paging=SqlPagingRepo(conn),
                incident_id=incident["id"],
                current=IncidentStatus(incident["status"]),
                target=status,
                actor=session.email,
                via="the web UI",
                now=now,
                actor_id=session.principal.user_id,
            )
    except (DomainError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else f"unknown state {target}"
        return RedirectResponse(f"/incidents/{quote(ref)}?error={quote(message)}", status_code=303)
    container.changes.bump()
    sends_finished(container, str(incident["id"]))  # the answer comes after the pages already on their way
    return RedirectResponse(f"/incidents/{ref}", status_code=303)


@router.get("/classify", response_class=HTMLResponse)
def severity_wizard(request: Request, conn: ReadConn, session: UserSession) -> Response:
    """The decision tree one question at a time (the answers so far ride in the query string), and
    each severity's response targets as configured."""
    answers = {
        question: request.query_params[question.value] == "yes"
        for question in Question
        if request.query_params.get(question.value) in ("yes", "no")
    }
    result = classify(answers)
    carried = {question.value: "yes" if answer else "no" for question, answer in answers.items()}
    next_text = TEXT[result.next_question] if result.next_question else None
    severities = listing(SqlSeverityTargetsRepo(conn).stored())
    return render(
        request, "classify.html", session, result=result, carried=carried, next_text=next_text, severities=severities,
        working_hours=DEFAULT_HOURS.describe(),
    )  # fmt: skip
