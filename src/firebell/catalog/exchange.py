"""Catalog use cases: import services from Backstage entities and export them as entities.

Importing is idempotent (a second import of the same documents changes nothing) and all or nothing:
the caller's transaction holds every write. A `dependsOn` reference that names no Firebell service
(a resource, say, or a component not imported yet) creates nothing: it is kept on the service as an
external dependency, shown and exported as written, and reported as a warning. When a later import
brings a component of that name, the references to it become ordinary dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from firebell.catalog.backstage import (
    BACKSTAGE_NAME,
    POLICY,
    Note,
    Service,
    component_ref,
    entity_of,
    parse_ref,
)
from firebell.catalog.backstage_read import read_catalog
from firebell.catalog.fields import FIELDS
from firebell.catalog.service import create_service, write_changes
from firebell.kernel.errors import ValidationFailed


class ExchangeRepo(Protocol):
    def services(self) -> Sequence[Mapping[str, Any]]: ...

    def service_by_name(self, name: str) -> Mapping[str, Any] | None: ...

    def add_service(self, values: dict[str, Any]) -> None: ...

    def update_service(self, service_id: str, values: dict[str, Any]) -> None: ...

    def add_integration(self, values: dict[str, Any]) -> None: ...

    def add_maintenance(self, values: dict[str, Any]) -> None: ...


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    warnings: list[Note]


def _resolver(names: Sequence[str]) -> Mapping[str, str]:
    """Service names by their lower-case form (Backstage references ignore case); an exact match wins."""
    found: dict[str, str] = {}
    for name in names:
        found.setdefault(name.lower(), name)
    found.update({name.lower(): name for name in names if name.lower() == name})
    return found


def resolve(refs: Sequence[str], known: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The service names among `refs` (default-namespace components Firebell has) and the rest as written."""
    services: list[str] = []
    external: list[str] = []
    for text in refs:
        ref = parse_ref(text)
        name = known.get(ref.name.lower()) if ref and ref.kind == "component" and ref.namespace == "default" else None
        if name is None:
            external.append(text)
        elif name not in services:
            services.append(name)
    return services, external


def _check_policies(services: Sequence[tuple[int, Service]], policy_ids: Mapping[str, str]) -> None:
    for index, service in services:
        if service.escalation_policy and service.escalation_policy not in policy_ids:
            field = f"documents.{index}.metadata.annotations.{POLICY}"
            raise ValidationFailed.field(field, f"no escalation policy named {service.escalation_policy!r}")


def _values(
    service: Service, ids: Mapping[str, str], policy_ids: Mapping[str, str], known: Mapping[str, str]
) -> tuple[dict[str, object], list[str]]:
    """What to store for the service, and its external references."""
    names, external = resolve(service.depends_on, known)
    values: dict[str, object] = {
        **service.values,
        "backstage_annotations": dict(service.annotations),
        "dependencies": [ids[n] for n in names],
        "external_dependencies": external,
    }
    if service.escalation_policy is not None:
        values["escalation_policy_id"] = policy_ids[service.escalation_policy] if service.escalation_policy else None
    return values, external


def _adopt_references(
    repo: ExchangeRepo, skip: set[str], known: Mapping[str, str], ids: Mapping[str, str]
) -> list[str]:
    """Services outside this import whose external references now name a service: made dependencies."""
    updated: list[str] = []
    for row in repo.services():
        refs = list(row.get("external_dependencies") or [])
        if row["name"] in skip or not refs:
            continue
        names, external = resolve(refs, known)
        if names:
            needs = list(
                dict.fromkeys([*(row.get("dependencies") or []), *(ids[n] for n in names if n != row["name"])])
            )
            write_changes(repo, row, {"dependencies": needs, "external_dependencies": external})
            updated.append(str(row["name"]))
    return updated


def import_catalog(
    *, repo: ExchangeRepo, documents: Sequence[object], policy_ids: Mapping[str, str], now: datetime
) -> ImportResult:
    """Create or update a service for each Component among the documents (see catalog.backstage)."""
    catalog = read_catalog(documents)
    _check_policies(catalog.services, policy_ids)
    created = []
    for _index, service in catalog.services:
        if repo.service_by_name(service.name) is None:
            create_service(repo=repo, name=service.name, now=now)
            created.append(service.name)
    rows = {str(r["name"]): r for r in repo.services()}
    ids = {name: str(row["id"]) for name, row in rows.items()}
    known = _resolver(list(rows))
    warnings = list(catalog.notes)
    updated: list[str] = []
    unchanged: list[str] = []
    for index, service in catalog.services:
        values, external = _values(service, ids, policy_ids, known)
        for ref in external:
            field = f"documents.{index}.spec.dependsOn.{service.depends_on.index(ref)}"
            warnings.append(Note(field, f"{ref}: no such service in Firebell; kept as an external dependency"))
        changed = write_changes(repo, rows[service.name], values)
        if service.name not in created:
            (updated if changed else unchanged).append(service.name)
    imported = {s.name for _i, s in catalog.services}
    updated += _adopt_references(repo, imported, known, ids)
    return ImportResult(created, updated, unchanged, warnings)


@dataclass(frozen=True, slots=True)
class Export:
    entities: list[dict[str, object]]
    skipped: list[str]  # services whose names Backstage does not accept, with the reason


def export_catalog(*, rows: Sequence[Mapping[str, Any]], policy_names: Mapping[str, str]) -> Export:
    """Every service as a Backstage Component entity, by name."""
    names = {str(r["id"]): str(r["name"]) for r in rows}
    entities: list[dict[str, object]] = []
    skipped: list[str] = []
    for row in sorted(rows, key=lambda r: str(r["name"])):
        name = str(row["name"])
        if not BACKSTAGE_NAME.match(name):
            skipped.append(f"{name}: Backstage names are at most 63 characters and end in a letter or digit")
            continue
        policy = row.get("escalation_policy_id")
        refs = [component_ref(names[d]) for d in row.get("dependencies") or [] if d in names]
        service = Service(
            name,
            {key: row[key] for key in FIELDS},
            dict(row.get("backstage_annotations") or {}),
            policy_names.get(str(policy)) if policy else None,
            (*refs, *(row.get("external_dependencies") or [])),
        )
        entities.append(entity_of(service))
    return Export(entities, skipped)
