"""SQL adapter for the configured severity targets, and for the working hours they count in.

Read once per request or engine pass; the pure functions in `incidents.targets` take what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from firebell.catalog.tables import ServiceRow
from firebell.incidents.business_time import DEFAULT, BusinessTime, of_service
from firebell.incidents.tables import SeverityTargetsRow
from firebell.incidents.targets import SeverityTargets, Targets, Terms, configured
from firebell.kernel.severity import Sev

_st = cast(sa.Table, SeverityTargetsRow.__table__)
_svc = cast(sa.Table, ServiceRow.__table__)


class SqlSeverityTargetsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stored(self) -> dict[str, dict[str, Any]]:
        """The stored overrides by severity value (only the fields set)."""
        rows = self.conn.execute(sa.select(_st.c.sev, _st.c.targets)).tuples()
        return {str(sev): dict(doc or {}) for sev, doc in rows}

    def updated(self) -> dict[str, datetime]:
        """When each severity's overrides were last set."""
        return {str(sev): at for sev, at in self.conn.execute(sa.select(_st.c.sev, _st.c.updated_at)).tuples()}

    def save(self, sev: Sev, doc: Mapping[str, Any], at: datetime) -> None:
        """Store the severity's overrides in full; an empty one goes back to the playbook's values."""
        self.conn.execute(_st.delete().where(_st.c.sev == sev.value))
        if doc:
            self.conn.execute(_st.insert(), {"sev": sev.value, "targets": dict(doc), "updated_at": at})

    def targets(self) -> dict[Sev, Targets]:
        """Every severity's targets as configured."""
        return configured(self.stored())

    def working_hours(self) -> dict[str, BusinessTime]:
        """The services that set working hours of their own, by id."""
        query = sa.select(_svc.c.id, _svc.c.working_hours).where(_svc.c.working_hours.is_not(None))
        return {str(i): of_service(doc) for i, doc in self.conn.execute(query).tuples() if doc}

    def hours_of(self, service_id: str | None) -> BusinessTime:
        """The working hours an incident of the service counts business-hours targets in."""
        if not service_id:
            return DEFAULT
        doc = self.conn.execute(sa.select(_svc.c.working_hours).where(_svc.c.id == service_id)).scalar()
        return of_service(doc)

    def terms_of(self, incident: Mapping[str, Any], targets: SeverityTargets | None = None) -> Terms:
        """The incident's targets and working hours (`targets`: the configured ones, if already read)."""
        chosen = (targets or self.targets())[Sev(incident["sev"])]
        return Terms(chosen, self.hours_of(incident.get("service_id")))
