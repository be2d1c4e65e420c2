"""API and configuration-file models of the status page (the public JSON is shaped in `public`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from firebell.statuspage.model import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- the `status_page:` section of `firebell apply -f` ---------------------------------------


class ComponentIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    group: str | None = Field(default=None, min_length=1, max_length=200)


class StatusPageIn(_Strict):
    components: list[ComponentIn] = Field(default_factory=list)


# --- the authenticated API --------------------------------------------------------------------


class ComponentCreate(ComponentIn):
    position: int | None = Field(default=None, ge=0, le=100_000)
    status: ComponentStatus = ComponentStatus.OPERATIONAL


class ComponentUpdate(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    group: str | None = Field(default=None, max_length=200, description="empty to take it out of its group")
    position: int | None = Field(default=None, ge=0, le=100_000)
    status: ComponentStatus | None = None


class ComponentStatusSet(_Strict):
    status: ComponentStatus


class ComponentRead(BaseModel):
    id: str
    name: str
    description: str
    group: str | None
    position: int
    status: ComponentStatus = Field(description="as set; the public page shows under_maintenance during a window")
    created_at: datetime
    updated_at: datetime


class PublicIncidentCreate(_Strict):
    name: str = Field(min_length=1, max_length=300, description="the public title")
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    body: str | None = Field(default=None, max_length=10_000, description="default: the standard text of the state")
    impact: Impact | None = Field(default=None, description="default: from the component states")
    components: dict[str, ComponentStatus] = Field(default_factory=dict, description="{component name: state}")
    incident: str | None = Field(default=None, description="the internal incident it reports on (number or id)")


class PublicIncidentPatch(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    impact: Impact | None = None


class UpdateCreate(_Strict):
    status: IncidentStatus
    body: str | None = Field(default=None, max_length=10_000)
    impact: Impact | None = None
    components: dict[str, ComponentStatus] = Field(default_factory=dict)
    eta: str | None = Field(
        default=None, max_length=100, description="when a fix is expected, e.g. 15:30 UTC (used by the default text)"
    )


class StatusUpdatePublish(_Strict):
    """Publish an internal incident's state to the public page."""

    state: IncidentStatus
    body: str | None = Field(
        default=None, max_length=10_000, description="the text published; default: the standard text of the state"
    )
    components: dict[str, ComponentStatus] = Field(default_factory=dict, description="{component name: state}")
    name: str | None = Field(
        default=None, min_length=1, max_length=300, description="the public title (never the internal one)"
    )
    impact: Impact | None = None
    eta: str | None = Field(
        default=None, max_length=100, description="when a fix is expected, e.g. 15:30 UTC (used by the default text)"
    )


class MaintenanceCreate(_Strict):
    name: str = Field(min_length=1, max_length=300)
    scheduled_for: AwareDatetime
    scheduled_until: AwareDatetime
    components: list[str] = Field(default_factory=list, description="component names")
    body: str | None = Field(default=None, max_length=10_000)


class MaintenanceUpdateCreate(_Strict):
    status: MaintenanceStatus
    body: str | None = Field(default=None, max_length=10_000)


class UpdateRead(BaseModel):
    id: str
    status: str
    body: str
    affected_components: list[dict[str, Any]]
    actor: str
    created_at: datetime


class PublicIncidentRead(BaseModel):
    id: str
    kind: str
    name: str
    status: str = Field(description="for a maintenance, its state now (the clock moves a scheduled one)")
    impact: str
    components: dict[str, str] = Field(description="{component name: the state this incident gave it}")
    internal_incident_id: str | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    updates: list[UpdateRead]
