"""The postmortem API: draft, edit, analyse, review, sign off, finalise and export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlalchemy.engine import Connection

from firebell.actionitems.api import add_item, find_user
from firebell.actionitems.mirror import item_view
from firebell.actionitems.schemas import ActionItemCreate, ActionItemRead
from firebell.bootstrap import Container
from firebell.identity.model import Role
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.postmortems import service
from firebell.postmortems.document import Loaded, load, view
from firebell.postmortems.drafting import ensure_draft
from firebell.postmortems.editing import Editor
from firebell.postmortems.model import SignOff, Status, overdue
from firebell.postmortems.printable import printable_html
from firebell.postmortems.rca_view import TOOLS, parse_tool
from firebell.postmortems.repo import SqlPostmortemRepo
from firebell.postmortems.schemas import (
    MeetingTick,
    MeetingWrite,
    PostmortemEdit,
    PostmortemItem,
    PostmortemSummary,
    RcaWrite,
    SignOffWrite,
    StatusMove,
)
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder

router = APIRouter(prefix="/api/v1", tags=["postmortems"])


def postmortem_of(conn: Connection, incident: dict[str, Any]) -> dict[str, Any]:
    pm = SqlPostmortemRepo(conn).for_incident(str(incident["id"]))
    if pm is None:
        raise NotFound(
            f"incident #{incident['number']} has no postmortem yet; create one with "
            f"POST /api/v1/incidents/{incident['number']}/postmortem"
        )
    return pm


def loaded(conn: Connection, ref: str) -> Loaded:
    incident = get_incident(conn, ref)
    return load(conn, incident, postmortem_of(conn, incident))


def _act(
    container: Container, ref: str, act: Callable[[Editor, dict[str, Any], dict[str, Any]], Any], actor: str
) -> dict[str, Any]:
    """Run `act(editor, incident, postmortem)` in one write transaction; then the postmortem's view."""
    with transaction(container.engine, write=True) as conn:
        incident = get_incident(conn, ref)
        act(Editor(conn, actor=actor, at=container.clock.now()), incident, postmortem_of(conn, incident))
    container.changes.bump()
    container.sent()
    with container.engine.connect() as conn:
        return view(loaded(conn, ref), container.clock.now())


@router.get("/postmortems", summary="Postmortems: open ones first by due date", response_model=list[PostmortemSummary])
def list_postmortems(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    status: Annotated[str | None, Query(description="draft, in_review or final")] = None,
    overdue_only: Annotated[bool, Query(alias="overdue")] = False,
) -> list[dict[str, Any]]:
    now = container.clock.now()
    rows = SqlPostmortemRepo(conn).listing(
        status=Status.parse(status).value if status else None, overdue_at=now if overdue_only else None
    )
    return [
        {
            "id": r["id"],
            "incident_number": r["incident_number"],
            "incident_title": r["incident_title"],
            "severity": r["sev"],
            "status": r["status"],
            "owner": r["owner"],
            "draft_due_at": r["draft_due_at"],
            "due_at": r["due_at"],
            "overdue": overdue(Status(r["status"]), r["due_at"], now),
            "updated_at": r["updated_at"],
            "finalized_at": r["finalized_at"],
        }
        for r in rows
    ]


@router.post("/incidents/{ref}/postmortem", summary="Draft the incident's postmortem (returns it if it exists)")
def create_postmortem(ref: str, container: ContainerDep, caller: Responder, response: Response) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        incident = get_incident(conn, ref)
        existed = SqlPostmortemRepo(conn).for_incident(str(incident["id"])) is not None
        ensure_draft(conn, incident, actor=caller.name, at=container.clock.now())
    response.status_code = 200 if existed else 201
    container.changes.bump()
    with container.engine.connect() as conn:
        return view(loaded(conn, ref), container.clock.now())


@router.get("/incidents/{ref}/postmortem", summary="The postmortem: facts, sections, RCA, checks, sign-offs")
def get_postmortem(ref: str, conn: ReadConn, container: ContainerDep, _caller: Reader) -> dict[str, Any]:
    return view(loaded(conn, ref), container.clock.now())


@router.patch("/incidents/{ref}/postmortem", summary="Write sections and tables, set the first symptom or owner")
def edit_postmortem(ref: str, body: PostmortemEdit, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    def act(edit: Editor, _incident: dict[str, Any], pm: dict[str, Any]) -> None:
        conn = edit.conn
        extra: dict[str, Any] = {}
        if body.clear_first_symptom:
            extra["first_symptom_at"] = None
        elif body.first_symptom_at is not None:
            if body.first_symptom_at.tzinfo is None:
                raise ValidationFailed.field("first_symptom_at", "give a time zone (UTC: end with Z)")
            extra["first_symptom_at"] = body.first_symptom_at
        if body.owner is not None:
            extra["owner_id"] = find_user(conn, body.owner, "owner") if body.owner.strip() else None
        service.edit(
            SqlPostmortemRepo(conn),
            SqlIncidentRepo(conn),
            pm=pm,
            sections=body.sections,
            tables=body.tables,
            version=body.version,
            actor=caller.name,
            at=container.clock.now(),
            **extra,
        )

    return _act(container, ref, act, caller.name)


def _check_tool(tool: str) -> None:
    if tool not in TOOLS:
        raise ValidationFailed.field("tool", f"use one of {', '.join(TOOLS)}")


@router.put(
    "/incidents/{ref}/postmortem/rca/{tool}", summary="Store a root-cause analysis (5 whys, fishbone, fault tree)"
)
def put_rca(ref: str, tool: str, body: RcaWrite, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    _check_tool(tool)
    if (body.data is None) == (body.outline is None):
        raise ValidationFailed.field("data", "send either data (JSON) or outline (text), not both")
    parsed = parse_tool(tool, body.data if body.data is not None else body.outline)
    return _act(container, ref, lambda edit, _incident, pm: edit.set_rca(pm, tool, parsed, body.version), caller.name)


@router.delete("/incidents/{ref}/postmortem/rca/{tool}", summary="Remove a root-cause analysis")
def delete_rca(ref: str, tool: str, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    _check_tool(tool)
    return _act(container, ref, lambda edit, _incident, pm: edit.set_rca(pm, tool, None, None), caller.name)


@router.post("/incidents/{ref}/postmortem/status", summary="Draft → In Review → Final (409 lists what is missing)")
def move_postmortem(ref: str, body: StatusMove, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    target = Status.parse(body.status)
    return _act(container, ref, lambda edit, incident, pm: edit.move(incident, pm, target), caller.name)


@router.post("/incidents/{ref}/postmortem/signoffs", summary="Sign the postmortem off in one of the template's roles")
def sign_off(ref: str, body: SignOffWrite, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    role = SignOff.parse(body.role)

    def act(edit: Editor, _incident: dict[str, Any], pm: dict[str, Any]) -> None:
        if body.user:
            user_id = find_user(edit.conn, body.user, "user")
            if user_id != caller.user_id:
                caller.require(Role.ADMIN)  # signing for someone else is an administrator's act
        elif caller.user_id:
            user_id = caller.user_id
        else:
            raise ValidationFailed.field("user", "an API token signs on behalf of someone: name the user")
        edit.sign(pm, role, user_id)

    return _act(container, ref, act, caller.name)


@router.post("/incidents/{ref}/postmortem/meeting", summary="Schedule the review meeting")
def schedule(ref: str, body: MeetingWrite, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    if body.at.tzinfo is None:
        raise ValidationFailed.field("at", "give a time zone (UTC: end with Z)")
    return _act(container, ref, lambda edit, _incident, pm: edit.schedule(pm, body.at, body.attendees), caller.name)


@router.post("/incidents/{ref}/postmortem/meeting/checklist/{phase}/{item}", summary="Tick a meeting checklist item")
def tick_meeting(
    ref: str, phase: str, item: str, body: MeetingTick, container: ContainerDep, caller: Responder
) -> dict[str, Any]:
    return _act(container, ref, lambda edit, _incident, pm: edit.tick(pm, phase, item, done=body.done), caller.name)


@router.post(
    "/incidents/{ref}/postmortem/action-items",
    status_code=201,
    summary="Add an action item from the postmortem",
    response_model=ActionItemRead,
)
def add_postmortem_item(ref: str, body: PostmortemItem, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        incident = get_incident(conn, ref)
        postmortem_of(conn, incident)
        item = add_item(
            container,
            conn,
            ActionItemCreate(incident=str(incident["id"]), **body.model_dump()),
            caller.name,
            from_postmortem=True,
        )
    container.changes.bump()
    container.sent()
    return item_view(item, container.clock.now().date())


@router.get(
    "/incidents/{ref}/postmortem/export",
    summary="The postmortem as markdown (the template's structure) or as a printable HTML page",
    response_class=PlainTextResponse,
)
def export(
    ref: str,
    conn: ReadConn,
    _caller: Reader,
    format: Literal["markdown", "html"] = "markdown",
) -> Response:
    found = loaded(conn, ref)
    text = found.text
    name = f"postmortem-{found.facts.reference}"
    if format == "html":
        page = printable_html(text, found.facts.title, found.rca.figures)
        return HTMLResponse(page, headers={"content-disposition": f'inline; filename="{name}.html"'})
    return PlainTextResponse(
        text, media_type="text/markdown", headers={"content-disposition": f'inline; filename="{name}.md"'}
    )
