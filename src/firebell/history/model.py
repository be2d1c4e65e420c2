"""Imported history: the incidents and alerts read from another tool's export, and how that tool's
values map onto Firebell's. Pure.

Severity: a PagerDuty priority P1..P5 becomes SEV-1..SEV-4 (P5 is SEV-4 too); without a priority,
urgency high is SEV-2 and low SEV-3. An Opsgenie priority P1..P5 becomes the alert severity
critical, error, warning, info, info.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from firebell.kernel.severity import Sev


class Format(StrEnum):
    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    FIREBELL = "firebell"


# The values stored in incidents.status and alerts.severity (incidents.state.IncidentStatus and
# alerts.model.AlertSeverity; a unit test holds them equal). This core does not import other domains.
INCIDENT_STATUSES = ("detected", "acknowledged", "investigating", "identified", "resolving", "resolved", "closed")
OPEN_STATUSES = INCIDENT_STATUSES[:5]
ALERT_SEVERITIES = ("critical", "error", "warning", "info")

MAX_ID = 180  # "<source>:<id>" fits the 200 characters of external_ref
MAX_TITLE = 1024
MAX_NAME = 255


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    line: int
    external_id: str
    service: str
    title: str
    sev: Sev
    status: str
    opened_at: datetime
    acknowledged_at: datetime | None = None
    identified_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertRecord:
    line: int
    external_id: str
    service: str
    summary: str
    name: str
    severity: str
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime
    acknowledged_at: datetime | None = None
    count: int = 1
    dedup_key: str = ""
    origin: str = ""
    verdict: str | None = None  # "no_action" (a false positive), "actionable", or not said
    incident_id: str | None = None  # the external id of the incident it belongs to
    labels: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, str] = field(default_factory=dict)  # the record as exported


Record = IncidentRecord | AlertRecord


def external_ref(source: Format, external_id: str) -> str:
    """What `external_ref` holds: "pagerduty:PABC123"."""
    return f"{source.value}:{external_id}"


def _level(text: str) -> int | None:
    """1..5 from "P1", "p2", "3", "SEV-4"; None when it is none of them."""
    cleaned = text.strip().upper().replace("-", "").replace("_", "").replace(" ", "")
    for prefix in ("SEV", "P"):
        if cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix) :]
            break
    return int(cleaned) if cleaned in {"1", "2", "3", "4", "5"} else None


def sev_of_priority(text: str) -> Sev | None:
    """P1..P5 as SEV-1..SEV-4 (P5 is SEV-4); None for an empty or unknown priority."""
    level = _level(text)
    return None if level is None else Sev(f"SEV-{min(level, 4)}")


def sev_of_urgency(text: str) -> Sev | None:
    return {"high": Sev.SEV2, "low": Sev.SEV3}.get(text.strip().lower())


def severity_of_priority(text: str) -> str | None:
    """An Opsgenie priority P1..P5 as an alert severity: critical, error, warning, info, info."""
    level = _level(text)
    return None if level is None else ("critical", "error", "warning", "info", "info")[level - 1]


_NOT_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def service_slug(name: str) -> str:
    """A service name as Firebell spells them: "Checkout API (prod)" is "Checkout-API-prod"."""
    return _NOT_SLUG.sub("-", name.strip()).strip("-._")[:100]


def status_from_times(record_times: Mapping[str, datetime | None]) -> str:
    """The status an incident reached, from the last of its times that is set."""
    for status in ("closed", "resolved", "identified", "acknowledged"):
        if record_times.get(f"{status}_at") is not None:
            return status
    return "detected"
