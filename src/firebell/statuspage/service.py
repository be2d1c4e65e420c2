"""Status page use cases: components, public incidents and their updates, maintenances, and
publishing an internal incident's status to the public page.

Only what these use cases are given explicitly (a public name, a published text, component
states) reaches the public tables; an internal incident lends its id and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.kernel.ids import new_id
from firebell.statuspage.model import (
    MAINTENANCE_IMPACT,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    default_body,
    default_maintenance_body,
    default_name,
    impact_of,
    max_impact,
    status_after_resolve,
)

INCIDENT = "incident"
MAINTENANCE = "maintenance"
MAX_BODY = 10_000


class StatusPageRepo(Protocol):
    def components(self) -> list[dict[str, Any]]: ...
    def component(self, component_id: str) -> dict[str, Any] | None: ...
    def component_by_name(self, name: str) -> dict[str, Any] | None: ...
    def next_position(self) -> int: ...
    def add_component(self, values: dict[str, Any]) -> None: ...
    def update_component(self, component_id: str, values: dict[str, Any]) -> None: ...
    def delete_component(self, component_id: str) -> None: ...
    def incident(self, incident_id: str, kind: str = ...) -> dict[str, Any] | None: ...
    def incident_for_internal(self, internal_incident_id: str) -> dict[str, Any] | None: ...
    def add_incident(self, values: dict[str, Any]) -> None: ...
    def update_incident(self, incident_id: str, values: dict[str, Any]) -> None: ...
    def open_incidents(self) -> list[dict[str, Any]]: ...
    def add_update(self, values: dict[str, Any]) -> None: ...


class Timeline(Protocol):
    """The internal incident's timeline (the incident domain's repository)."""

    def add_event(
        self, incident_id: str, at: datetime, kind: str, message: str, actor: str = ..., data: Any = ...
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class DeclaredComponent:
    """A component as the configuration file declares it; its place in the file is its position."""

    name: str
    description: str = ""
    group: str | None = None


# --- components -------------------------------------------------------------------------------


def _clean_name(name: str, field: str = "name", longest: int = 200) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > longest:
        raise ValidationFailed.field(field, f"a name is 1 to {longest} characters")
    return cleaned


def find_component(repo: StatusPageRepo, ref: str, field: str = "component") -> dict[str, Any]:
    """A component by name, or by id."""
    row = repo.component_by_name(ref) or repo.component(ref)
    if row is None:
        raise NotFound(f"no status page component named {ref!r}", details=[{"field": field}])
    return row


def create_component(
    *,
    repo: StatusPageRepo,
    name: str,
    now: datetime,
    description: str = "",
    group: str | None = None,
    position: int | None = None,
    status: ComponentStatus = ComponentStatus.OPERATIONAL,
) -> dict[str, Any]:
    name = _clean_name(name)
    if repo.component_by_name(name) is not None:
        raise Conflict(f"a status page component named {name} exists", details=[{"field": "name"}])
    values = {
        "id": new_id(),
        "name": name,
        "description": description.strip(),
        "group_name": _clean_name(group, "group") if group else None,
        "position": repo.next_position() if position is None else position,
        "status": status.value,
        "created_at": now,
        "updated_at": now,
    }
    repo.add_component(values)
    return values


def update_component(*, repo: StatusPageRepo, ref: str, changes: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Change a component's name, description, group or position (only the keys given)."""
    row = find_component(repo, ref)
    values: dict[str, Any] = {}
    if "name" in changes and changes["name"] != row["name"]:
        values["name"] = _clean_name(str(changes["name"]))
        if repo.component_by_name(values["name"]) is not None:
            raise Conflict(f"a status page component named {values['name']} exists", details=[{"field": "name"}])
    if "description" in changes:
        values["description"] = str(changes["description"] or "").strip()
    if "group" in changes:
        values["group_name"] = _clean_name(str(changes["group"]), "group") if changes["group"] else None
    if "position" in changes and changes["position"] is not None:
        values["position"] = int(changes["position"])
    if values:
        values["updated_at"] = now
        repo.update_component(str(row["id"]), values)
    return {**row, **values}


def delete_component(*, repo: StatusPageRepo, ref: str) -> None:
    repo.delete_component(str(find_component(repo, ref)["id"]))


def set_component_status(*, repo: StatusPageRepo, ref: str, status: ComponentStatus, now: datetime) -> dict[str, Any]:
    row = find_component(repo, ref)
    if row["status"] != status.value:
        repo.update_component(str(row["id"]), {"status": status.value, "updated_at": now})
        return {**row, "status": status.value, "updated_at": now}
    return row


def apply_components(*, repo: StatusPageRepo, declared: Sequence[DeclaredComponent], now: datetime) -> list[str]:
    """Make the stored components match a configuration file's (states are left alone); what changed."""
    changes: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(declared):
        field = f"status_page.components[{position}].name"
        name = _clean_name(item.name, field)
        if name in seen:
            raise ValidationFailed.field(field, f"the component {name} is declared twice")
        seen.add(name)
        group = item.group.strip() if item.group else None
        row = repo.component_by_name(name)
        if row is None:
            create_component(
                repo=repo, name=name, description=item.description, group=group, position=position, now=now
            )
            changes.append(f"created status page component {name}")
            continue
        wanted = {"description": item.description.strip(), "group_name": group or None, "position": position}
        if any(row[key] != value for key, value in wanted.items()):
            repo.update_component(str(row["id"]), {**wanted, "updated_at": now})
            changes.append(f"updated status page component {name}")
    return changes


# --- public incidents -------------------------------------------------------------------------


def _resolve_components(
    repo: StatusPageRepo, components: Mapping[str, ComponentStatus]
) -> dict[str, tuple[dict[str, Any], ComponentStatus]]:
    """{component id: (row, state)} from {name or id: state}; an unknown name names its field."""
    found: dict[str, tuple[dict[str, Any], ComponentStatus]] = {}
    for ref, status in components.items():
        row = repo.component_by_name(ref) or repo.component(ref)
        if row is None:
            raise ValidationFailed.field(f"components.{ref}", f"no status page component named {ref!r}")
        found[str(row["id"])] = (row, ComponentStatus(status))
    return found


def _body(body: str | None) -> str | None:
    if body is None or not body.strip():
        return None
    if len(body) > MAX_BODY:
        raise ValidationFailed.field("body", f"at most {MAX_BODY} characters")
    return body.strip()


def _set_states(repo: StatusPageRepo, wanted: Mapping[str, ComponentStatus], now: datetime) -> list[dict[str, Any]]:
    """Give components their new states; the changes, in Statuspage's `affected_components` shape."""
    affected = []
    for component_id, status in wanted.items():
        row = repo.component(component_id)
        if row is None:  # deleted since the incident named it
            continue
        if row["status"] != status.value:
            repo.update_component(component_id, {"status": status.value, "updated_at": now})
        affected.append(
            {"code": component_id, "name": row["name"], "old_status": row["status"], "new_status": status.value}
        )
    return affected


def _named_states(repo: StatusPageRepo, held: Mapping[str, str]) -> list[tuple[str, ComponentStatus]]:
    named = []
    for component_id, status in held.items():
        row = repo.component(component_id)
        if row is not None:
            named.append((str(row["name"]), ComponentStatus(status)))
    return named


def open_incident(
    *,
    repo: StatusPageRepo,
    name: str | None,
    status: IncidentStatus,
    now: datetime,
    body: str | None = None,
    components: Mapping[str, ComponentStatus] | None = None,
    impact: Impact | None = None,
    internal_incident_id: str | None = None,
    eta: str | None = None,
    actor: str = "",
) -> dict[str, Any]:
    """A new public incident with its first update; the components it names take their states."""
    chosen = _resolve_components(repo, components or {})
    named = [str(row["name"]) for row, _s in chosen.values()]
    title = _clean_name(name, longest=300) if name and name.strip() else default_name(named)[:300]
    incident_id = new_id()
    values: dict[str, Any] = {
        "id": incident_id,
        "kind": INCIDENT,
        "name": title,
        "status": IncidentStatus.INVESTIGATING.value,
        "impact": (impact or impact_of(s for _r, s in chosen.values())).value,
        "components": {},
        "internal_incident_id": internal_incident_id,
        "created_at": now,
        "updated_at": now,
    }
    repo.add_incident(values)
    return post_update(
        repo=repo,
        incident_id=incident_id,
        status=status,
        body=body,
        components=components,
        eta=eta,
        actor=actor,
        now=now,
    )


def post_update(
    *,
    repo: StatusPageRepo,
    incident_id: str,
    status: IncidentStatus,
    now: datetime,
    body: str | None = None,
    components: Mapping[str, ComponentStatus] | None = None,
    impact: Impact | None = None,
    name: str | None = None,
    eta: str | None = None,
    actor: str = "",
) -> dict[str, Any]:
    """Publish an update: the incident's state, its text (the default text of the state if none is
    written) and component states. On resolve, the incident's components go back to operational,
    unless named in this update or still held by another unresolved incident."""
    row = repo.incident(incident_id)
    if row is None:
        raise NotFound(f"no public incident {incident_id}")
    text = _body(body)
    chosen = _resolve_components(repo, components or {})
    held = dict(row["components"] or {})
    wanted = {component_id: s for component_id, (_row, s) in chosen.items()}
    held.update({component_id: s.value for component_id, s in wanted.items()})
    if status is IncidentStatus.RESOLVED:
        others = [i for i in repo.open_incidents() if i["id"] != incident_id]
        for component_id in held:
            if component_id not in wanted:
                still = [
                    ComponentStatus(i["components"][component_id]) for i in others if component_id in i["components"]
                ]
                wanted[component_id] = status_after_resolve(still)
    values: dict[str, Any] = {"status": status.value, "components": held, "updated_at": now}
    if name is not None and name.strip():
        values["name"] = _clean_name(name, longest=300)
    if impact is not None:
        values["impact"] = impact.value
    elif chosen:
        values["impact"] = max_impact([Impact(row["impact"]), impact_of(s for _r, s in chosen.values())]).value
    if status is IncidentStatus.MONITORING and row["monitoring_at"] is None:
        values["monitoring_at"] = now
    values["resolved_at"] = now if status is IncidentStatus.RESOLVED else None
    repo.update_incident(incident_id, values)
    affected = _set_states(repo, wanted, now)
    title = str(values.get("name", row["name"]))
    published = text or default_body(status, name=title, components=_named_states(repo, held), eta=eta)
    update_id = new_id()
    repo.add_update(
        {
            "id": update_id,
            "status_incident_id": incident_id,
            "status": status.value,
            "body": published,
            "affected_components": affected,
            "actor": actor,
            "created_at": now,
        }
    )
    return {**row, **values, "update_id": update_id, "body": published}


def publish_from_incident(
    *,
    repo: StatusPageRepo,
    timeline: Timeline,
    internal_incident_id: str,
    state: IncidentStatus,
    now: datetime,
    body: str | None = None,
    components: Mapping[str, ComponentStatus] | None = None,
    name: str | None = None,
    impact: Impact | None = None,
    eta: str | None = None,
    actor: str = "",
) -> tuple[dict[str, Any], bool]:
    """Report an internal incident on the public page: the first call opens its public incident,
    later ones add updates. The internal timeline records each. Returns (public incident, created)."""
    existing = repo.incident_for_internal(internal_incident_id)
    common: dict[str, Any] = {
        "body": body,
        "components": components,
        "impact": impact,
        "eta": eta,
        "actor": actor,
        "now": now,
    }
    if existing is None:
        public = open_incident(repo=repo, name=name, status=state, internal_incident_id=internal_incident_id, **common)
    elif existing["kind"] != INCIDENT:
        raise Conflict("this incident is linked to a maintenance")
    else:
        public = post_update(repo=repo, incident_id=str(existing["id"]), status=state, name=name, **common)
    timeline.add_event(
        internal_incident_id,
        now,
        "status_page_updated",
        f"Status page {'incident opened' if existing is None else 'updated'}: {state.value}, "
        f"“{public['name']}”: {public['body']}",
        actor=actor or "firebell",
        data={"status_incident_id": public["id"], "status": state.value, "update_id": public["update_id"]},
    )
    return public, existing is None


# --- maintenances -----------------------------------------------------------------------------


def schedule_maintenance(
    *,
    repo: StatusPageRepo,
    name: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    now: datetime,
    components: Sequence[str] = (),
    body: str | None = None,
    actor: str = "",
) -> dict[str, Any]:
    """A maintenance window; the components it names show under maintenance while it is active."""
    title = _clean_name(name, longest=300)
    if scheduled_until <= scheduled_for:
        raise ValidationFailed.field("scheduled_until", "the window must end after it starts")
    chosen = _resolve_components(repo, dict.fromkeys(components, ComponentStatus.UNDER_MAINTENANCE))
    maintenance_id = new_id()
    held = dict.fromkeys(chosen, ComponentStatus.UNDER_MAINTENANCE.value)
    repo.add_incident(
        {
            "id": maintenance_id,
            "kind": MAINTENANCE,
            "name": title,
            "status": MaintenanceStatus.SCHEDULED.value,
            "impact": MAINTENANCE_IMPACT,
            "components": held,
            "scheduled_for": scheduled_for,
            "scheduled_until": scheduled_until,
            "created_at": now,
            "updated_at": now,
        }
    )
    names = [str(row["name"]) for row, _s in chosen.values()]
    text = _body(body) or default_maintenance_body(MaintenanceStatus.SCHEDULED, name=title, components=names)
    _add_update(repo, maintenance_id, MaintenanceStatus.SCHEDULED.value, text, actor, now)
    return {"id": maintenance_id, "name": title, "status": MaintenanceStatus.SCHEDULED.value, "body": text}


def update_maintenance(
    *,
    repo: StatusPageRepo,
    maintenance_id: str,
    status: MaintenanceStatus,
    now: datetime,
    body: str | None = None,
    actor: str = "",
) -> dict[str, Any]:
    """Move a maintenance by hand (started, verifying, completed) and publish an update."""
    row = repo.incident(maintenance_id, MAINTENANCE)
    if row is None:
        raise NotFound(f"no maintenance {maintenance_id}")
    values: dict[str, Any] = {"status": status.value, "updated_at": now}
    values["resolved_at"] = now if status is MaintenanceStatus.COMPLETED else None
    repo.update_incident(maintenance_id, values)
    names = [name for name, _s in _named_states(repo, row["components"] or {})]
    text = _body(body) or default_maintenance_body(status, name=str(row["name"]), components=names)
    _add_update(repo, maintenance_id, status.value, text, actor, now)
    return {**row, **values, "body": text}


def _add_update(repo: StatusPageRepo, incident_id: str, status: str, body: str, actor: str, now: datetime) -> None:
    repo.add_update(
        {
            "id": new_id(),
            "status_incident_id": incident_id,
            "status": status,
            "body": body,
            "affected_components": [],
            "actor": actor,
            "created_at": now,
        }
    )
