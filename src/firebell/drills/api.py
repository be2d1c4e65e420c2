"""The drills API: fire a paging drill through the real pipeline and read each step's time; plan
game days and record how their hypothesis held."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from firebell.actionitems.api import find_user
from firebell.alerts.service import Submission
from firebell.bootstrap import Container
from firebell.catalog.repo import SqlCatalogRepo
from firebell.drills import service
from firebell.drills.model import (
    DEFAULT_HYPOTHESIS,
    Kind,
    Result,
    Status,
    Step,
    millis,
    missing_steps,
    parse_reference,
    reference,
    timings,
)
from firebell.drills.repo import SqlDrillRepo
from firebell.identity.model import Role
from firebell.incidents.repo import SqlIncidentRepo
from firebell.infra.db import transaction
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.paging import service as paging
from firebell.paging.repo import SqlPagingRepo
from firebell.web.deps import ContainerDep, ReadConn, Reader, Responder, require_on_service

router = APIRouter(prefix="/api/v1", tags=["drills"])

# Integrations an alert can come in through (not heartbeats or change events).
ALERT_KINDS = ("alertmanager", "pagerduty", "opsgenie", "webhook")


class DrillCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str
    kind: str = Field(default="paging", description="paging (fires a synthetic alert) or game_day (a record)")
    target: str = Field(default="", max_length=500, description="what is exercised, e.g. 'pod-delete on checkout'")
    page: list[str] = Field(default_factory=list, max_length=50, description="handles or emails: the only people paged")
    hypothesis: list[str] | None = Field(
        default=None, max_length=20, description="the steady state; default: the seeds' three statements"
    )


class DrillOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held: dict[int, bool] = Field(default_factory=dict, description="statement index → whether it held")
    notes: dict[int, str] = Field(default_factory=dict)
    outcome: str = Field(default="", max_length=20_000, description="what happened and what was learnt")
    result: str | None = Field(default=None, description="passed or failed; default from the hypothesis")


class DrillEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(default="", max_length=20_000)


def _drill(conn: Connection, ref: str) -> dict[str, Any]:
    number = parse_reference(ref)
    found = SqlDrillRepo(conn).get(number)
    if found is None:
        raise NotFound(f"drill {reference(number)} not found")
    return found


def view(conn: Connection, drill: dict[str, Any], *, detail: bool = True) -> dict[str, Any]:
    """A drill as the API shows it; `detail` adds each step's time and who was notified (a few
    queries more, so listings leave them out)."""
    repo = SqlDrillRepo(conn)
    incident = repo.incident_of(drill) if detail and drill["kind"] == Kind.PAGING else None
    steps = timings(repo.stamps(drill, incident)) if detail and drill["kind"] == Kind.PAGING else []
    names = repo.people_names(list(drill["participants"] or []))
    return {
        "id": drill["id"],
        "ref": reference(int(drill["number"])),
        "number": drill["number"],
        "kind": drill["kind"],
        "service": drill["service"],
        "target": drill["target"],
        "status": drill["status"],
        "result": drill["result"],
        "outcome": drill["outcome"],
        "participants": [names.get(u, u) for u in drill["participants"] or []],
        "hypothesis": drill["hypothesis"],
        "incident_number": drill["incident_number"],
        "fired_at": drill["fired_at"],
        "ended_at": drill["ended_at"],
        "steps": [
            {"step": t.step.value, "label": t.step.label, "at": t.at, "ms_after_fired": millis(t.since_fired)}
            for t in steps
        ],
        "missing_steps": [s.value for s in missing_steps(steps)] if steps else [],
        "notified": [
            {
                "person": n["name"],
                "level": n["level"],
                "paged_at": n["paged_at"],
                "channel": n["channel"],
                "delivery": n["status"],
                "delivered_at": n["finished_at"],
                "error": n["last_error"] or "",
            }
            for n in (repo.notified(str(incident["id"])) if incident else [])
        ],
    }


def _plan(container: Container, body: DrillCreate, actor: str) -> tuple[dict[str, Any], Submission | None]:
    kind = Kind(body.kind) if body.kind in {k.value for k in Kind} else None
    if kind is None:
        raise ValidationFailed.field("kind", "use paging or game_day")
    with transaction(container.engine, write=True) as conn:
        catalog = SqlCatalogRepo(conn)
        found = catalog.service_by_name(body.service)
        if found is None:
            raise ValidationFailed.field("service", f"no service named {body.service!r}")
        integration = next(
            (i for i in catalog.integrations(str(found["id"])) if i["kind"] in ALERT_KINDS and not i["disabled_at"]),
            None,
        )
        if kind is Kind.PAGING and integration is None:
            raise Conflict(
                f"{body.service} has no alert integration, so no alert can reach it: add one first",
                details=[{"field": "service", "message": "no alert integration"}],
            )
        drill = service.plan(
            SqlDrillRepo(conn),
            kind=kind,
            service_id=str(found["id"]),
            target=body.target,
            participants=[find_user(conn, p, "page") for p in body.page],
            statements=body.hypothesis
            if body.hypothesis is not None
            else (list(DEFAULT_HYPOTHESIS) if kind is Kind.GAME_DAY else []),
            actor=actor,
            at=container.clock.now(),
        )
    if kind is not Kind.PAGING or integration is None:
        return drill, None
    event = service.alert_for(drill)
    raw = orjson.dumps({"drill": reference(int(drill["number"])), "by": actor, "summary": event.summary}).decode()
    submission = Submission(str(integration["id"]), str(found["id"]), "drill", raw, (event,))
    return drill, submission


async def fire(container: Container, drill: dict[str, Any], submission: Submission) -> None:
    """Submit the drill's alert to the real intake (stored durably, then an incident and paging); if
    intake cannot take it, the drill is cancelled with the reason rather than left running."""
    try:
        await container.submit(submission)
    except Exception as exc:
        reason = f"intake refused the drill's alert: {type(exc).__name__}: {exc}"[:2000]

        def cancel() -> None:
            with transaction(container.engine, write=True) as conn:
                SqlDrillRepo(conn).update(str(drill["id"]), {"status": Status.CANCELLED.value, "outcome": reason})

        await run_in_threadpool(cancel)
        raise


@router.post("/drills", status_code=201, summary="Fire a paging drill (or plan a game day)")
async def create_drill(body: DrillCreate, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    await run_in_threadpool(require_on_service, container, caller, body.service, Role.RESPONDER)
    drill, submission = await run_in_threadpool(_plan, container, body, caller.name)
    if submission is not None:
        await fire(container, drill, submission)

    def read() -> dict[str, Any]:
        with container.engine.connect() as conn:
            return view(conn, _drill(conn, str(drill["number"])))

    return await run_in_threadpool(read)


@router.get("/drills", summary="Drills and game days, newest first")
def list_drills(conn: ReadConn, _caller: Reader) -> list[dict[str, Any]]:
    return [view(conn, d, detail=False) for d in SqlDrillRepo(conn).listing(limit=50)]


@router.get("/drills/{ref}", summary="A drill: each pipeline step's time since the alert fired, who was notified")
def get_drill(ref: str, conn: ReadConn, _caller: Reader) -> dict[str, Any]:
    return view(conn, _drill(conn, ref))


@router.post("/drills/{ref}/end", summary="End a paging drill: resolve its incident; passed if every step was reached")
def end_drill(ref: str, body: DrillEnd, container: ContainerDep, caller: Responder) -> dict[str, Any]:
    now = container.clock.now()
    with transaction(container.engine, write=True) as conn:
        drill = _drill(conn, ref)
        if drill["kind"] != Kind.PAGING or drill["status"] != Status.RUNNING:
            raise Conflict(
                f"{reference(int(drill['number']))} is not a running paging drill",
                details=[{"field": "drill", "message": str(drill["status"])}],
            )
        repo = SqlDrillRepo(conn)
        incident = repo.incident_of(drill)
        missing = missing_steps(timings(repo.stamps(drill, incident)))
        if incident is not None and incident["resolved_at"] is None:
            paging.resolve(
                incidents=SqlIncidentRepo(conn),
                paging=SqlPagingRepo(conn),
                incident_id=str(incident["id"]),
                actor=caller.name,
                via="drill",
                note=f"drill {reference(int(drill['number']))} ended",
                now=now,
            )
        said = "every step reached" if not missing else "not reached: " + ", ".join(Step(s).label for s in missing)
        service.record(
            repo,
            drill=drill,
            held={},
            notes={},
            outcome=body.outcome or f"Paging drill ended: {said}.",
            result=Result.FAILED if missing else Result.PASSED,
            at=now,
        )
        result = view(conn, _drill(conn, ref))
    container.changes.bump()
    container.sent()
    return result


@router.post("/drills/{ref}/outcome", summary="Record how the hypothesis held and what was learnt")
def record_outcome(ref: str, body: DrillOutcome, container: ContainerDep, _caller: Responder) -> dict[str, Any]:
    with transaction(container.engine, write=True) as conn:
        drill = _drill(conn, ref)
        service.record(
            SqlDrillRepo(conn),
            drill=drill,
            held=body.held,
            notes=body.notes,
            outcome=body.outcome,
            result=Result.parse(body.result) if body.result else None,
            at=container.clock.now(),
        )
        result = view(conn, _drill(conn, ref))
    container.changes.bump()
    return result
