"""Importing history: an export's records written as incidents and alerts with their own times, in
the caller's one transaction. Records imported before are skipped; nothing imported is paged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from firebell.catalog.service import CatalogRepo, create_service, history_integration
from firebell.history.exports import alerts_of, incidents_of
from firebell.history.fields import Problems
from firebell.history.model import MAX_NAME, MAX_TITLE, AlertRecord, Format, IncidentRecord, Record, external_ref
from firebell.incidents.recurrence import recurrence_key
from firebell.incidents.service import titled
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.ids import new_id

ALERT_SOURCE = "import"  # alerts.source of every imported alert; the tool is in its details


class HistoryRepo(Protocol):
    def incident_refs(self, prefix: str) -> dict[str, str]: ...

    def alert_refs(self, prefix: str) -> set[str]: ...

    def next_incident_number(self) -> int: ...

    def add_incidents(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def add_events(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def add_raw_payloads(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def add_alerts(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def refresh_derived(self, since: datetime) -> None:
        """Work out the response times and recurrence flags of the incidents opened since `since`."""
        ...


class Catalog(CatalogRepo, Protocol):
    def services(self) -> list[dict[str, Any]]: ...

    def integrations(self, service_id: str | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class ImportResult:
    source: str
    incidents_imported: int
    incidents_skipped: int
    alerts_imported: int
    alerts_skipped: int
    services_created: tuple[str, ...]
    first_number: int | None  # the incident numbers the imported incidents took
    last_number: int | None


def _service_ids(catalog: Catalog, records: Sequence[Record], *, create: bool, now: datetime) -> dict[str, str]:
    """Each service the records name, by name, with its id; unknown ones are created or refused."""
    known = {str(s["name"]).lower(): str(s["id"]) for s in catalog.services()}
    missing: dict[str, int] = {}
    for record in records:
        if record.service.lower() not in known:
            missing.setdefault(record.service, record.line)
    if missing and not create:
        named = ", ".join(f"{name} (line {line})" for name, line in sorted(missing.items()))
        raise ValidationFailed(
            f"no service named {named}: create them first, or import with --create-services",
            details=[
                {"field": "service", "line": line, "message": f"no service named {name}"}
                for name, line in sorted(missing.items())
            ],
        )
    for name in sorted(missing):
        known[name.lower()] = create_service(repo=catalog, name=name, now=now)
    return {record.service: known[record.service.lower()] for record in records}


def _links(
    source: Format, alerts: Sequence[AlertRecord], new: Mapping[str, str], existing: Mapping[str, str]
) -> dict[int, str]:
    """The incident id each alert belongs to, by the alert's line; an unknown incident is refused."""
    problems = Problems()
    found: dict[int, str] = {}
    for alert in alerts:
        if alert.incident_id is None:
            continue
        ref = external_ref(source, alert.incident_id)
        incident_id = new.get(ref) or existing.get(ref)
        if incident_id is None:
            problems.add(
                alert.line, "incident_id", f"no incident {alert.incident_id!r} in this file or imported before"
            )
        else:
            found[alert.line] = incident_id
    problems.check()
    return found


def _incident_rows(
    source: Format,
    incidents: Sequence[IncidentRecord],
    ids: Mapping[str, str],
    services: Mapping[str, str],
    names: Mapping[str, str],
    first_number: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The incidents (numbered oldest first) and the timeline entry that says where each came from."""
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for number, record in enumerate(sorted(incidents, key=lambda r: (r.opened_at, r.line)), start=first_number):
        ref = external_ref(source, record.external_id)
        incident_id = ids[ref]
        rows.append(
            {
                "id": incident_id,
                "number": number,
                "title": titled(record.sev, record.title)[:MAX_TITLE],
                "status": record.status,
                "sev": record.sev.value,
                "service_id": services[record.service],
                "group_key": f"import:{ref}",  # joins no live alert group
                "opened_at": record.opened_at,
                "acknowledged_at": record.acknowledged_at,
                "identified_at": record.identified_at,
                "resolved_at": record.resolved_at,
                "closed_at": record.closed_at,
                "detection_source": "alert",
                "recurrence_key": recurrence_key(names.get(record.external_id) or record.title),
                "external_ref": ref,
            }
        )
        message = f"imported from {source.value} (id {record.external_id})"
        events.append(
            {
                "id": new_id(),
                "incident_id": incident_id,
                "at": record.opened_at,
                "kind": "imported",
                "actor": f"{source.value} import",
                "message": message,
                "data": {"source": source.value, "id": record.external_id},
            }
        )
    return rows, events


def _alert_rows(
    source: Format,
    alerts: Sequence[AlertRecord],
    services: Mapping[str, str],
    integrations: Mapping[str, str],
    links: Mapping[int, str],
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The raw payloads (each record as exported) and the resolved alerts read from them."""
    raws: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for record in alerts:
        raw_id, service_id = new_id(), services[record.service]
        ref = external_ref(source, record.external_id)
        raws.append(
            {
                "id": raw_id,
                "integration_id": integrations[service_id],
                "source": ALERT_SOURCE,
                "received_at": now,
                "body": dict(record.raw),
            }
        )
        incident_id = links.get(record.line)
        rows.append(
            {
                "id": new_id(),
                "service_id": service_id,
                "integration_id": integrations[service_id],
                "raw_payload_id": raw_id,
                "source": ALERT_SOURCE,
                "dedup_key": record.dedup_key[:255],
                "status": "resolved",
                "severity": record.severity,
                "summary": record.summary[:MAX_TITLE],
                "origin": record.origin[:255],
                "group_key": f"import:{ref}",
                "labels": dict(record.labels),
                "details": {"imported_from": source.value, "id": record.external_id},
                "disposition": "open_incident" if incident_id else "log_only",
                "incident_id": incident_id,
                "count": record.count,
                "first_seen_at": record.first_seen_at,
                "last_seen_at": record.last_seen_at,
                "acknowledged_at": record.acknowledged_at,
                "resolved_at": record.resolved_at,
                "name": record.name[:MAX_NAME],
                "verdict": record.verdict,
                "verdict_by": f"{source.value} import" if record.verdict else "",
                "verdict_at": record.resolved_at if record.verdict else None,
                "external_ref": ref,
            }
        )
    return raws, rows


def _first_alert_names(alerts: Sequence[AlertRecord]) -> dict[str, str]:
    """Each incident's first alert's name, by the incident's external id: what it recurs under."""
    names: dict[str, str] = {}
    for alert in sorted(alerts, key=lambda a: a.first_seen_at):
        if alert.incident_id is not None:
            names.setdefault(alert.incident_id, alert.name)
    return names


def import_history(
    *,
    history: HistoryRepo,
    catalog: Catalog,
    source: Format,
    records: Sequence[Record],
    create_services: bool,
    now: datetime,
) -> ImportResult:
    """Write the records not imported before; refuse all of them if a service or an incident is unknown."""
    prefix = f"{source.value}:"
    known_incidents, known_alerts = history.incident_refs(prefix), history.alert_refs(prefix)
    incidents = [r for r in incidents_of(records) if external_ref(source, r.external_id) not in known_incidents]
    alerts = [r for r in alerts_of(records) if external_ref(source, r.external_id) not in known_alerts]
    before = {s["name"] for s in catalog.services()}
    services = _service_ids(catalog, [*incidents, *alerts], create=create_services, now=now)
    ids = {external_ref(source, r.external_id): new_id() for r in incidents}
    links = _links(source, alerts, ids, known_incidents)
    first = history.next_incident_number()
    rows, events = _incident_rows(source, incidents, ids, services, _first_alert_names(alerts), first)
    history.add_incidents(rows)
    history.add_events(events)
    if rows:
        history.refresh_derived(min(row["opened_at"] for row in rows))
    integrations = {
        service_id: history_integration(
            repo=catalog, service_id=service_id, existing=catalog.integrations(service_id), now=now
        )
        for service_id in sorted({services[a.service] for a in alerts})
    }
    raws, alert_rows = _alert_rows(source, alerts, services, integrations, links, now)
    history.add_raw_payloads(raws)
    history.add_alerts(alert_rows)
    return ImportResult(
        source=source.value,
        incidents_imported=len(incidents),
        incidents_skipped=len(incidents_of(records)) - len(incidents),
        alerts_imported=len(alerts),
        alerts_skipped=len(alerts_of(records)) - len(alerts),
        services_created=tuple(sorted({s["name"] for s in catalog.services()} - before)),
        first_number=first if incidents else None,
        last_number=first + len(incidents) - 1 if incidents else None,
    )
