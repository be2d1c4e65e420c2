"""The action items API: list, add, change, and the completion-on-time rate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.engine import Connection

from firebell.actionitems import service
from firebell.actionitems.mirror import WebhookMirror, item_view
from firebell.actionitems.model import ItemStatus, Kind, Priority, completion, parse_reference, reference
from firebell.actionitems.repo import SqlActionItemRepo
from firebell.actionitems.schemas import ActionItemChange, ActionItemCreate, ActionItemRead, CompletionRead
from firebell.bootstrap import Container
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import NotFound, ValidationFailed
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder, require_on_incident

router = APIRouter(prefix="/api/v1", tags=["action items"])


def find_user(conn: Connection, text: str, field: str) -> str:
    """A user's id by handle or email; a 4xx naming `field` when nobody matches."""
    key = text.strip().lstrip("@").lower()
    identity = SqlIdentityRepo(conn)
    found = identity.user_by_handle(key) or identity.user_by_email(key)
    if found is None:
        raise ValidationFailed.field(field, f"no user with the handle or email {text!r}")
    return str(found["id"])


def _mirror(container: Container, conn: Connection) -> WebhookMirror:
    url = container.settings.learning.action_items_webhook_url
    return WebhookMirror(url, container.messenger(conn) if url else None, container.settings.base_url())


def add_item(
    container: Container, conn: Connection, body: ActionItemCreate, actor: str, *, from_postmortem: bool
) -> dict[str, Any]:
    """Add an item in the caller's write transaction (the postmortem API shares it)."""
    incident = get_incident(conn, body.incident)
    return service.create(
        SqlActionItemRepo(conn),
        SqlIncidentRepo(conn),
        _mirror(container, conn),
        incident_id=incident["id"],
        title=body.title,
        priority=Priority.parse(body.priority),
        kind=Kind.parse(body.kind),
        owner_id=find_user(conn, body.owner, "owner") if body.owner else None,
        due=body.due,
        description=body.description,
        ticket=body.ticket,
        from_postmortem=from_postmortem,
        actor=actor,
        at=container.clock.now(),
    )


@router.get("/action-items", summary="Action items: open ones first by due date", response_model=list[ActionItemRead])
def list_items(
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    incident: Annotated[str | None, Query(description="an incident's number or id")] = None,
    owner: Annotated[str | None, Query(description="handle or email")] = None,
    status: Annotated[str | None, Query(description="open, in_progress, done or wont_do")] = None,
    overdue: bool = False,
) -> list[dict[str, Any]]:
    today = container.clock.now().date()
    rows = SqlActionItemRepo(conn).listing(
        incident_id=get_incident(conn, incident)["id"] if incident else None,
        owner_id=find_user(conn, owner, "owner") if owner else None,
        status=ItemStatus.parse(status).value if status else None,
        overdue_on=today if overdue else None,
    )
    return [item_view(r, today) for r in rows]


@router.get("/action-items/completion", summary="Completion on time (target above 90 %)", response_model=CompletionRead)
def completion_rate(conn: ReadConn, container: ContainerDep, _caller: Reader) -> dict[str, Any]:
    rows = [(ItemStatus(s), d, c) for s, d, c in SqlActionItemRepo(conn).completion_rows()]
    found = completion(rows, container.clock.now().date())
    rate = found.rate
    return {
        "total": found.total,
        "on_time": found.on_time,
        "late": found.late,
        "overdue": found.overdue,
        "rate": rate,
        "target": 0.9,
        "met": None if rate is None else rate > 0.9,
    }


@router.post(
    "/action-items", status_code=201, summary="Add an action item to an incident", response_model=ActionItemRead
)
def create_item(body: ActionItemCreate, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    require_on_incident(container, caller, body.incident, Role.RESPONDER)
    with transaction(container.engine, write=True) as conn:
        item = add_item(container, conn, body, caller.name, from_postmortem=False)
    container.changes.bump()
    container.sent()
    return item_view(item, container.clock.now().date())


@router.get("/action-items/{ref}", summary="One action item (AI-<number> or the number)", response_model=ActionItemRead)
def get_item(ref: str, conn: ReadConn, container: ContainerDep, _caller: Reader) -> dict[str, Any]:
    number = parse_reference(ref)
    row = SqlActionItemRepo(conn).get(number)
    if row is None:
        raise NotFound(f"action item {reference(number)} not found")
    return item_view(row, container.clock.now().date())


def change_item(
    container: Container, conn: Connection, number: int, body: ActionItemChange, actor: str
) -> dict[str, Any]:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"owner", "due", "clear_due"})
    if body.owner is not None:
        changes["owner_id"] = find_user(conn, body.owner, "owner") if body.owner.strip() else None
    if body.clear_due:
        changes["due_date"] = None
    elif body.due is not None:
        changes["due_date"] = body.due
    return service.change(
        SqlActionItemRepo(conn),
        SqlIncidentRepo(conn),
        _mirror(container, conn),
        number=number,
        changes={k: v for k, v in changes.items() if v is not None or k in {"owner_id", "due_date"}},
        actor=actor,
        at=container.clock.now(),
    )


@router.patch(
    "/action-items/{ref}", summary="Change an action item (status, owner, due date, ...)", response_model=ActionItemRead
)
def patch_item(ref: str, body: ActionItemChange, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    number = parse_reference(ref)
    with transaction(container.engine, write=True) as conn:
        item = change_item(container, conn, number, body, caller.name)
    container.changes.bump()
    container.sent()
    return item_view(item, container.clock.now().date())
