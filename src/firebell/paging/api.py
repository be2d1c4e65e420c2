"""The paging API: acknowledge, resolve and reassign incidents, page more people into them; pages,
the delivery log, the page preview; and Slack's interactivity endpoint for the Acknowledge and
Resolve buttons."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from firebell.catalog.repo import SqlCatalogRepo
from firebell.identity.model import Role
from firebell.identity.repo import SqlIdentityRepo
from firebell.identity.service import principal_for_slack_member
from firebell.incidents.queries import get_incident
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.schemas import IncidentRead, MoveRequest
from firebell.infra.db import transaction
from firebell.kernel.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from firebell.kernel.severity import Sev
from firebell.oncall.repo import SqlOncallRepo
from firebell.paging import responders, service
from firebell.paging.links import slack_request_valid
from firebell.paging.messages import shown_address
from firebell.paging.model import Answer
from firebell.paging.preview import preview
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.runner import EscalationRunner, sends_finished
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder
from firebell.web.ownership import owner_of_incident

router = APIRouter(prefix="/api/v1", tags=["paging"])


Named = tuple[str, str]  # (id, name)


def _on_incident(
    container: Any, ref: str, act: Callable[[Connection, str], None], *, answers: bool = False
) -> dict[str, Any]:
    """Run `act(conn, incident_id)` in one write transaction; the incident as it is afterwards. An act
    that `answers` the page returns once the pages already being sent have gone out."""
    with transaction(container.engine, write=True) as conn:
        incident_id = get_incident(conn, ref)["id"]
        act(conn, incident_id)
        result = get_incident(conn, incident_id)
    container.changes.bump()
    if answers:
        sends_finished(container, str(incident_id))
    return result


@router.post("/incidents/{ref}/acknowledge", response_model=IncidentRead, summary="Acknowledge: stops escalation")
def acknowledge(
    ref: str, container: ContainerDep, caller: Responder, body: MoveRequest | None = None
) -> dict[str, Any]:
    def act(conn: Connection, incident_id: str) -> None:
        service.acknowledge(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident_id,
            actor=caller.name,
            via="the API" + (f": {body.note}" if body and body.note else ""),
            now=container.clock.now(),
            actor_id=caller.user_id,
        )

    return _on_incident(container, ref, act, answers=True)


@router.post("/incidents/{ref}/resolve", response_model=IncidentRead, summary="Resolve: stops every page")
def resolve(ref: str, container: ContainerDep, caller: Responder, body: MoveRequest | None = None) -> dict[str, Any]:
    def act(conn: Connection, incident_id: str) -> None:
        service.resolve(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident_id,
            actor=caller.name,
            via="the API",
            note=body.note if body else "",
            now=container.clock.now(),
        )

    return _on_incident(container, ref, act, answers=True)


class ReassignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: str | None = Field(default=None, description="an escalation policy's name")
    user: str | None = Field(default=None, description="a person's handle or email")


@router.post("/incidents/{ref}/reassign", response_model=IncidentRead, summary="Reassign: escalation restarts")
def reassign(ref: str, body: ReassignRequest, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    if (body.policy is None) == (body.user is None):
        raise ValidationFailed.field("policy" if body.policy is None else "user", "give either policy or user")

    def act(conn: Connection, incident_id: str) -> None:
        policy, person = reassign_target(conn, policy=body.policy, user=body.user)
        service.reassign(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident_id,
            actor=caller.name,
            now=container.clock.now(),
            policy=policy,
            person=person,
        )

    result = _on_incident(container, ref, act)
    container.background.poke(EscalationRunner.name)
    return result


def reassign_target(conn: Any, *, policy: str | None, user: str | None) -> tuple[Named | None, Named | None]:
    """The policy (by name) or the person (by handle or email) an incident is handed to."""
    if policy is not None:
        row = SqlOncallRepo(conn).policy_by_name(policy)
        if row is None:
            raise ValidationFailed.field("policy", f"no escalation policy named {policy!r}")
        return (str(row["id"]), policy), None
    key = (user or "").strip().lower()
    identity = SqlIdentityRepo(conn)
    found = identity.user_by_handle(key) or identity.user_by_email(key)
    if found is None:
        raise ValidationFailed.field("user", f"no user with the handle or email {user!r}")
    return None, (str(found["id"]), str(found["display_name"] or found["handle"] or found["email"]))


class RespondersRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[str] = Field(default=[], max_length=50, description="people's handles or emails")
    schedules: list[str] = Field(default=[], max_length=20, description="schedules: whoever is on call now")
    teams: list[str] = Field(default=[], max_length=20, description="teams: their responders and admins")
    message: str = Field(default="", max_length=2000, description="why they are needed; on their page")


class PagedRead(BaseModel):
    user_id: str
    name: str
    via: str


class SkippedRead(BaseModel):
    name: str
    reason: str


class RespondersRead(BaseModel):
    number: int
    paged: list[PagedRead]
    skipped: list[SkippedRead]


@router.post(
    "/incidents/{ref}/responders",
    response_model=RespondersRead,
    summary="Page more people into the incident; its escalation goes on",
)
def page_responders(ref: str, body: RespondersRequest, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        incident = get_incident(conn, ref)
        outcome = responders.page_responders(
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=str(incident["id"]),
            ask=responder_targets(conn, users=body.users, schedules=body.schedules, teams=body.teams),
            message=body.message,
            actor=caller.name,
            now=container.clock.now(),
            actor_id=caller.user_id,
        )
    container.changes.bump()
    container.sent()
    return {
        "number": incident["number"],
        "paged": [asdict(p) for p in outcome.paged],
        "skipped": [asdict(s) for s in outcome.skipped],
    }


def responder_targets(
    conn: Connection, *, users: Sequence[str], schedules: Sequence[str], teams: Sequence[str]
) -> responders.Ask:
    """The people (by handle or email), schedules and teams (by name) a responder request names;
    refused naming the field of the first unknown one."""
    oncall = SqlOncallRepo(conn)
    people: list[Named] = []
    for i, user in enumerate(users):
        try:
            people.append(_person(conn, user))
        except ValidationFailed:
            raise ValidationFailed.field(f"users[{i}]", f"no user with the handle or email {user!r}") from None
    found: dict[str, list[Named]] = {"schedules": [], "teams": []}
    for field, names, lookup in (
        ("schedules", schedules, oncall.schedule_by_name),
        ("teams", teams, oncall.team_by_name),
    ):
        for i, name in enumerate(names):
            row = lookup(name.strip())
            if row is None:
                raise ValidationFailed.field(f"{field}[{i}]", f"no {field[:-1]} named {name!r}")
            found[field].append((str(row["id"]), str(row["name"])))
    return responders.Ask(tuple(people), tuple(found["schedules"]), tuple(found["teams"]))


def _person(conn: Connection, user: str) -> Named:
    _policy, person = reassign_target(conn, policy=None, user=user)
    assert person is not None  # noqa: S101 - reassign_target raises when nobody matches
    return person


class AttemptRead(BaseModel):
    attempt: int
    started_at: datetime
    latency_ms: float
    outcome: str
    error: str
    node: str


class DeliveryRead(BaseModel):
    id: str
    incident_number: int | None
    person: str | None
    channel: str
    address: str
    status: str
    due_at: datetime
    attempts: int
    last_error: str
    created_at: datetime
    finished_at: datetime | None
    log: list[AttemptRead]


def delivery_log(conn: Any, *, incident_id: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
    repo = SqlPagingRepo(conn)
    rows = repo.deliveries(incident_id=incident_id, status=status, limit=limit)
    attempts: dict[str, list[dict[str, Any]]] = {}
    for attempt in repo.attempts_of([r["id"] for r in rows]):
        attempts.setdefault(str(attempt["delivery_id"]), []).append(attempt)
    return [
        {
            **row,
            "address": shown_address(str(row["address"])),
            "incident_number": row["number"],
            "person": row["display_name"] or row["handle"],
            "log": attempts.get(str(row["id"]), []),
        }
        for row in rows
    ]


@router.get("/deliveries", response_model=list[DeliveryRead], summary="The delivery log, newest first")
def get_deliveries(
    conn: ReadConn,
    _caller: Reader,
    incident: Annotated[str | None, Query(description="an incident's number or id")] = None,
    status: Annotated[Literal["pending", "sent", "failed", "cancelled"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    incident_id = get_incident(conn, incident)["id"] if incident else None
    return delivery_log(conn, incident_id=incident_id, status=status, limit=limit)


class PageRead(BaseModel):
    level: int
    step: int
    user_id: str
    person: str
    due_at: datetime
    paged_at: datetime
    after_hours: bool


class EscalationRead(BaseModel):
    id: str
    state: str
    started_at: datetime
    steps_taken: int
    next_due_at: datetime | None
    ended_at: datetime | None


class PagingRead(BaseModel):
    escalations: list[EscalationRead]
    pages: list[PageRead]


@router.get("/incidents/{ref}/pages", response_model=PagingRead, summary="An incident's escalations and pages")
def get_pages(ref: str, conn: ReadConn, _caller: Reader) -> dict[str, Any]:
    incident = get_incident(conn, ref)
    repo = SqlPagingRepo(conn)
    pages = [{**p, "person": p["display_name"] or p["handle"]} for p in repo.pages_of(incident["id"])]
    return {"escalations": repo.escalations_of(incident["id"]), "pages": pages}


@router.get("/services/{name}/page-preview", summary="Who would be paged, and what they would receive")
def get_preview(
    name: str,
    conn: ReadConn,
    container: ContainerDep,
    _caller: Reader,
    at: Annotated[datetime | None, Query(description="an ISO 8601 instant with its offset; default now")] = None,
    category: Annotated[str | None, Query(description="the alert's category label, e.g. security")] = None,
    severity: Annotated[str, Query(description="the incident's severity, SEV-1..SEV-4 or P1..P4")] = "SEV-1",
) -> Any:
    try:
        sev = Sev.parse(severity)
    except ValueError as exc:
        raise ValidationFailed.field("severity", str(exc)) from None
    found = SqlCatalogRepo(conn).service_by_name(name)
    if found is None:
        raise NotFound(f"no service named {name!r}", details=[{"field": "service"}])
    if at is not None and at.tzinfo is None:
        raise ValidationFailed.field("at", "give the instant's offset, as in 2026-11-25T09:00:00+01:00")
    when = at or container.clock.now()
    if not datetime(1971, 1, 1, tzinfo=UTC) <= when <= datetime(9000, 1, 1, tzinfo=UTC):
        raise ValidationFailed.field("at", "give an instant between the years 1971 and 9000")
    return preview(
        repo=SqlPagingRepo(conn),
        service_id=str(found["id"]),
        service_name=name,
        at=when,
        links=container.links,
        category=category,
        sev=sev,
    )


@router.post("/slack/actions", include_in_schema=False)
async def slack_actions(request: Request, container: ContainerDep) -> JSONResponse:
    """Slack's interactivity request: signed with the app's signing secret, a form with `payload`."""
    body = await request.body()
    secret = container.settings.slack.signing_secret.get_secret_value()
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not secret or not slack_request_valid(secret.encode(), timestamp, body, signature, container.clock.now()):
        return JSONResponse({"error": {"code": "bad_signature", "message": "not signed by Slack"}}, status_code=401)
    try:
        payload = json.loads(parse_qs(body.decode())["payload"][0])
        action = payload["actions"][0]
        slack_user = str(payload["user"]["id"])
        incident_ref = str(action["value"])
        verb = str(action["action_id"])
    except (KeyError, IndexError, ValueError, TypeError):
        return JSONResponse({"error": {"code": "bad_payload", "message": "not an interactivity payload"}}, 400)
    if verb not in ("acknowledge", "resolve"):
        return JSONResponse({"text": ""})
    try:
        text = _slack_act(container, verb, incident_ref, slack_user)
    except DomainError as exc:
        text = exc.message
    return JSONResponse({"response_type": "ephemeral", "replace_original": False, "text": text})


NOT_LINKED = (
    "Your Slack account ({member}) is not linked to a Firebell user, so Firebell cannot tell whether you "
    "may {verb} incident #{number}. Ask a Firebell admin to set your Slack member id on your user: "
    "`slack_member_id: {member}` under your entry in `users:` of the on-call file, then `firebell apply`. "
    "(Your member id is in your Slack profile: ⋮, Copy member ID.)"
)


def _slack_act(container: Any, verb: str, incident_ref: str, slack_user: str) -> str:
    """Act for the Firebell user linked to this Slack user, with the responder role on the incident's
    team; anyone else is refused with how to link (Slack shows it to them alone)."""
    with transaction(container.engine, write=True) as conn:
        incident = get_incident(conn, incident_ref)
        caller = principal_for_slack_member(repo=SqlIdentityRepo(conn), member_id=slack_user)
        if caller is None:
            raise PermissionDenied(NOT_LINKED.format(member=slack_user, verb=verb, number=incident["number"]))
        try:
            caller.require(Role.RESPONDER, owner_of_incident(conn, str(incident["id"])))
        except PermissionDenied as exc:
            raise PermissionDenied(f"You may not {verb} incident #{incident['number']}: {exc.message}") from None
        actor = caller.name
        answer = service.respond(
            verb,
            incidents=SqlIncidentRepo(conn),
            paging=SqlPagingRepo(conn),
            incident_id=incident["id"],
            actor=actor,
            via="Slack",
            now=container.clock.now(),
            actor_id=caller.user_id,
        )
    container.changes.bump()
    sends_finished(container, str(incident["id"]))
    if answer is Answer.REQUEST:
        return f"{actor} is joining incident #{incident['number']}: your page has stopped"
    return f"Incident #{incident['number']} {verb}d by {actor}"
