"""The runbooks API: write, import, read and lint runbooks, and the catalog's runbook coverage."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from firebell.bootstrap import Container
from firebell.runbooks import queries, writes
from firebell.runbooks.coverage import Coverage
from firebell.runbooks.lint import Report
from firebell.runbooks.schemas import (
    CoverageRead,
    LintRead,
    RunbookCreate,
    RunbookImport,
    RunbookImported,
    RunbookRead,
    RunbookSummary,
    RunbookUpdate,
)
from firebell.runbooks.service import Draft
from firebell.web.deps import Admin, AdminScope, ContainerDep, ReadConn, Reader

router = APIRouter(prefix="/api/v1", tags=["runbooks"])
StaleAfter = Annotated[
    int | None, Query(ge=1, le=3650, description="days after which a review is stale (default from settings: 90)")
]


def _days(container: Container, stale_after: int | None) -> int:
    return stale_after or container.settings.runbooks.stale_after_days


def lint_read(report: Report) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "stale": report.stale,
        "reviewed_on": report.reviewed_on,
        "stale_after_days": report.stale_after_days,
        "failed_items": report.failed_items,
        "warnings": report.warnings,
        "findings": [{**asdict(f), "status": f.status.value} for f in report.findings],
    }


def _summary(row: dict[str, Any], report: Report) -> dict[str, Any]:
    return {
        **row,
        "passed": report.passed,
        "stale": report.stale,
        "failed_items": report.failed_items,
        "url": f"/runbooks/{row['id']}",
    }


def _read(container: Container, runbook_id: str, stale_after: int | None = None) -> dict[str, Any]:
    with container.engine.connect() as conn:
        row, report = queries.runbook_with_report(
            conn, runbook_id, today=container.clock.now().date(), stale_after_days=_days(container, stale_after)
        )
    return {**_summary(row, report), "lint": lint_read(report)}


def coverage_read(found: Coverage, stale_after_days: int) -> dict[str, Any]:
    return {
        "total": found.total,
        "covered": found.covered,
        "passing": found.passing,
        "percent": found.percent,
        "stale_after_days": stale_after_days,
        "services": [asdict(s) for s in found.services],
        "lacking": [asdict(s) for s in found.lacking],
    }


@router.get("/runbooks", response_model=list[RunbookSummary], summary="Runbooks with their lint verdict")
def list_runbooks(
    conn: ReadConn, container: ContainerDep, _caller: Reader, stale_after: StaleAfter = None
) -> list[dict[str, Any]]:
    today, days = container.clock.now().date(), _days(container, stale_after)
    return [
        _summary(r, report) for r, report in queries.runbooks_with_reports(conn, today=today, stale_after_days=days)
    ]


@router.post("/runbooks", response_model=RunbookRead, status_code=201, summary="Add a runbook")
def create(body: RunbookCreate, container: ContainerDep, caller: AdminScope) -> dict[str, Any]:
    """An admin of the team it belongs to (its service's, or the `team` named) may add it; a runbook
    of no team, site admins only."""
    draft = Draft(
        body.body, body.title, body.service, body.team, body.source_path, body.last_reviewed_at, body.reviewed_by
    )
    return _read(container, writes.save(container, draft, caller=caller, actor=caller.name))


@router.post(
    "/runbooks/import",
    response_model=RunbookImported,
    summary="Import a runbook file",
    responses={201: {"model": RunbookImported, "description": "A new runbook was added"}},
)
def import_file(body: RunbookImport, response: Response, container: ContainerDep, caller: AdminScope) -> dict[str, Any]:
    """Replace the service's runbook (or the unattached one imported from the same path); else add it
    (201). Run it from CI on every change to the file, with a token of an admin of the team."""
    draft = Draft(body.body, body.title, body.service, body.team, body.source_path)
    runbook_id, created = writes.import_file(container, draft, caller=caller, actor=caller.name)
    response.status_code = 201 if created else 200
    return {**_read(container, runbook_id), "created": created}


@router.get("/runbooks/coverage", response_model=CoverageRead, summary="Services with a current runbook")
def coverage(conn: ReadConn, container: ContainerDep, _caller: Reader, stale_after: StaleAfter = None) -> Any:
    days = _days(container, stale_after)
    found = queries.catalog_coverage(conn, today=container.clock.now().date(), stale_after_days=days)
    return coverage_read(found, days)


@router.get("/runbooks/{runbook_id}", response_model=RunbookRead, summary="A runbook, its markdown and lint")
def get_runbook(runbook_id: str, container: ContainerDep, _caller: Reader, stale_after: StaleAfter = None) -> Any:
    return _read(container, runbook_id, stale_after)


@router.patch("/runbooks/{runbook_id}", response_model=RunbookRead, summary="Change a runbook")
def update(runbook_id: str, body: RunbookUpdate, container: ContainerDep, caller: Admin) -> dict[str, Any]:
    sent = body.model_fields_set
    service = body.service if body.service is not None else ("" if "service" in sent else None)
    team = body.team if body.team is not None else ("" if "team" in sent else None)
    draft = Draft(body.body, body.title, service, team, body.source_path, body.last_reviewed_at, body.reviewed_by)
    return _read(container, writes.save(container, draft, caller=caller, actor=caller.name, runbook_id=runbook_id))


@router.get("/runbooks/{runbook_id}/lint", response_model=LintRead, summary="Lint a runbook against the checklist")
def lint_runbook(
    runbook_id: str, conn: ReadConn, container: ContainerDep, _caller: Reader, stale_after: StaleAfter = None
) -> dict[str, Any]:
    days = _days(container, stale_after)
    _row, report = queries.runbook_with_report(
        conn, runbook_id, today=container.clock.now().date(), stale_after_days=days
    )
    return lint_read(report)
