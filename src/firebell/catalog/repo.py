"""SQL adapter for services, integrations and maintenance windows."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.alerts.config import ServiceConfig, service_config
from firebell.alerts.model import MaintenanceWindow
from firebell.catalog.tables import IntegrationRow, MaintenanceWindowRow, ServiceRow
from firebell.infra.sqltypes import all_dicts, first_dict
from firebell.kernel.errors import NotFound

_svc = cast(sa.Table, ServiceRow.__table__)
_int = cast(sa.Table, IntegrationRow.__table__)
_mw = cast(sa.Table, MaintenanceWindowRow.__table__)


class SqlCatalogRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def service(self, service_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_svc).where(_svc.c.id == service_id)))

    def service_by_name(self, name: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_svc).where(_svc.c.name == name)))

    def services(self) -> list[dict[str, Any]]:
        return all_dicts(self.conn.execute(sa.select(_svc).order_by(_svc.c.name)))

    def add_service(self, values: dict[str, Any]) -> None:
        self.conn.execute(_svc.insert(), values)

    def update_service(self, service_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_svc.update().where(_svc.c.id == service_id).values(**values))

    def add_integration(self, values: dict[str, Any]) -> None:
        self.conn.execute(_int.insert(), values)

    def update_integration(self, integration_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(_int.update().where(_int.c.id == integration_id).values(**values))

    def integration(self, integration_id: str) -> dict[str, Any] | None:
        return first_dict(self.conn.execute(sa.select(_int).where(_int.c.id == integration_id)))

    def integration_by_digest(self, digest: str) -> dict[str, Any] | None:
        query = sa.select(_int).where(_int.c.key_digest == digest, _int.c.disabled_at.is_(None))
        return first_dict(self.conn.execute(query))

    def key_holder(self, digest: str) -> dict[str, Any] | None:
        """The integration, disabled or not, whose key has this digest."""
        return first_dict(self.conn.execute(sa.select(_int.c.id, _int.c.name).where(_int.c.key_digest == digest)))

    def integrations(self, service_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(_int, _svc.c.name.label("service_name")).join(_svc, _svc.c.id == _int.c.service_id)
        if service_id is not None:
            query = query.where(_int.c.service_id == service_id)
        return all_dicts(self.conn.execute(query.order_by(_svc.c.name, _int.c.name)))

    def integrations_by_id(self, integration_id: str) -> dict[str, Any]:
        query = (
            sa.select(_int, _svc.c.name.label("service_name"))
            .join(_svc, _svc.c.id == _int.c.service_id)
            .where(_int.c.id == integration_id)
        )
        return dict(self.conn.execute(query).mappings().one())

    def add_maintenance(self, values: dict[str, Any]) -> None:
        self.conn.execute(_mw.insert(), values)

    def maintenance(self, service_id: str, *, current_at: datetime | None = None) -> list[dict[str, Any]]:
        query = sa.select(_mw).where(_mw.c.service_id == service_id)
        if current_at is not None:
            query = query.where(_mw.c.ends_at > current_at)
        return all_dicts(self.conn.execute(query.order_by(_mw.c.starts_at)))


class ConfigCache:
    """Service configs shared by intake batches for a few seconds; changes made through this
    process's API clear it at once, changes from elsewhere show within `ttl` seconds."""

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self.entries: dict[str, tuple[float, ServiceConfig]] = {}

    def get(self, service_id: str) -> ServiceConfig | None:
        hit = self.entries.get(service_id)
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            return None
        return hit[1]

    def put(self, config: ServiceConfig) -> None:
        self.entries[config.service_id] = (time.monotonic(), config)

    def clear(self) -> None:
        self.entries.clear()


class SqlServiceConfigs:
    """Service configs for intake: from the shared cache, else read in the caller's transaction."""

    def __init__(self, conn: Connection, cache: ConfigCache | None = None) -> None:
        self.repo = SqlCatalogRepo(conn)
        self.cache = cache or ConfigCache(ttl=0)
        self._local: dict[str, ServiceConfig] = {}

    def get(self, service_id: str, now: datetime) -> ServiceConfig:
        cached = self._local.get(service_id) or self.cache.get(service_id)
        if cached is not None:
            return cached
        row = self.repo.service(service_id)
        if row is None:
            raise NotFound(f"service {service_id} not found")
        windows = tuple(
            MaintenanceWindow(w["starts_at"], w["ends_at"], w["reason"])
            for w in self.repo.maintenance(service_id, current_at=now)
        )
        config = service_config(
            service_id=row["id"],
            name=row["name"],
            auto_resolve=row["auto_resolve"],
            grouping_window_seconds=row["grouping_window_seconds"],
            group_by_labels=list(row["group_by_labels"] or []),
            grouping_mode=row["grouping_mode"],
            severity_map=row["severity_map"] or {},
            runbook_url=row["runbook_url"],
            maintenance=windows,
        )
        self._local[service_id] = config
        self.cache.put(config)
        return config
