"""The postmortem pages: the list, the editor with its RCA tools, and the printable page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError

from firebell.actionitems.api import add_item, find_user
from firebell.actionitems.model import Kind, Priority
from firebell.actionitems.schemas import ActionItemCreate
from firebell.bootstrap import Container
from firebell.identity.repo import SqlIdentityRepo
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, ValidationFailed
from firebell.kernel.severity import Sev
from firebell.postmortems import model, service
from firebell.postmortems.api import postmortem_of
from firebell.postmortems.document import load, meeting_checklist
from firebell.postmortems.drafting import ensure_draft
from firebell.postmortems.editing import Editor
from firebell.postmortems.export import timeline_entries
from firebell.postmortems.facts import span, team_rows
from firebell.postmortems.model import SECTIONS, TABLES, SignOff, Status, overdue
from firebell.postmortems.printable import printable_html
from firebell.postmortems.rca_view import TOOLS, outline_of, parse_tool
from firebell.postmortems.repo import SqlPostmortemRepo
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import CsrfSession, UserSession, render

router = APIRouter()


def _page(ref: str, error: str = "", anchor: str = "") -> Response:
    query = f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/incidents/{quote(ref)}/postmortem{query}{anchor}", status_code=303)


def _do(
    container: Container,
    ref: str,
    act: Callable[[Editor, dict[str, Any], dict[str, Any]], Any],
    actor: str,
    anchor: str = "",
) -> Response:
    """Run a change on the postmortem in one transaction; back to its page, with the error if any."""
    try:
        with transaction(container.engine, write=True) as conn:
            incident = get_incident(conn, ref)
            act(Editor(conn, actor=actor, at=container.clock.now()), incident, postmortem_of(conn, incident))
    except (DomainError, ValueError) as exc:
        return _page(ref, exc.message if isinstance(exc, DomainError) else str(exc), anchor)
    container.changes.bump()
    container.sent()
    return _page(ref, anchor=anchor)


@router.get("/postmortems", response_class=HTMLResponse)
def postmortems_page(request: Request, conn: ReadConn, container: ContainerDep, session: UserSession) -> Response:
    now = container.clock.now()
    rows = SqlPostmortemRepo(conn).listing()
    for row in rows:
        row["overdue"] = overdue(Status(row["status"]), row["due_at"], now)
        row["status_label"] = Status(row["status"]).label
    return render(request, "postmortems.html", session, nav="postmortems", postmortems=rows, now=now)


@router.get("/incidents/{ref}/postmortem", response_class=HTMLResponse)
def editor(
    ref: str, request: Request, conn: ReadConn, container: ContainerDep, session: UserSession, error: str = ""
) -> Response:
    incident = get_incident(conn, ref)
    pm = SqlPostmortemRepo(conn).for_incident(str(incident["id"]))
    if pm is None:
        return render(
            request,
            "postmortem_none.html",
            session,
            nav="postmortems",
            incident=incident,
            required=model.needs_postmortem(SqlSeverityTargetsRepo(conn).targets()[Sev(incident["sev"])]),
            error=error,
        )
    now = container.clock.now()
    found = load(conn, incident, pm)
    return render(
        request,
        "postmortem.html",
        session,
        nav="postmortems",
        incident=incident,
        pm=pm,
        found=found,
        facts=found.facts,
        team=team_rows(found.facts),
        span=span,
        timeline=timeline_entries(found.facts),
        sections=SECTIONS,
        tables=TABLES,
        tools=TOOLS,
        outlines={tool: outline_of(tool, (pm["rca"] or {}).get(tool)) for tool in TOOLS},
        checklist=meeting_checklist(found),
        agenda=model.AGENDA,
        signoff_roles=list(SignOff),
        signed={s["role"]: s for s in found.signoffs},
        status=found.status,
        moves=sorted(model.MOVES[found.status], key=lambda s: list(Status).index(s)),
        overdue=overdue(found.status, pm["due_at"], now),
        people=SqlIdentityRepo(conn).people(),
        priorities=list(Priority),
        kinds=list(Kind),
        error=error,
        now=now,
    )


@router.post("/incidents/{ref}/postmortem/create")
def create(ref: str, container: ContainerDep, session: CsrfSession) -> Response:
    try:
        with transaction(container.engine, write=True) as conn:
            ensure_draft(conn, get_incident(conn, ref), actor=session.email, at=container.clock.now())
    except DomainError as exc:
        return _page(ref, exc.message)
    container.changes.bump()
    return _page(ref)


def _tables_from_form(form: dict[str, str]) -> dict[str, list[list[str]]]:
    """Fields named `t__<table>__<row>__<column>` back into rows (blank rows dropped by the model)."""
    cells: dict[str, dict[int, dict[int, str]]] = {}
    for name, value in form.items():
        if not name.startswith("t__"):
            continue
        try:
            _t, key, row, col = name.split("__")
            cells.setdefault(key, {}).setdefault(int(row), {})[int(col)] = value
        except ValueError:
            raise ValidationFailed.field(name, "not a table cell") from None
    out: dict[str, list[list[str]]] = {}
    for key, rows in cells.items():
        width = len(model.TABLE_BY_KEY[key].columns) if key in model.TABLE_BY_KEY else 0
        out[key] = [[rows[r].get(c, "") for c in range(width)] for r in sorted(rows)]
    return out


@router.post("/incidents/{ref}/postmortem/save")
async def save(ref: str, request: Request, container: ContainerDep, session: CsrfSession) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}

    def act(edit: Editor, _incident: dict[str, Any], pm: dict[str, Any]) -> None:
        conn = edit.conn
        extra: dict[str, Any] = {}
        symptom = form.get("first_symptom_at", "").strip()
        if symptom:
            extra["first_symptom_at"] = _utc(symptom, "first_symptom_at")
        elif pm["first_symptom_at"] is not None:
            extra["first_symptom_at"] = None
        owner = form.get("owner", "")
        if owner != (pm["owner_handle"] or ""):
            extra["owner_id"] = find_user(conn, owner, "owner") if owner else None
        service.edit(
            SqlPostmortemRepo(conn),
            SqlIncidentRepo(conn),
            pm=pm,
            sections={s.key: form.get(f"s__{s.key}", "") for s in SECTIONS if f"s__{s.key}" in form},
            tables=_tables_from_form(form),
            version=int(form.get("version") or 0) or None,
            actor=session.email,
            at=container.clock.now(),
            **extra,
        )

    return _do(container, ref, act, session.email, "#write")


@router.post("/incidents/{ref}/postmortem/rca/{tool}")
def save_rca(
    ref: str,
    tool: str,
    container: ContainerDep,
    session: CsrfSession,
    outline: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    def act(edit: Editor, _incident: dict[str, Any], pm: dict[str, Any]) -> None:
        if tool not in TOOLS:
            raise ValidationFailed.field("tool", f"use one of {', '.join(TOOLS)}")
        edit.set_rca(pm, tool, parse_tool(tool, outline) if outline.strip() else None, version)

    return _do(container, ref, act, session.email, f"#rca-{tool}")


@router.post("/incidents/{ref}/postmortem/status")
def move(ref: str, container: ContainerDep, session: CsrfSession, status: Annotated[str, Form()]) -> Response:
    target = Status.parse(status)
    return _do(container, ref, lambda edit, incident, pm: edit.move(incident, pm, target), session.email)


@router.post("/incidents/{ref}/postmortem/sign")
def sign(ref: str, container: ContainerDep, session: CsrfSession, role: Annotated[str, Form()]) -> Response:
    def act(edit: Editor, _incident: dict[str, Any], pm: dict[str, Any]) -> None:
        if session.principal.user_id is None:
            raise ValidationFailed.field("user", "sign in as a person to sign off")
        edit.sign(pm, SignOff.parse(role), session.principal.user_id)

    return _do(container, ref, act, session.email, "#signoff")


def _utc(text: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed.field(field, "use YYYY-MM-DDTHH:MM (UTC)") from None


@router.post("/incidents/{ref}/postmortem/meeting")
def meeting(
    ref: str,
    container: ContainerDep,
    session: CsrfSession,
    at: Annotated[str, Form()],
    attendees: Annotated[str, Form()] = "",
) -> Response:
    def act(edit: Editor, _incident: dict[str, Any], pm: dict[str, Any]) -> None:
        edit.schedule(pm, _utc(at, "at"), attendees.replace("\n", ",").split(","))

    return _do(container, ref, act, session.email, "#meeting")


@router.post("/incidents/{ref}/postmortem/meeting/{phase}/{item}")
def tick(
    ref: str,
    phase: str,
    item: str,
    container: ContainerDep,
    session: CsrfSession,
    done: Annotated[str, Form()] = "1",
) -> Response:
    return _do(
        container,
        ref,
        lambda edit, _incident, pm: edit.tick(pm, phase, item, done=done == "1"),
        session.email,
        "#meeting",
    )


@router.post("/incidents/{ref}/postmortem/items")
def add_action_item(
    ref: str,
    container: ContainerDep,
    session: CsrfSession,
    title: Annotated[str, Form()],
    priority: Annotated[str, Form()] = "P2",
    kind: Annotated[str, Form()] = "preventative",
    owner: Annotated[str, Form()] = "",
    due: Annotated[str, Form()] = "",
    ticket: Annotated[str, Form()] = "",
) -> Response:
    def act(edit: Editor, incident: dict[str, Any], _pm: dict[str, Any]) -> None:
        try:
            body = ActionItemCreate(
                incident=str(incident["id"]),
                title=title,
                priority=priority,
                kind=kind,
                owner=owner or None,
                due=due or None,  # type: ignore[arg-type]  # pydantic parses the date
                ticket=ticket,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "item"
            raise ValidationFailed.field(where, "use YYYY-MM-DD" if where == "due" else str(first["msg"])) from exc
        add_item(container, edit.conn, body, session.email, from_postmortem=True)

    return _do(container, ref, act, session.email, "#action-items")


@router.get("/incidents/{ref}/postmortem/print", response_class=HTMLResponse)
def printable(ref: str, conn: ReadConn, _session: UserSession) -> Response:
    incident = get_incident(conn, ref)
    found = load(conn, incident, postmortem_of(conn, incident))
    text = found.text
    return HTMLResponse(printable_html(text, found.facts.title, found.rca.figures))


@router.get("/incidents/{ref}/postmortem.md", response_class=PlainTextResponse)
def markdown_file(ref: str, conn: ReadConn, _session: UserSession) -> Response:
    incident = get_incident(conn, ref)
    found = load(conn, incident, postmortem_of(conn, incident))
    text = found.text
    name = f"postmortem-{found.facts.reference}.md"
    return PlainTextResponse(
        text, media_type="text/markdown", headers={"content-disposition": f'attachment; filename="{name}"'}
    )
