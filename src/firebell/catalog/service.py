"""Catalog use cases: services and their integrations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from firebell.alerts.config import WebhookMapping, parse_severity_map
from firebell.catalog.model import IntegrationKind, check_service_name
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.kernel.ids import new_id, new_secret, secret_digest


class CatalogRepo(Protocol):
    def service_by_name(self, name: str) -> Mapping[str, Any] | None: ...

    def add_service(self, values: dict[str, Any]) -> None: ...

    def add_integration(self, values: dict[str, Any]) -> None: ...

    def add_maintenance(self, values: dict[str, Any]) -> None: ...


def create_service(
    *,
    repo: CatalogRepo,
    name: str,
    now: datetime,
    owner_team: str = "",
    tier: int = 2,
    runbook_url: str | None = None,
    description: str = "",
    auto_resolve: bool = True,
    grouping_window_seconds: int = 300,
    group_by_labels: list[str] | None = None,
    severity_map: Mapping[str, object] | None = None,
) -> str:
    check_service_name(name)
    if repo.service_by_name(name) is not None:
        raise Conflict(f"a service named {name} already exists", details=[{"field": "name"}])
    if not 1 <= tier <= 4:
        raise ValidationFailed.field("tier", "must be 1 (most critical) to 4")
    if grouping_window_seconds < 0:
        raise ValidationFailed.field("grouping_window_seconds", "must not be negative")
    stored_map = dict(severity_map or {})
    parse_severity_map(stored_map)
    service_id = new_id()
    repo.add_service(
        {
            "id": service_id,
            "name": name,
            "description": description,
            "owner_team": owner_team,
            "tier": tier,
            "runbook_url": runbook_url,
            "auto_resolve": auto_resolve,
            "grouping_window_seconds": grouping_window_seconds,
            "group_by_labels": list(group_by_labels or []),
            "severity_map": stored_map,
            "created_at": now,
        }
    )
    return service_id


def create_integration(
    *,
    repo: CatalogRepo,
    service: str,
    kind: str,
    now: datetime,
    name: str = "",
    mapping: Mapping[str, object] | None = None,
) -> tuple[str, str]:
    """Create an integration; returns (id, key). The key is shown once and stored as a digest."""
    row = repo.service_by_name(service)
    if row is None:
        raise NotFound(f"no service named {service}", details=[{"field": "service"}])
    try:
        kind_value = IntegrationKind(kind)
    except ValueError as exc:
        choices = ", ".join(k.value for k in IntegrationKind)
        raise ValidationFailed.field("kind", f"unknown kind {kind!r}; use one of {choices}") from exc
    config: dict[str, object] = {}
    if mapping:
        if kind_value is not IntegrationKind.WEBHOOK:
            raise ValidationFailed.field("mapping", "only webhook integrations take a field mapping")
        WebhookMapping.from_config(mapping)
        config["mapping"] = dict(mapping)
    key = new_secret()
    integration_id = new_id()
    repo.add_integration(
        {
            "id": integration_id,
            "service_id": row["id"],
            "name": name or f"{service} {kind_value.value}",
            "kind": kind_value.value,
            "key_digest": secret_digest(key),
            "key_hint": key[-4:],
            "config": config,
            "created_at": now,
        }
    )
    return integration_id, key


def add_maintenance(
    *,
    repo: CatalogRepo,
    service: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    now: datetime,
) -> str:
    row = repo.service_by_name(service)
    if row is None:
        raise NotFound(f"no service named {service}", details=[{"field": "service"}])
    if ends_at <= starts_at:
        raise ValidationFailed.field("ends_at", "must be after starts_at")
    window_id = new_id()
    repo.add_maintenance(
        {
            "id": window_id,
            "service_id": row["id"],
            "starts_at": starts_at,
            "ends_at": ends_at,
            "reason": reason,
            "created_at": now,
        }
    )
    return window_id
