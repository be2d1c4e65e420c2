"""The import API: another tool's incident or alert history, written with its original times."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine

from firebell.audit import capture as audit
from firebell.bootstrap import Container
from firebell.catalog.repo import SqlCatalogRepo
from firebell.history import service
from firebell.history.exports import read_export
from firebell.history.model import Format, service_slug
from firebell.history.repo import SqlHistoryRepo
from firebell.history.schemas import ImportCounts, ImportRead
from firebell.history.service import ImportResult
from firebell.infra.db import transaction
from firebell.kernel.errors import ValidationFailed
from firebell.web.deps import Admin, ContainerDep

router = APIRouter(prefix="/api/v1", tags=["history"])


class _DryRun(Exception):
    def __init__(self, result: ImportResult) -> None:
        self.result = result


def parse_format(text: str) -> Format:
    try:
        return Format(text.strip().lower())
    except ValueError:
        raise ValidationFailed.field("format", f"{text!r}: use pagerduty, opsgenie or firebell") from None


def parse_zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.field("zone", f"{text!r} is not a time zone such as UTC or Europe/Berlin") from None


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.field("file", f"not UTF-8 text (byte {exc.start})") from None


def _write(engine: Engine, source: Format, text: str, options: dict[str, object], now: datetime) -> ImportResult:
    records = read_export(source, text, parse_zone(str(options["zone"])), str(options["service"]))
    try:
        with transaction(engine, write=True) as conn:
            result = service.import_history(
                history=SqlHistoryRepo(conn),
                catalog=SqlCatalogRepo(conn),
                source=source,
                records=records,
                create_services=bool(options["create_services"]),
                now=now,
            )
            if options["dry_run"]:
                raise _DryRun(result)  # rolls the transaction back
            # The rows go in set-at-a-time beneath the audit capture: one entry says what was done.
            audit.record(
                conn,
                action="import",
                entity="history",
                entity_id=source.value,
                after={
                    "incidents": result.incidents_imported,
                    "alerts": result.alerts_imported,
                    "services_created": list(result.services_created),
                },
                at=now,
            )
    except _DryRun as dry:
        return dry.result
    return result


def run_import(
    container: Container,
    *,
    source: str,
    text: str,
    zone: str = "UTC",
    create_services: bool = False,
    dry_run: bool = False,
    default_service: str = "",
) -> ImportRead:
    """Parse the export, then write it in one transaction (rolled back on a dry run); any problem
    refuses the whole file."""
    found = parse_format(source)
    options: dict[str, object] = {
        "zone": zone,
        "service": service_slug(default_service),
        "create_services": create_services,
        "dry_run": dry_run,
    }
    result = _write(container.engine, found, text, options, container.clock.now())
    if not dry_run and (result.incidents_imported or result.alerts_imported or result.services_created):
        container.catalog_changed()
        container.changes.bump()
    return ImportRead(
        format=result.source,
        dry_run=dry_run,
        incidents=ImportCounts(imported=result.incidents_imported, skipped=result.incidents_skipped),
        alerts=ImportCounts(imported=result.alerts_imported, skipped=result.alerts_skipped),
        services_created=list(result.services_created),
        incident_numbers=[n for n in (result.first_number, result.last_number) if n is not None],
    )


@router.post(
    "/import",
    response_model=ImportRead,
    summary="Import incident or alert history (PagerDuty, Opsgenie or Firebell's format) with its original times",
    # The body is read by the handler, after the caller is known: an unauthenticated upload is
    # refused before any of it is read.
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the export: CSV, or JSON lines (firebell)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_history(
    request: Request,
    container: ContainerDep,
    _caller: Admin,
    source: Annotated[str, Query(alias="format", description="pagerduty, opsgenie or firebell")],
    zone: Annotated[str, Query(description="the zone of times written without an offset")] = "UTC",
    create_services: Annotated[bool, Query(description="create the services the export names")] = False,
    dry_run: Annotated[bool, Query(description="check and count, write nothing")] = False,
    service: Annotated[str, Query(description="the service of records that name none")] = "",
) -> ImportRead:
    text = decode(await request.body())
    options = {"zone": zone, "create_services": create_services, "dry_run": dry_run, "default_service": service}
    return await import_off_loop(container, source, text, options)


async def import_off_loop(container: Container, source: str, text: str, options: dict[str, Any]) -> ImportRead:
    """run_import in a worker thread: a large file takes seconds the event loop must not wait."""
    return await run_in_threadpool(lambda: run_import(container, source=source, text=text, **options))
