"""The public status page's rules, pure: its vocabularies, the page's overall indicator, the state of
a maintenance window at an instant, and the default text of each customer update.

The vocabularies are Statuspage's (v2), so tools that read a Statuspage read Firebell's page as-is.
Nothing here reads the clock: "now" is passed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


class Indicator(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


MAINTENANCE_IMPACT = "maintenance"  # what Statuspage puts in a scheduled maintenance's `impact`
ACTIVE_MAINTENANCE = frozenset({MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING})

# How bad each component state is, for "the worst of": maintenance is planned, so below any trouble.
_RANK = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}
_IMPACT_RANK = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}
_INDICATOR_RANK = {Indicator.NONE: 0, Indicator.MINOR: 1, Indicator.MAJOR: 2, Indicator.CRITICAL: 3}

DESCRIPTION = {
    Indicator.NONE: "All Systems Operational",
    Indicator.MINOR: "Minor Service Outage",
    Indicator.MAJOR: "Partial System Outage",
    Indicator.CRITICAL: "Major System Outage",
}
UNDER_MAINTENANCE_DESCRIPTION = "Service Under Maintenance"

LABEL = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
    ComponentStatus.UNDER_MAINTENANCE: "Under maintenance",
}


@dataclass(frozen=True, slots=True)
class PageStatus:
    indicator: Indicator
    description: str


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The worst of the states; operational when there are none."""
    return max(statuses, key=_RANK.__getitem__, default=ComponentStatus.OPERATIONAL)


def max_impact(impacts: Iterable[Impact]) -> Impact:
    return max(impacts, key=_IMPACT_RANK.__getitem__, default=Impact.NONE)


def impact_of(statuses: Iterable[ComponentStatus]) -> Impact:
    """An incident's impact from the states it gives its components, as Statuspage derives it.

    An incident that names no component is a minor one: it was published because something is wrong.
    """
    chosen = list(statuses)
    if not chosen:
        return Impact.MINOR
    return {
        ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
        ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
        ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    }.get(worst(chosen), Impact.NONE)


def page_status(
    components: Sequence[ComponentStatus], open_impacts: Iterable[Impact], maintenance_active: bool = False
) -> PageStatus:
    """The page's overall indicator from the states shown for its components (maintenance applied)
    and the impacts of its unresolved incidents: the worst of the two wins.

    Components: degraded performance is minor, a partial outage or some components in a major outage
    is major, every component in a major outage is critical. An incident counts by its impact.
    With nothing wrong but a maintenance under way, the indicator stays none and the description says so.
    """
    level = Indicator.NONE
    shown = worst(components)
    if shown is ComponentStatus.DEGRADED_PERFORMANCE:
        level = Indicator.MINOR
    elif shown is ComponentStatus.PARTIAL_OUTAGE:
        level = Indicator.MAJOR
    elif shown is ComponentStatus.MAJOR_OUTAGE:
        every = all(c is ComponentStatus.MAJOR_OUTAGE for c in components)
        level = Indicator.CRITICAL if every else Indicator.MAJOR
    from_incidents = Indicator(max_impact(open_impacts).value)
    if _INDICATOR_RANK[from_incidents] > _INDICATOR_RANK[level]:
        level = from_incidents
    if level is Indicator.NONE and (maintenance_active or ComponentStatus.UNDER_MAINTENANCE in components):
        return PageStatus(Indicator.NONE, UNDER_MAINTENANCE_DESCRIPTION)
    return PageStatus(level, DESCRIPTION[level])


def maintenance_state(
    recorded: MaintenanceStatus, scheduled_for: datetime, scheduled_until: datetime, now: datetime
) -> MaintenanceStatus:
    """A maintenance's state at `now`.

    A window left as `scheduled` follows the clock: in progress from `scheduled_for`, completed at
    `scheduled_until`. A state someone set by hand (started early, verifying, completed) stands, so a
    window that overruns stays in progress until it is marked completed.
    """
    if recorded is not MaintenanceStatus.SCHEDULED:
        return recorded
    if now < scheduled_for:
        return MaintenanceStatus.SCHEDULED
    if now < scheduled_until:
        return MaintenanceStatus.IN_PROGRESS
    return MaintenanceStatus.COMPLETED


def shown_status(stored: ComponentStatus, under_maintenance: bool) -> ComponentStatus:
    """What the page shows for a component: under maintenance while a window covering it is active,
    unless an outage was reported on it meanwhile (that is news the maintenance must not hide)."""
    if under_maintenance and _RANK[stored] < _RANK[ComponentStatus.DEGRADED_PERFORMANCE]:
        return ComponentStatus.UNDER_MAINTENANCE
    return stored


def status_after_resolve(held_by_other_open_incidents: Iterable[ComponentStatus]) -> ComponentStatus:
    """A component's state when an incident that touched it resolves: operational, unless another
    unresolved incident still holds it in a worse state."""
    return worst(held_by_other_open_incidents)


def group_id(name: str) -> str:
    """A component group's stable id, from its name (groups are declared by name on components)."""
    return "grp" + hashlib.sha256(name.encode()).hexdigest()[:23]


def listing(names: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def default_name(component_names: Sequence[str]) -> str:
    """A public title when none is given. Never the internal incident's title, which is not public."""
    return f"Disruption of {listing(component_names)}" if component_names else "Service disruption"


_SYMPTOMS = {
    ComponentStatus.DEGRADED_PERFORMANCE: "slow responses",
    ComponentStatus.PARTIAL_OUTAGE: "errors on some requests",
    ComponentStatus.MAJOR_OUTAGE: "errors on every request",
}


def symptoms(statuses: Iterable[ComponentStatus]) -> str:
    return _SYMPTOMS.get(worst(statuses), "errors or slow responses")


def default_body(
    status: IncidentStatus,
    *,
    name: str,
    components: Sequence[tuple[str, ComponentStatus]] = (),
    eta: str | None = None,
) -> str:
    """The customer update for a state, as the playbook's status page texts say it: what is
    affected, what users may notice, that updates will follow, and the ETA when it is known."""
    what = listing([n for n, _s in components]) or name
    if status is IncidentStatus.INVESTIGATING:
        return (
            f"We are investigating a problem affecting {what}. "
            f"You may notice {symptoms(s for _n, s in components)}. "
            "Our team is working on it, and we will post an update here as soon as we know more."
        )
    if status is IncidentStatus.IDENTIFIED:
        when = f"We expect it to be fixed by {eta}." if eta else "We will post an update when the fix is in place."
        return f"We have found the cause of the problem affecting {what} and are working on a fix. {when}"
    if status is IncidentStatus.MONITORING:
        return (
            f"A fix for the problem affecting {what} is in place and we are watching the results. "
            "We will post an update once we are sure it is resolved."
        )
    return (
        f"The problem affecting {what} has been resolved, and everything is working normally again. "
        "We are sorry for the trouble it caused, and we are reviewing it so that it does not happen again."
    )


def default_maintenance_body(status: MaintenanceStatus, *, name: str, components: Sequence[str] = ()) -> str:
    """The update text of each maintenance state when none is written."""
    what = listing(components) or name
    return {
        MaintenanceStatus.SCHEDULED: f"Maintenance of {what} is scheduled for the time shown.",
        MaintenanceStatus.IN_PROGRESS: f"Maintenance of {what} is in progress. We will post an update when it is done.",
        MaintenanceStatus.VERIFYING: f"Maintenance of {what} is done and we are checking that everything works.",
        MaintenanceStatus.COMPLETED: f"Maintenance of {what} has been completed.",
    }[status]
