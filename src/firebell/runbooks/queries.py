"""Read side of runbooks: stored runbooks with their lint, the catalog's coverage, and the runbook
section an incident's alerts link to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from firebell.catalog.repo import SqlCatalogRepo
from firebell.kernel.errors import NotFound
from firebell.runbooks.coverage import Coverage, coverage
from firebell.runbooks.lint import Report
from firebell.runbooks.matching import section_for_alert
from firebell.runbooks.model import parse
from firebell.runbooks.repo import SqlRunbookRepo
from firebell.runbooks.service import lint_stored


def _services(conn: Connection) -> dict[str, dict[str, Any]]:
    return {str(s["id"]): s for s in SqlCatalogRepo(conn).services()}


def _report(row: Mapping[str, Any], services: Mapping[str, Mapping[str, Any]], today: date, stale: int) -> Report:
    service = services.get(str(row["service_id"])) if row["service_id"] else None
    dependencies = [str(services[d]["name"]) for d in (service or {}).get("dependencies") or [] if d in services]
    name = str(service["name"]) if service else None
    return lint_stored(row, service_name=name, dependencies=dependencies, today=today, stale_after_days=stale)


def runbook_with_report(
    conn: Connection, runbook_id: str, *, today: date, stale_after_days: int
) -> tuple[dict[str, Any], Report]:
    row = SqlRunbookRepo(conn).get(runbook_id)
    if row is None:
        raise NotFound(f"no runbook {runbook_id}")
    return row, _report(row, _services(conn), today, stale_after_days)


def runbooks_with_reports(
    conn: Connection, *, today: date, stale_after_days: int
) -> list[tuple[dict[str, Any], Report]]:
    services = _services(conn)
    return [(row, _report(row, services, today, stale_after_days)) for row in SqlRunbookRepo(conn).listing()]


def catalog_coverage(
    conn: Connection, *, today: date, stale_after_days: int, reports: Sequence[tuple[dict[str, Any], Report]] = ()
) -> Coverage:
    """How many services have a current runbook; pass `reports` when they are at hand already."""
    found = reports or runbooks_with_reports(conn, today=today, stale_after_days=stale_after_days)
    by_service = {str(row["service"]): (str(row["id"]), report) for row, report in found if row["service"]}
    return coverage([str(s["name"]) for s in SqlCatalogRepo(conn).services()], by_service)


def alert_name(alert: Mapping[str, Any]) -> str:
    """What an alert is called: its `alertname` label (Alertmanager), else its summary."""
    labels = alert.get("labels") or {}
    return str(labels.get("alertname") or labels.get("alert") or alert.get("summary") or "")


def incident_runbook(
    conn: Connection, incident: Mapping[str, Any], alerts: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The service's Firebell runbook, opened at the section for the incident's first alert (else its
    title), and a link for each alert; None when the service has no runbook here."""
    row = SqlRunbookRepo(conn).by_service(str(incident["service_id"])) if incident.get("service_id") else None
    if row is None:
        return None
    doc = parse(str(row["body"]))
    base = f"/runbooks/{row['id']}"

    def link(name: str) -> tuple[str, str]:
        section = section_for_alert(doc, name) if name else None
        return (f"{base}#{section.anchor}", section.title) if section else (base, "")

    href, section = link(alert_name(alerts[-1]) if alerts else str(incident.get("title") or ""))
    return {
        "id": str(row["id"]),
        "title": str(row["title"]),
        "href": href,
        "section": section,
        "alerts": {str(a["id"]): link(alert_name(a))[0] for a in alerts},
    }
