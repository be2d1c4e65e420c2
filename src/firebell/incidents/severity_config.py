"""Configuring the severities' response targets: the `severities:` section of `firebell apply`
files, its export, and the body the API takes.

A severity's stored overrides are exactly what was last declared for it: a field left out takes the
playbook's value again, and `null` (or `none`) means "no such target". Severities a file does not
name keep what they have.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from firebell.incidents.targets import LONGEST, SPANS, Postmortem, Targets, configured, format_span
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import format_duration, parse_duration

_NOT_NULL = ("acknowledge",)


def _sev_key(value: str) -> str:
    return Sev.parse(value).value


SevKey = Annotated[str, AfterValidator(_sev_key)]


def _span(value: str | None) -> str | None:
    if value is None or value.strip().lower() == "none":
        return None
    span = parse_duration(value.strip())
    if span <= timedelta(0):
        raise ValueError("give a target longer than 0")
    if span > LONGEST:
        raise ValueError(f"{value!r} is longer than {format_duration(LONGEST)}")
    return value.strip()


class SeverityTargetsIn(BaseModel):
    """One severity's targets over the playbook's: durations as 15m, 2h or 1d."""

    model_config = ConfigDict(extra="forbid")

    acknowledge: str | None = Field(default=None, description="time to acknowledge")
    assemble: str | None = Field(default=None, description="time until every required role is filled; none: no target")
    investigate: str | None = Field(default=None, description="time until investigating; none: no target")
    update_every: str | None = Field(default=None, description="status-update cadence; none: no cadence")
    resolve: str | None = Field(default=None, description="time to resolve; none: no target")
    postmortem: Literal["required", "optional", "not needed"] | None = None
    postmortem_within: str | None = Field(default=None, description="after resolution, in calendar time")
    business_hours: bool | None = Field(default=None, description="the targets count working time only")

    _spans = field_validator(*SPANS)(_span)

    @field_validator(*_NOT_NULL)
    @classmethod
    def _required(cls, value: str | None) -> str | None:
        if value is None:
            raise ValueError("every severity has an acknowledge target: give a duration")
        return value


class SeverityStore(Protocol):
    def stored(self) -> dict[str, dict[str, Any]]: ...

    def save(self, sev: Sev, doc: Mapping[str, Any], at: datetime) -> None: ...


def stored_doc(declared: SeverityTargetsIn) -> dict[str, Any]:
    """What is stored for a declaration: spans in seconds (null kept), only the fields given."""
    given = declared.model_fields_set
    doc: dict[str, Any] = {}
    for name in SPANS:
        if name in given:
            value = getattr(declared, name)
            doc[name] = int(parse_duration(value).total_seconds()) if value is not None else None
    if declared.postmortem is not None:
        doc["postmortem"] = declared.postmortem
    if declared.business_hours is not None:
        doc["business_hours"] = declared.business_hours
    return doc


def declared_doc(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored override as a file declares it (durations as 15m, 2h, 1d)."""
    doc: dict[str, Any] = {}
    for name in SPANS:
        if name in stored:
            value = stored[name]
            doc[name] = format_duration(timedelta(seconds=int(value))) if value is not None else None
    for name in ("postmortem", "business_hours"):
        if name in stored:
            doc[name] = stored[name]
    return doc


def apply_severities(declared: Mapping[str, SeverityTargetsIn], *, store: SeverityStore, now: datetime) -> list[str]:
    """Store each named severity's overrides; what changed, in words."""
    current = store.stored()
    changes: list[str] = []
    for key, targets in declared.items():
        sev = Sev(key)
        wanted = stored_doc(targets)
        if current.get(sev.value, {}) != wanted:
            store.save(sev, wanted, now)
            changes.append(f"set the targets of {sev}" if wanted else f"set the targets of {sev} to the playbook's")
    return changes


def set_severity(sev: str, declared: SeverityTargetsIn, *, store: SeverityStore, now: datetime) -> Sev:
    """Store one severity's overrides in full (the API's PUT)."""
    try:
        parsed = Sev.parse(sev)
    except ValueError as exc:
        raise ValidationFailed.field("sev", str(exc)) from None
    store.save(parsed, stored_doc(declared), now)
    return parsed


def export_severities(store: SeverityStore | None) -> dict[str, Any]:
    """The `severities:` section of an export: the stored overrides (nothing when none are stored)."""
    stored = store.stored() if store is not None else {}
    found = {sev.value: declared_doc(stored[sev.value]) for sev in Sev if stored.get(sev.value)}
    return {"severities": found} if found else {}


def listing(stored: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every severity's targets as `severity_read` shows them, from the stored overrides."""
    targets = configured(stored)
    return [severity_read(sev, targets[sev], stored.get(sev.value, {})) for sev in Sev]


def severity_read(sev: Sev, targets: Targets, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A severity's targets as the API and pages show them: durations as 15m, 2h, 1d; null: none."""

    def shown(span: timedelta | None) -> str | None:
        return format_duration(span) if span is not None else None

    return {
        "sev": sev.value,
        **{name: shown(getattr(targets, name)) for name in SPANS},
        "postmortem": targets.postmortem.value,
        "business_hours": targets.business_hours,
        "overrides": declared_doc(overrides),
        "summary": summary(targets),
    }


def summary(targets: Targets) -> str:
    """One line for people: `acknowledge 1h, investigate 4h, updates every 1d; business hours`."""
    parts = [f"acknowledge {format_span(targets.acknowledge)}"]
    for name, label in (("assemble", "assemble"), ("investigate", "investigate"), ("resolve", "resolve")):
        span = getattr(targets, name)
        if span is not None:
            parts.append(f"{label} {format_span(span)}")
    if targets.update_every is not None:
        parts.append(f"updates every {format_span(targets.update_every)}")
    if targets.postmortem is not Postmortem.NONE:
        within = f" within {format_span(targets.postmortem_within)}" if targets.postmortem_within else ""
        parts.append(f"postmortem {targets.postmortem.value}{within}")
    return ", ".join(parts) + ("; business hours" if targets.business_hours else "")
