"""The public page's read side: what is shown at an instant, in Statuspage's v2 JSON shape.

It reads only the status page's own tables, so nothing of an internal incident (title, timeline,
alerts, people, notes) can reach the public page; and it never emits the link to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from firebell.statuspage.model import (
    ACTIVE_MAINTENANCE,
    MAINTENANCE_IMPACT,
    ComponentStatus,
    Impact,
    MaintenanceStatus,
    PageStatus,
    group_id,
    maintenance_state,
    page_status,
    shown_status,
    worst,
)
from firebell.statuspage.repo import MAINTENANCE, SqlStatusPageRepo

RECENT = timedelta(days=14)  # resolved incidents stay on the page this long


@dataclass(frozen=True, slots=True)
class PageInfo:
    id: str
    name: str
    url: str  # the public page's address, without a trailing slash
    time_zone: str = "Etc/UTC"


def stamp(value: datetime | None) -> str | None:
    """Statuspage's timestamp form: ISO 8601 in UTC with milliseconds."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PublicView:
    """The page as shown at `now`; read once per request."""

    def __init__(self, conn: Connection, page: PageInfo, now: datetime) -> None:
        self.repo = SqlStatusPageRepo(conn)
        self.page = page
        self.now = now
        self._components = self.repo.components()
        self._pending = [self._maintenance(row) for row in self.repo.maintenances_not_completed()]
        covered = {cid for m in self._pending if m["status"] in ACTIVE_MAINTENANCE for cid in m["components"]}
        for row in self._components:
            row["shown"] = shown_status(ComponentStatus(row["status"]), row["id"] in covered)
        self.by_id = {row["id"]: row for row in self._components}
        self._open = self.repo.open_incidents()

    def _maintenance(self, row: dict[str, Any]) -> dict[str, Any]:
        recorded = MaintenanceStatus(row["status"])
        return {**row, "status": maintenance_state(recorded, row["scheduled_for"], row["scheduled_until"], self.now)}

    # --- for the HTML page --------------------------------------------------------------------

    def status(self) -> PageStatus:
        active = any(m["status"] in ACTIVE_MAINTENANCE for m in self._pending)
        shown = [row["shown"] for row in self._components]
        return page_status(shown, [Impact(i["impact"]) for i in self._open], active)

    def sections(self) -> list[dict[str, Any]]:
        """Components in page order: each ungrouped one alone, each group with its members."""
        sections: list[dict[str, Any]] = []
        groups: dict[str, dict[str, Any]] = {}
        for row in self._components:
            name = row["group_name"]
            if name is None:
                sections.append({"group": None, "name": row["name"], "components": [row], "shown": row["shown"]})
            elif name in groups:
                groups[name]["components"].append(row)
            else:
                groups[name] = {"group": group_id(name), "name": name, "components": [row]}
                sections.append(groups[name])
        for section in groups.values():
            section["shown"] = worst(c["shown"] for c in section["components"])
        return sections

    def open_incidents(self) -> list[dict[str, Any]]:
        return self._with_updates(self._open)

    def recent_resolved(self) -> list[dict[str, Any]]:
        rows = self.repo.incidents(resolved_since=self.now - RECENT)
        return self._with_updates([row for row in rows if row["resolved_at"] is not None])

    def maintenances(self, which: str = "pending") -> list[dict[str, Any]]:
        """`pending`: upcoming and active; `upcoming`; `active`; or `all` (the latest 50)."""
        rows = self._pending
        if which == "all":
            rows = [self._maintenance(row) for row in self.repo.incidents(MAINTENANCE)]
        wanted = {
            "pending": {MaintenanceStatus.SCHEDULED, *ACTIVE_MAINTENANCE},
            "upcoming": {MaintenanceStatus.SCHEDULED},
            "active": set(ACTIVE_MAINTENANCE),
            "all": set(MaintenanceStatus),
        }[which]
        return self._with_updates([row for row in rows if row["status"] in wanted])

    def incidents(self, unresolved: bool = False) -> list[dict[str, Any]]:
        return self._with_updates(self._open if unresolved else self.repo.incidents())

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        row = self.repo.incident(incident_id) or self.repo.incident(incident_id, MAINTENANCE)
        if row is None:
            return None
        if row["kind"] == MAINTENANCE:
            row = self._maintenance(row)
        return self._with_updates([row])[0]

    def updated_at(self) -> datetime:
        stamps = [row["updated_at"] for row in self._components]
        stamps += [row["updated_at"] for row in self._open + self._pending]
        return max(stamps, default=self.now)

    def _with_updates(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        updates = self.repo.updates_of([row["id"] for row in rows])
        return [
            {
                **row,
                "updates": updates[row["id"]],
                "affected": [self.by_id[cid] for cid in row["components"] or {} if cid in self.by_id],
            }
            for row in rows
        ]

    # --- Statuspage v2 JSON -------------------------------------------------------------------

    def page_json(self) -> dict[str, Any]:
        page = self.page
        return {
            "id": page.id,
            "name": page.name,
            "url": page.url,
            "time_zone": page.time_zone,
            "updated_at": stamp(self.updated_at()),
        }

    def status_json(self) -> dict[str, str]:
        status = self.status()
        return {"indicator": status.indicator.value, "description": status.description}

    def components_json(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for section in self.sections():
            members = section["components"]
            if section["group"] is not None:
                out.append(
                    {
                        "id": section["group"],
                        "name": section["name"],
                        "status": section["shown"].value,
                        "created_at": stamp(min(c["created_at"] for c in members)),
                        "updated_at": stamp(max(c["updated_at"] for c in members)),
                        "position": min(c["position"] for c in members),
                        "description": None,
                        "showcase": False,
                        "start_date": None,
                        "group_id": None,
                        "page_id": self.page.id,
                        "group": True,
                        "only_show_if_degraded": False,
                        "components": [c["id"] for c in members],
                    }
                )
            out.extend(self._component_json(c) for c in members)
        return out

    def _component_json(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "name": row["name"],
            "status": row["shown"].value,
            "created_at": stamp(row["created_at"]),
            "updated_at": stamp(row["updated_at"]),
            "position": row["position"],
            "description": row["description"] or None,
            "showcase": True,
            "start_date": row["created_at"].date().isoformat(),
            "group_id": group_id(row["group_name"]) if row["group_name"] else None,
            "page_id": self.page.id,
            "group": False,
            "only_show_if_degraded": False,
        }

    def incident_json(self, row: dict[str, Any]) -> dict[str, Any]:
        shaped = {
            "id": row["id"],
            "name": row["name"],
            "status": str(row["status"]),
            "created_at": stamp(row["created_at"]),
            "updated_at": stamp(row["updated_at"]),
            "monitoring_at": stamp(row["monitoring_at"]),
            "resolved_at": stamp(row["resolved_at"]),
            "impact": row["impact"],
            "shortlink": f"{self.page.url}/incidents/{row['id']}",
            "started_at": stamp(row["created_at"]),
            "page_id": self.page.id,
            "incident_updates": [self._update_json(u) for u in row["updates"]],
            "components": [self._component_json(c) for c in row["affected"]],
        }
        if row["kind"] == MAINTENANCE:
            shaped["impact"] = MAINTENANCE_IMPACT
            shaped["scheduled_for"] = stamp(row["scheduled_for"])
            shaped["scheduled_until"] = stamp(row["scheduled_until"])
        return shaped

    def _update_json(self, update: dict[str, Any]) -> dict[str, Any]:
        at = stamp(update["created_at"])
        return {
            "id": update["id"],
            "status": update["status"],
            "body": update["body"],
            "incident_id": update["status_incident_id"],
            "created_at": at,
            "updated_at": at,
            "display_at": at,
            "affected_components": update["affected_components"] or None,
            "deliver_notifications": True,
        }

    def summary_json(self) -> dict[str, Any]:
        return {
            "page": self.page_json(),
            "components": self.components_json(),
            "incidents": [self.incident_json(i) for i in self.open_incidents()],
            "scheduled_maintenances": [self.incident_json(m) for m in self.maintenances("pending")],
            "status": self.status_json(),
        }
