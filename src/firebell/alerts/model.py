"""The pure alert core: normalized events, dedup and the alert-to-incident rule (grouping: grouping.py).

No I/O, no clock: every function that needs the time takes `now`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from firebell.kernel.severity import Sev


class AlertSeverity(StrEnum):
    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class AlertStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not AlertStatus.RESOLVED


class EventAction(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Source(StrEnum):
    ALERTMANAGER = "alertmanager"
    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    WEBHOOK = "webhook"
    API = "api"


class Outcome(StrEnum):
    """What one event did; also the `outcome` label of the ingest metric."""

    CREATED = "created"
    DEDUPLICATED = "deduplicated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    IGNORED = "ignored"
    SUPPRESSED = "suppressed"
    LOGGED = "logged"
    REFUSED = "refused"  # the integration key was rotated or disabled before the batch was written


# Link and AlertEvent are built once per alert on the intake path, where a frozen dataclass's
# __init__ (object.__setattr__ per field) costs three times a plain one; treat them as immutable.


@dataclass(slots=True)
class Link:
    href: str
    text: str = ""


@dataclass(slots=True)
class AlertEvent:
    """One normalized event from any source."""

    action: EventAction
    dedup_key: str
    summary: str
    severity: AlertSeverity = AlertSeverity.ERROR
    origin: str = ""
    group_key: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, object] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    runbook_url: str | None = None
    occurred_at: datetime | None = None
    # What makes two events of a sender that names no alert (PagerDuty, Opsgenie) the same alert, as
    # named parts; empty: the `alertname` label, else the summary (see grouping.identity_of).
    identity: tuple[tuple[str, str], ...] = ()


class Disposition(StrEnum):
    """What a new triggering alert should do under its service's rule."""

    OPEN_INCIDENT = "open_incident"
    LOG_ONLY = "log_only"
    SUPPRESSED = "suppressed"


DEFAULT_SEVERITY_MAP: Mapping[AlertSeverity, Sev | None] = {
    AlertSeverity.CRITICAL: Sev.SEV1,
    AlertSeverity.ERROR: Sev.SEV2,
    AlertSeverity.WARNING: Sev.SEV3,
    AlertSeverity.INFO: None,
}


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """A half-open interval [starts_at, ends_at) during which new alerts open nothing."""

    starts_at: datetime
    ends_at: datetime
    reason: str = ""

    def covers(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A service's alert-to-incident rule: severity mapping plus maintenance windows."""

    severity_map: Mapping[AlertSeverity, Sev | None] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_MAP))
    maintenance: tuple[MaintenanceWindow, ...] = ()


@dataclass(frozen=True, slots=True)
class Classification:
    disposition: Disposition
    sev: Sev | None = None
    reason: str = ""


def classify(event: AlertEvent, rule: AlertRule, now: datetime) -> Classification:
    """Decide whether a new triggering alert opens an incident, and at which SEV."""
    for window in rule.maintenance:
        if window.covers(now):
            return Classification(Disposition.SUPPRESSED, None, window.reason or "maintenance")
    sev = rule.severity_map.get(event.severity)
    if sev is None:
        return Classification(Disposition.LOG_ONLY, None, f"{event.severity} alerts are logged only")
    return Classification(Disposition.OPEN_INCIDENT, sev, f"{event.severity} maps to {sev}")


@dataclass(frozen=True, slots=True)
class OpenIncidentRef:
    incident_id: str
    group_key: str
    opened_at: datetime
    sev: Sev = Sev.SEV4


MAX_NAME = 255


def alert_name(event: AlertEvent) -> str:
    """What an alert is called across its firings: its `alertname` label (Alertmanager, or any
    source that sends one), else its summary. The hygiene review and the recurrence rate count by it."""
    labels = event.labels
    name = labels.get("alertname") or labels.get("alert") if labels else None
    return str(name or event.summary)[:MAX_NAME]


# The label a drill's synthetic alert carries (the drill's id): its incident is practice, and its
# escalation notifies only the people the drill names.
DRILL_LABEL = "firebell_drill"


@dataclass(frozen=True, slots=True)
class OpenAlertRef:
    alert_id: str
    status: AlertStatus
    incident_id: str | None
    dedup_key: str = ""


class Step(StrEnum):
    """The dedup decision for one event against the open alert with its key, if any."""

    BUMP = "bump"
    NEW = "new"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    IGNORE = "ignore"


def dedup_step(action: EventAction, existing: OpenAlertRef | None) -> Step:
    """A repeat trigger bumps the open alert; acknowledge and resolve need one to act on."""
    if action is EventAction.TRIGGER:
        return Step.BUMP if existing is not None else Step.NEW
    if existing is None:
        return Step.IGNORE
    if action is EventAction.RESOLVE:
        return Step.RESOLVE
    if existing.status is AlertStatus.ACKNOWLEDGED:
        return Step.IGNORE
    return Step.ACKNOWLEDGE
