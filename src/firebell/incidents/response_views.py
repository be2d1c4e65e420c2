"""The incident page's working parts: roles, checklists, notes, severity, the mitigation step, the
communications composer, the war room, the timeline export, and the template editor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from firebell.bootstrap import Container
from firebell.incidents import mitigation, response
from firebell.incidents.checklists import Happening
from firebell.incidents.comms import FIELD_LABELS, SAMPLE, TEMPLATES, Audience
from firebell.incidents.queries import get_incident, timeline
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.response_api import compose_for, person, record_outcome
from firebell.incidents.roles import Role
from firebell.incidents.templating import default_source
from firebell.incidents.timeline import Entry, markdown_table, mermaid_gantt
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, ValidationFailed
from firebell.kernel.severity import Sev
from firebell.paging import service as paging
from firebell.paging.joins import change_severity
from firebell.paging.repo import SqlPagingRepo
from firebell.statuspage.model import ComponentStatus
from firebell.statuspage.model import IncidentStatus as PublicState
from firebell.statuspage.repo import SqlStatusPageRepo
from firebell.statuspage.service import publish_from_incident
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import CsrfSession, UserSession, render

router = APIRouter()


def _back(ref: str, error: str = "", anchor: str = "") -> Response:
    query = f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/incidents/{quote(ref)}{query}{anchor}", status_code=303)


def _do(container: Container, ref: str, act: Callable[[Connection, str], Any], anchor: str = "") -> Response:
    """Run a change on the incident in one transaction; back to its page, with the error if any."""
    try:
        with transaction(container.engine, write=True) as conn:
            act(conn, str(get_incident(conn, ref)["id"]))
    except (DomainError, ValueError) as exc:
        return _back(ref, exc.message if isinstance(exc, DomainError) else str(exc), anchor)
    container.changes.bump()
    container.sent()
    return _back(ref, anchor=anchor)


@router.post("/incidents/{ref}/roles")
def assign_role(
    ref: str,
    container: ContainerDep,
    session: CsrfSession,
    role: Annotated[str, Form()],
    user: Annotated[str, Form()],
) -> Response:
    def act(conn: Connection, incident_id: str) -> None:
        response.assign_role(
            SqlIncidentRepo(conn),
            incident_id=incident_id,
            role=Role.parse(role),
            user=person(conn, user),
            actor=session.email,
            at=container.clock.now(),
            actor_id=session.principal.user_id,
            messenger=container.messenger(conn),
        )

    return _do(container, ref, act, "#roles")


@router.post("/incidents/{ref}/roles/{role}/remove")
def remove_role(
    ref: str, role: str, container: ContainerDep, session: CsrfSession, user: Annotated[str, Form()] = ""
) -> Response:
    def act(conn: Connection, incident_id: str) -> None:
        response.unassign_role(
            SqlIncidentRepo(conn),
            incident_id=incident_id,
            role=Role.parse(role),
            user=person(conn, user) if user else None,
            actor=session.email,
            at=container.clock.now(),
        )

    return _do(container, ref, act, "#roles")


@router.post("/incidents/{ref}/checklists/{list_key}/{item_key}")
def tick(
    ref: str,
    list_key: str,
    item_key: str,
    container: ContainerDep,
    session: CsrfSession,
    done: Annotated[str, Form()] = "1",
) -> Response:
    def act(conn: Connection, incident_id: str) -> None:
        response.tick(
            SqlIncidentRepo(conn),
            incident_id=incident_id,
            list_key=list_key,
            item_key=item_key,
            done=done == "1",
            actor=session.email,
            at=container.clock.now(),
        )

    return _do(container, ref, act, "#checklists")


@router.post("/incidents/{ref}/notes")
def add_note(ref: str, container: ContainerDep, session: CsrfSession, text: Annotated[str, Form()] = "") -> Response:
    def act(conn: Connection, incident_id: str) -> None:
        response.add_note(
            SqlIncidentRepo(conn), incident_id=incident_id, text=text, actor=session.email, at=container.clock.now()
        )

    return _do(container, ref, act, "#timeline")


@router.post("/incidents/{ref}/severity")
def set_severity(
    ref: str,
    container: ContainerDep,
    session: CsrfSession,
    severity: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    def act(conn: Connection, incident_id: str) -> None:
        change_severity(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident_id,
            sev=Sev.parse(severity),
            actor=session.email,
            at=container.clock.now(),
            reason=reason,
        )

    return _do(container, ref, act)


@router.post("/incidents/{ref}/mitigations")
async def choose_mitigation(request: Request, ref: str, container: ContainerDep, session: CsrfSession) -> Response:
    form = await request.form()
    answers = {q: form.get(q.value) == "yes" for q in mitigation.Question if form.get(q.value) in ("yes", "no")}

    def act(conn: Connection, incident_id: str) -> None:
        response.choose_mitigation(
            SqlIncidentRepo(conn),
            incident_id=incident_id,
            answers=answers,
            actor=session.email,
            at=container.clock.now(),
        )

    return _do(container, ref, act, "#mitigation")


@router.post("/incidents/{ref}/mitigations/{mitigation_id}/outcome")
def mitigation_outcome(
    ref: str,
    mitigation_id: str,
    container: ContainerDep,
    session: CsrfSession,
    outcome: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    def act(conn: Connection, incident_id: str) -> None:
        record_outcome(conn, container, incident_id, mitigation_id, mitigation.Outcome(outcome), note, session.email)

    return _do(container, ref, act, "#mitigation")


@router.post("/incidents/{ref}/escalate")
def escalate(ref: str, container: ContainerDep, session: CsrfSession, reason: Annotated[str, Form()] = "") -> Response:
    def act(conn: Connection, incident_id: str) -> None:
        level = paging.escalate_further(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident_id,
            actor=session.email,
            reason=reason,
            now=container.clock.now(),
        )
        if level is None:
            raise ValidationFailed.field("policy", "this incident has no escalation policy to escalate through")

    return _do(container, ref, act)


@router.post("/incidents/{ref}/war-room")
def war_room(ref: str, container: ContainerDep, session: CsrfSession) -> Response:
    def act(conn: Connection, incident_id: str) -> None:
        incident = get_incident(conn, incident_id)
        _subject, text = compose_for(conn, container, incident, "initial.slack", {})
        response.open_war_room(
            SqlIncidentRepo(conn),
            container.messenger(conn),
            incident_id=incident_id,
            actor=session.email,
            at=container.clock.now(),
            text=text,
        )

    return _do(container, ref, act)


def _fields(form: Any, template: str) -> dict[str, str]:
    wanted = TEMPLATES[template].fields if template in TEMPLATES else ()
    return {f: str(form.get(f"field_{f}") or "") for f in wanted if form.get(f"field_{f}")}


@router.post("/incidents/{ref}/compose", response_class=HTMLResponse)
async def compose_preview(
    request: Request, ref: str, conn: ReadConn, container: ContainerDep, session: UserSession
) -> Response:
    """The composer's preview (HTMX): the template rendered with what has been typed so far."""
    form = await request.form()
    template = str(form.get("template") or "update.slack")
    incident = get_incident(conn, ref)
    try:  # the render waits for a template worker: in a thread, never on the event loop
        subject, body = await run_in_threadpool(
            compose_for, conn, container, incident, template, _fields(form, template)
        )
        problem = ""
    except DomainError as exc:
        subject, body, problem = "", "", exc.message
    return render(
        request,
        "incident_compose.html",
        session,
        incident=incident,
        template=TEMPLATES.get(template),
        templates=list(TEMPLATES.values()),
        labels=FIELD_LABELS,
        values=_fields(form, template),
        subject=subject,
        body=body,
        problem=problem,
        audiences=[a.value for a in Audience],
    )


@router.post("/incidents/{ref}/communications")
async def send(request: Request, ref: str, container: ContainerDep, session: CsrfSession) -> Response:
    form = await request.form()
    template = str(form.get("template") or "")
    audiences = [Audience(a) for a in form.getlist("audience") if a in {x.value for x in Audience}]

    def act(conn: Connection, incident_id: str) -> None:
        if template not in TEMPLATES or not TEMPLATES[template].audiences:
            raise ValidationFailed.field("template", "choose a Slack or email template to send")
        incident = get_incident(conn, incident_id)
        subject, text = compose_for(conn, container, incident, template, _fields(form, template))
        # Only what the person changed overrides the fresh render.
        edited_subject = str(form.get("subject") or "").strip()
        if edited_subject == str(form.get("previewed_subject") or "").strip():
            edited_subject = ""
        edited_body = str(form.get("body") or "")
        if _same_text(edited_body, str(form.get("previewed_body") or "")):
            edited_body = ""
        response.send_communication(
            SqlIncidentRepo(conn),
            container.messenger(conn),
            incident_id=incident_id,
            template_key=template,
            subject=edited_subject or subject,
            body=edited_body if edited_body.strip() else text,
            audiences=audiences,
            actor=session.email,
            at=container.clock.now(),
        )

    return await run_in_threadpool(_do, container, ref, act, "#communications")  # renders: off the loop


@router.post("/incidents/{ref}/status-page")
async def publish(request: Request, ref: str, container: ContainerDep, session: CsrfSession) -> Response:
    """Publish the incident's state to the public status page (reviewed text only)."""
    form = await request.form()
    chosen = [str(c) for c in form.getlist("component")]

    def act(conn: Connection, incident_id: str) -> None:
        state = PublicState(str(form.get("state") or ""))
        outage = ComponentStatus(str(form.get("component_status") or "partial_outage"))
        now = container.clock.now()
        publish_from_incident(
            repo=SqlStatusPageRepo(conn),
            timeline=SqlIncidentRepo(conn),
            internal_incident_id=incident_id,
            state=state,
            body=str(form.get("body") or "").strip() or None,
            components=dict.fromkeys(chosen, outage) or None,
            name=str(form.get("name") or "").strip() or None,
            actor=session.email,
            now=now,
        )
        response.happened(SqlIncidentRepo(conn), incident_id, Happening.STATUS_PAGE_UPDATED, now, session.email)

    return _do(container, ref, act, "#status-page")


def _same_text(a: str, b: str) -> bool:
    """Equal but for line endings and trailing space (browsers send textareas with CRLF)."""

    def norm(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().splitlines())

    return norm(a) == norm(b)


@router.get("/incidents/{ref}/timeline.md", response_class=PlainTextResponse)
def timeline_markdown(ref: str, conn: ReadConn, _session: UserSession) -> Response:
    incident = get_incident(conn, ref)
    entries = [Entry(r["at"], r["kind"], r["actor"], r["message"]) for r in timeline(conn, str(incident["id"]))]
    return PlainTextResponse(markdown_table(entries), media_type="text/markdown; charset=utf-8")


@router.get("/incidents/{ref}/timeline.mmd", response_class=PlainTextResponse)
def timeline_mermaid(ref: str, conn: ReadConn, container: ContainerDep, _session: UserSession) -> Response:
    incident = get_incident(conn, ref)
    entries = [Entry(r["at"], r["kind"], r["actor"], r["message"]) for r in timeline(conn, str(incident["id"]))]
    end = incident["resolved_at"] or container.clock.now()
    return PlainTextResponse(mermaid_gantt(entries, f"Incident {incident['number']} {incident['title']}", end))


@router.get("/templates", response_class=HTMLResponse)
def templates_page(request: Request, conn: ReadConn, session: UserSession) -> Response:
    edited = SqlIncidentRepo(conn).template_overrides()
    rows = [
        {"template": t, "body": edited.get(t.key) or default_source(t.key), "edited": t.key in edited}
        for t in TEMPLATES.values()
    ]
    return render(
        request,
        "message_templates.html",
        session,
        rows=rows,
        labels=FIELD_LABELS,
        error=request.query_params.get("error"),
        saved=request.query_params.get("saved"),
    )


@router.post("/templates/{key}")
def save_template(
    key: str,
    container: ContainerDep,
    session: CsrfSession,
    body: Annotated[str, Form()] = "",
    reset: Annotated[str, Form()] = "",
) -> Response:
    try:
        default_source(key)
        if not reset:
            container.templates.check(body, sample=SAMPLE)
        with transaction(container.engine, write=True) as conn:
            SqlIncidentRepo(conn).save_template(key, None if reset else body, container.clock.now(), session.email)
    except DomainError as exc:
        return RedirectResponse(f"/templates?error={quote(exc.message)}#{quote(key)}", status_code=303)
    return RedirectResponse(f"/templates?saved={quote(key)}#{quote(key)}", status_code=303)
