"""Per-service intake configuration (pure): the rule, the grouping and the webhook mapping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from firebell.alerts.grouping import GroupingMode, GroupingPolicy
from firebell.alerts.model import (
    DEFAULT_SEVERITY_MAP,
    AlertRule,
    AlertSeverity,
    MaintenanceWindow,
)
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.severity import Sev


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """What ingest needs to know about a service."""

    service_id: str
    name: str
    auto_resolve: bool
    rule: AlertRule
    grouping: GroupingPolicy
    runbook_url: str | None


def parse_severity_map(raw: Mapping[str, object]) -> dict[AlertSeverity, Sev | None]:
    """Read a stored mapping such as {"critical": "SEV-1", "info": null} over the defaults."""
    mapping: dict[AlertSeverity, Sev | None] = dict(DEFAULT_SEVERITY_MAP)
    for key, value in raw.items():
        try:
            severity = AlertSeverity(key)
        except ValueError as exc:
            raise ValidationFailed.field(f"severity_map.{key}", "unknown alert severity") from exc
        if value is None or value == "log":
            mapping[severity] = None
            continue
        try:
            mapping[severity] = Sev.parse(str(value))
        except ValueError as exc:
            raise ValidationFailed.field(f"severity_map.{key}", str(exc)) from exc
    return mapping


_MODES = frozenset(m.value for m in GroupingMode)


def stored_grouping(mode: str, window_seconds: int, by_labels: Sequence[str]) -> GroupingPolicy:
    """A service's grouping as stored; an unknown mode reads as `alert`, the default."""
    chosen = GroupingMode(mode) if mode in _MODES else GroupingMode.ALERT
    return GroupingPolicy(chosen, timedelta(seconds=window_seconds), tuple(by_labels))


def service_config(
    *,
    service_id: str,
    name: str,
    auto_resolve: bool,
    grouping_window_seconds: int,
    group_by_labels: list[str],
    severity_map: Mapping[str, object],
    runbook_url: str | None,
    maintenance: tuple[MaintenanceWindow, ...] = (),
    grouping_mode: str = GroupingMode.ALERT.value,
) -> ServiceConfig:
    return ServiceConfig(
        service_id=service_id,
        name=name,
        auto_resolve=auto_resolve,
        rule=AlertRule(severity_map=parse_severity_map(severity_map), maintenance=maintenance),
        grouping=stored_grouping(grouping_mode, grouping_window_seconds, group_by_labels),
        runbook_url=runbook_url,
    )


@dataclass(frozen=True, slots=True)
class WebhookMapping:
    """Where a generic webhook keeps each field, as dotted paths into its JSON body."""

    title: str = "title"
    dedup_key: str = "dedup_key"
    severity: str = "severity"
    status: str = "status"
    links: str = "links"
    resolved_values: tuple[str, ...] = ("resolved", "ok", "closed", "recovered")
    acknowledged_values: tuple[str, ...] = ("acknowledged", "ack")
    severity_values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> WebhookMapping:
        unknown = set(config) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValidationFailed.field(f"mapping.{sorted(unknown)[0]}", "unknown mapping field")
        default = cls()
        return cls(
            title=_path(config, "title", default.title),
            dedup_key=_path(config, "dedup_key", default.dedup_key),
            severity=_path(config, "severity", default.severity),
            status=_path(config, "status", default.status),
            links=_path(config, "links", default.links),
            resolved_values=_words(config, "resolved_values", default.resolved_values),
            acknowledged_values=_words(config, "acknowledged_values", default.acknowledged_values),
            severity_values=_severity_values(config),
        )


def _path(config: Mapping[str, object], key: str, default: str) -> str:
    value = config.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValidationFailed.field(f"mapping.{key}", "must be a dotted path such as 'alert.title'")
    return value


def _words(config: Mapping[str, object], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = config.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed.field(f"mapping.{key}", "must be a list of strings")
    return tuple(v.lower() for v in value)


def _severity_values(config: Mapping[str, object]) -> dict[str, str]:
    value = config.get("severity_values", {})
    if not isinstance(value, Mapping):
        raise ValidationFailed.field("mapping.severity_values", "must be an object")
    allowed = {s.value for s in AlertSeverity}
    for target in value.values():
        if target not in allowed:
            raise ValidationFailed.field("mapping.severity_values", f"{target!r} is not critical/error/warning/info")
    return {str(k).lower(): str(v) for k, v in value.items()}


def pluck(document: object, path: str) -> object | None:
    """Follow a dotted path (`a.b.0.c`) into nested dicts and lists; None where it stops."""
    current = document
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current
