"""The API of running an incident: roles, checklists, notes, severity, mitigation, communications,
the war room, the timeline export and the communication templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.engine import Connection

from firebell.bootstrap import Container
from firebell.catalog.repo import SqlCatalogRepo
from firebell.incidents import mitigation, response
from firebell.incidents.comms import FIELD_LABELS, SAMPLE, TEMPLATES
from firebell.incidents.queries import get_incident, response_view, timeline
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.roles import Role
from firebell.incidents.schemas import (
    ComposeRequest,
    MitigationRequest,
    MoveRequest,
    NoteRequest,
    OutcomeRequest,
    RoleRequest,
    SendRequest,
    SeverityRequest,
    TemplateWrite,
    TickRequest,
)
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.incidents.state import IncidentStatus
from firebell.incidents.templating import default_source
from firebell.incidents.timeline import Entry, markdown_table, mermaid_gantt
from firebell.infra.db import transaction
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.severity import Sev
from firebell.paging import service as paging
from firebell.paging.api import reassign_target
from firebell.paging.joins import change_severity
from firebell.paging.repo import SqlPagingRepo
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder

router = APIRouter(prefix="/api/v1", tags=["incident response"])


def _act(container: Container, ref: str, act: Callable[[Connection, str], Any]) -> dict[str, Any]:
    """Run `act(conn, incident_id)` in one write transaction; then the incident's response view."""
    with transaction(container.engine, write=True) as conn:
        incident_id = get_incident(conn, ref)["id"]
        act(conn, incident_id)
    container.changes.bump()
    container.sent()
    with container.engine.connect() as conn:
        incident = get_incident(conn, incident_id)
        terms = SqlSeverityTargetsRepo(conn).terms_of(incident)
        view = response_view(conn, incident, container.clock.now(), terms)
        return {"id": incident_id, "number": incident["number"], **view}


def _role(text: str) -> Role:
    try:
        return Role.parse(text)
    except ValueError as exc:
        raise ValidationFailed.field("role", str(exc)) from None


def person(conn: Connection, user: str) -> tuple[str, str]:
    _policy, person = reassign_target(conn, policy=None, user=user)
    assert person is not None  # noqa: S101 - reassign_target raises when nobody matches
    return person


@router.get("/incidents/{ref}/response", summary="Roles, checklists, mitigation, communications, changes")
def get_response(ref: str, conn: ReadConn, container: ContainerDep, _caller: Reader) -> dict[str, Any]:
    incident = get_incident(conn, ref)
    view = response_view(conn, incident, container.clock.now(), SqlSeverityTargetsRepo(conn).terms_of(incident))
    return {"id": incident["id"], "number": incident["number"], **view}


@router.post("/incidents/{ref}/roles", summary="Give a person a role (single-holder roles are handed over)")
def assign_role(ref: str, body: RoleRequest, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    role = _role(body.role)

    def act(conn: Connection, incident_id: str) -> None:
        response.assign_role(
            SqlIncidentRepo(conn),
            incident_id=incident_id,
            role=role,
            user=person(conn, body.user),
            actor=caller.name,
            at=container.clock.now(),
            actor_id=caller.user_id,
            messenger=container.messenger(conn),
        )

    return _act(container, ref, act)


@router.delete("/incidents/{ref}/roles/{role}", summary="Take a role from a person (or from everyone)")
def remove_role(
    ref: str,
    role: str,
    container: ContainerDep,
    caller: Responder,
    user: Annotated[str | None, Query(description="handle or email; default everyone holding it")] = None,
) -> dict[str, Any]:
    parsed = _role(role)

    def act(conn: Connection, incident_id: str) -> None:
        response.unassign_role(
            SqlIncidentRepo(conn),
            incident_id=incident_id,
            role=parsed,
            user=person(conn, user) if user else None,
            actor=caller.name,
            at=container.clock.now(),
        )

    return _act(container, ref, act)


@router.post("/incidents/{ref}/checklists/{list_key}/{item_key}", summary="Tick or untick a checklist item")
def tick(
    ref: str, list_key: str, item_key: str, body: TickRequest, container: ContainerDep, caller: Responder
) -> dict[str, Any]:
    def act(conn: Connection, incident_id: str) -> None:
        response.tick(
            SqlIncidentRepo(conn),
            incident_id=incident_id,
            list_key=list_key,
            item_key=item_key,
            done=body.done,
            actor=caller.name,
            at=container.clock.now(),
        )

    return _act(container, ref, act)


@router.post("/incidents/{ref}/notes", summary="Add a note to the timeline (the Scribe's record)")
def add_note(ref: str, body: NoteRequest, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    def act(conn: Connection, incident_id: str) -> None:
        response.add_note(
            SqlIncidentRepo(conn), incident_id=incident_id, text=body.text, actor=caller.name, at=container.clock.now()
        )

    return _act(container, ref, act)


@router.post("/incidents/{ref}/severity", summary="Change the severity (on the timeline, with the reason)")
def set_severity(ref: str, body: SeverityRequest, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    try:
        sev = Sev.parse(body.severity)
    except ValueError as exc:
        raise ValidationFailed.field("severity", str(exc)) from None

    def act(conn: Connection, incident_id: str) -> None:
        change_severity(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident_id,
            sev=sev,
            actor=caller.name,
            at=container.clock.now(),
            reason=body.reason,
        )

    return _act(container, ref, act)


@router.post("/mitigation/decide", summary="The mitigation decision tree, one answer at a time")
def decide(body: MitigationRequest, _caller: Reader) -> dict[str, Any]:
    walk = mitigation.decide(body.answers)
    plan = walk.plan
    return {
        "strategy": plan.strategy.value if plan else None,
        "plan": {"title": plan.title, "risk": plan.risk, "steps": plan.steps, "verify": plan.verify} if plan else None,
        "path": [{"question": q.value, "text": mitigation.TEXT[q], "answer": a} for q, a in walk.path],
        "next_question": walk.next_question.value if walk.next_question else None,
        "next_question_text": mitigation.TEXT[walk.next_question] if walk.next_question else None,
    }


@router.post("/incidents/{ref}/mitigations", summary="Record the strategy the decision tree leads to")
def choose_mitigation(ref: str, body: MitigationRequest, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    def act(conn: Connection, incident_id: str) -> None:
        response.choose_mitigation(
            SqlIncidentRepo(conn),
            incident_id=incident_id,
            answers=body.answers,
            actor=caller.name,
            at=container.clock.now(),
        )

    return _act(container, ref, act)


@router.post(
    "/incidents/{ref}/mitigations/{mitigation_id}/outcome",
    summary="Record how a mitigation went; not resolved escalates to the next level",
)
def mitigation_outcome(
    ref: str, mitigation_id: str, body: OutcomeRequest, container: ContainerDep, caller: Responder
) -> dict[str, Any]:
    def act(conn: Connection, incident_id: str) -> None:
        record_outcome(conn, container, incident_id, mitigation_id, body.outcome, body.note, caller.name)

    return _act(container, ref, act)


def record_outcome(
    conn: Connection,
    container: Container,
    incident_id: str,
    mitigation_id: str,
    outcome: mitigation.Outcome,
    note: str,
    actor: str,
) -> None:
    """Record the outcome; when the strategy did not resolve the issue, escalate as the tree says."""
    repo, now = SqlIncidentRepo(conn), container.clock.now()
    then = response.mitigation_outcome(
        repo, incident_id=incident_id, mitigation_id=mitigation_id, outcome=outcome, note=note, actor=actor, at=now
    )
    still_open = IncidentStatus(get_incident(conn, incident_id)["status"]).is_open
    if outcome is mitigation.Outcome.NOT_RESOLVED and then == "Escalate" and still_open:
        paging.escalate_further(
            incidents=repo,
            paging=SqlPagingRepo(conn),
            incident_id=incident_id,
            actor=actor,
            reason="the mitigation did not resolve the issue",
            now=now,
        )


@router.post("/incidents/{ref}/escalate", summary="Page the next level of the escalation policy now")
def escalate(ref: str, container: ContainerDep, caller: Responder, body: MoveRequest | None = None) -> dict[str, Any]:
    def act(conn: Connection, incident_id: str) -> None:
        level = paging.escalate_further(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident_id,
            actor=caller.name,
            reason=body.note if body else "",
            now=container.clock.now(),
        )
        if level is None:
            raise ValidationFailed.field("policy", "this incident has no escalation policy to escalate through")

    return _act(container, ref, act)


# --- communications -------------------------------------------------------------------------------


def compose_for(
    conn: Connection,
    container: Container,
    incident: dict[str, Any],
    key: str,
    fields: dict[str, str],
    public_names: list[str] | None = None,
) -> Any:
    """Render a template for the incident. `public_names` (for text customers read) stands in for
    the internal service names, which must not reach the public page."""
    repo = SqlIncidentRepo(conn)
    if key not in TEMPLATES:
        raise ValidationFailed.field("template", f"unknown template {key!r}; use one of {', '.join(TEMPLATES)}")
    source = repo.template_overrides().get(key) or default_source(key)
    names = {str(s["id"]): str(s["name"]) for s in SqlCatalogRepo(conn).services()}
    affected = [names.get(s, s) for s in incident.get("affected_service_ids") or []]
    service = str(incident.get("service") or "")
    services = affected or ([service] if service else [])
    if public_names is not None:
        service, services = "", public_names
    facts = response.facts_of(
        incident,
        roles=repo.roles(str(incident["id"])),
        service=service,
        services=services,
        url=f"{container.settings.base_url()}/incidents/{incident['number']}",
        now=container.clock.now(),
        terms=SqlSeverityTargetsRepo(conn).terms_of(incident),
    )
    return response.compose(key, source, facts, fields, container.templates.render)


@router.post("/incidents/{ref}/communications/preview", summary="Render a template for this incident")
def preview(ref: str, body: ComposeRequest, conn: ReadConn, container: ContainerDep, _caller: Reader) -> dict[str, Any]:
    incident = get_incident(conn, ref)
    subject, text = compose_for(conn, container, incident, body.template, body.fields)
    template = TEMPLATES[body.template]
    return {"template": body.template, "subject": subject, "body": text, "audiences": list(template.audiences)}


@router.post("/incidents/{ref}/communications", status_code=201, summary="Send a communication")
def send(ref: str, body: SendRequest, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    template = TEMPLATES.get(body.template)
    if template is None:
        raise ValidationFailed.field("template", f"unknown template {body.template!r}")
    if not template.audiences:
        raise ValidationFailed.field(
            "template", "customer texts go to the status page: publish them with /incidents/{ref}/status-updates"
        )
    sent: list[str] = []

    def act(conn: Connection, incident_id: str) -> None:
        incident = get_incident(conn, incident_id)
        subject, text = compose_for(conn, container, incident, body.template, body.fields)
        sent.extend(
            response.send_communication(
                SqlIncidentRepo(conn),
                container.messenger(conn),
                incident_id=incident_id,
                template_key=body.template,
                subject=(body.subject or subject).strip() or subject,
                body=body.body if body.body and body.body.strip() else text,
                audiences=body.audiences or list(template.audiences),
                actor=caller.name,
                at=container.clock.now(),
            )
        )

    result = _act(container, ref, act)
    return {"sent_to": sent, **result}


@router.post("/incidents/{ref}/war-room", summary="Name the war room and create it in Slack (with a bot token)")
def war_room(ref: str, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    def act(conn: Connection, incident_id: str) -> None:
        incident = get_incident(conn, incident_id)
        _subject, text = compose_for(conn, container, incident, "initial.slack", {})
        response.open_war_room(
            SqlIncidentRepo(conn),
            container.messenger(conn),
            incident_id=incident_id,
            actor=caller.name,
            at=container.clock.now(),
            text=text,
        )

    return _act(container, ref, act)


@router.get("/incidents/{ref}/timeline", summary="The timeline as JSON, a markdown table or a mermaid gantt")
def get_timeline(
    ref: str,
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    format: Annotated[Literal["json", "markdown", "mermaid"], Query()] = "json",
) -> Response:
    incident = get_incident(conn, ref)
    rows = timeline(conn, str(incident["id"]))
    entries = [Entry(r["at"], r["kind"], r["actor"], r["message"]) for r in rows]
    if format == "markdown":
        return PlainTextResponse(markdown_table(entries), media_type="text/markdown")
    if format == "mermaid":
        end = incident["resolved_at"] or container.clock.now()
        return PlainTextResponse(mermaid_gantt(entries, f"Incident {incident['number']} {incident['title']}", end))
    return JSONResponse(
        [{"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "message": e.message} for e in entries]
    )


@router.get("/message-templates", summary="The communication templates (shipped or edited)")
def list_templates(conn: ReadConn, _caller: Reader) -> list[dict[str, Any]]:
    edited = SqlIncidentRepo(conn).template_overrides()
    return [
        {
            "key": t.key,
            "title": t.title,
            "form": t.form.value,
            "fields": [{"name": f, "label": FIELD_LABELS[f]} for f in t.fields],
            "audiences": [a.value for a in t.audiences],
            "edited": t.key in edited,
            "body": edited.get(t.key) or default_source(t.key),
        }
        for t in TEMPLATES.values()
    ]


@router.put("/message-templates/{key}", summary="Edit a template (Jinja2, sandboxed)")
def save_template(key: str, body: TemplateWrite, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    default_source(key)  # refuses unknown keys
    container.templates.check(body.body, sample=SAMPLE)
    with transaction(container.engine, write=True) as conn:
        SqlIncidentRepo(conn).save_template(key, body.body, container.clock.now(), caller.name)
    return {"key": key, "edited": True}


@router.delete("/message-templates/{key}", summary="Go back to the shipped template")
def reset_template(key: str, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    default_source(key)
    with transaction(container.engine, write=True) as conn:
        SqlIncidentRepo(conn).save_template(key, None, container.clock.now(), caller.name)
    return {"key": key, "edited": False}
