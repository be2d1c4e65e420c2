"""How a service gathers alerts into incidents (pure): its grouping mode, each alert's identity, the
key under which an alert looks for an incident to join, whether it joins one, and why, in words.

- `alert` (the default): only the same alert joins: the same identity (see `identity_of`) within
  the window.
- `labels`: alerts sharing every `group_by` label value join within the window. An alert lacking
  one of those labels joins nothing: a missing label is not a shared value.
- `service`: any alert of the service joins within the window (only when chosen).
- `none`: every alert opens an incident of its own.

In every mode an Alertmanager group is one incident while it is open, whatever the window: the
sender has already grouped those alerts, by the route's `group_by`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.alerts.model import AlertEvent, OpenIncidentRef
from firebell.kernel.errors import ValidationFailed


class GroupingMode(StrEnum):
    ALERT = "alert"
    LABELS = "labels"
    SERVICE = "service"
    NONE = "none"


DEFAULT_WINDOW = timedelta(minutes=5)
MAX_WINDOW = timedelta(days=1)
MAX_LABELS = 20
MAX_LABEL_NAME = 100
MAX_GROUP_KEY = 1024
MAX_REASON = 300  # the alerts.join_reason column


@dataclass(frozen=True, slots=True)
class GroupingPolicy:
    """A service's grouping. A `window` of zero turns time-based grouping off: then only an
    Alertmanager group gathers alerts."""

    mode: GroupingMode = GroupingMode.ALERT
    window: timedelta = DEFAULT_WINDOW
    by_labels: tuple[str, ...] = ()


def identity_of(event: AlertEvent) -> tuple[tuple[str, str], ...]:
    """What makes two alerts the same alert, as named parts: the sender's own (set when the event is
    normalized, for senders that name no alert: PagerDuty, Opsgenie), else the alert's name: its
    `alertname` label, else its summary."""
    if event.identity:
        return event.identity
    labels = event.labels
    name = (labels.get("alertname") or labels.get("alert")) if labels else None
    return (("name", name or event.summary),)


def group_key_for(event: AlertEvent, policy: GroupingPolicy) -> str | None:
    """The key under which an alert looks for an incident to join (at most 1,024 characters); None
    when it joins nothing and opens an incident of its own."""
    if event.group_key:
        return _fit("group:" + event.group_key)
    mode = policy.mode
    if mode is GroupingMode.ALERT:
        return _fit("alert:" + json.dumps(identity_of(event), separators=(",", ":")))
    if mode is GroupingMode.LABELS:
        labels = event.labels
        values: dict[str, str] = {}
        for name in policy.by_labels:
            value = labels.get(name)
            if not value:
                return None  # a missing label is not a shared value
            values[name] = value
        if not values:
            return None  # no labels to share: nothing to join by (refused when configured)
        return _fit("labels:" + json.dumps(values, sort_keys=True, separators=(",", ":")))
    if mode is GroupingMode.SERVICE:
        return "service:"
    return None


def _fit(key: str) -> str:
    if len(key) <= MAX_GROUP_KEY:
        return key
    # Stable and still distinct per group; the prefix keeps the kind of key recognisable.
    return key.split(":", 1)[0] + ":sha256:" + hashlib.sha256(key.encode()).hexdigest()


def joins(candidate: OpenIncidentRef, key: str, policy: GroupingPolicy, now: datetime) -> bool:
    """Whether an alert with group `key` arriving at `now` joins the open `candidate` incident."""
    if candidate.group_key != key:
        return False
    if key.startswith("group:"):
        return True
    return policy.window > timedelta(0) and now - candidate.opened_at <= policy.window


def join_reason(event: AlertEvent, policy: GroupingPolicy, key: str, service: str) -> str:
    """Why an alert with group `key` joined an incident, in words (at most 300 characters)."""
    if key.startswith("group:"):
        return "same Alertmanager group"
    kind = key.split(":", 1)[0]
    if kind == "labels":
        text = "same labels " + ", ".join(f"{n}={_short(event.labels.get(n, ''))}" for n in policy.by_labels)
    elif kind == "service":
        text = f"any alert of {_short(service)}"
    else:
        parts = identity_of(event)
        if len(parts) == 1 and parts[0][0] == "name":
            text = f"same alert name {_short(parts[0][1])}"
        else:
            text = "same alert " + ", ".join(f"{n}={_short(v)}" for n, v in parts)
    within = f" within {window_text(policy.window)}"
    return text[: MAX_REASON - len(within)] + within


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_WINDOW = re.compile(r"^(\d{1,6})([smhd]?)$")


def window_text(window: timedelta) -> str:
    """`5m`, `90s`, `1h`: the shortest form that `parse_window` reads back."""
    seconds = int(window.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def parse_window(value: object, field: str) -> timedelta:
    """A grouping window: a whole number of seconds, or `90s`, `5m`, `1h`, `1d`; from 0 to a day."""
    seconds = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str):
        found = _WINDOW.match(value.strip().lower())
        if found is not None:
            seconds = int(found[1]) * _UNITS[found[2] or "s"]
    if seconds is None:
        raise ValidationFailed.field(field, "use a duration such as 5m, 90s or 1h (0 turns time grouping off)")
    if not 0 <= seconds <= MAX_WINDOW.total_seconds():
        raise ValidationFailed.field(field, "must be between 0 and 1d")
    return timedelta(seconds=seconds)


def parse_mode(value: str, field: str) -> GroupingMode:
    try:
        return GroupingMode(value.strip().lower())
    except ValueError:
        raise ValidationFailed.field(field, "use one of alert, labels, service or none") from None


@dataclass(frozen=True, slots=True)
class GroupingFields:
    """How the caller's input names the settings, so that an error names the field it was given."""

    mode: str = "grouping_mode"
    labels: str = "group_by_labels"
    window: str = "grouping_window_seconds"

    @classmethod
    def in_file(cls, where: str) -> GroupingFields:
        """As an `apply` file names them under a service (`services[0].group_by`)."""
        return cls(f"{where}.grouping", f"{where}.group_by", f"{where}.grouping_window")


def settle_grouping(
    *,
    mode: str | None = None,
    by_labels: Sequence[object] | None = None,
    window: object = None,
    current: GroupingPolicy | None = None,
    fields: GroupingFields | None = None,
) -> GroupingPolicy:
    """The grouping a service gets from these settings over `current` (None: left as is).

    Labels given without a mode mean the `labels` mode; that mode needs at least one label, and no
    other mode takes any.
    """
    current = current or GroupingPolicy()
    fields = fields or GroupingFields()
    labels = _labels(by_labels, fields.labels) if by_labels is not None else None
    implied = GroupingMode.LABELS if labels else current.mode
    chosen = parse_mode(mode, fields.mode) if mode is not None else implied
    kept: tuple[str, ...] = ()
    if chosen is GroupingMode.LABELS:
        kept = labels if labels is not None else current.by_labels
        if not kept:
            raise ValidationFailed.field(fields.labels, "the labels grouping needs at least one label to group by")
    elif labels:
        raise ValidationFailed.field(fields.labels, f"only the labels grouping groups by labels, not {chosen}")
    span = current.window if window is None else parse_window(window, fields.window)
    return GroupingPolicy(chosen, span, kept)


def _labels(raw: Sequence[object], field: str) -> tuple[str, ...]:
    if isinstance(raw, str) or len(raw) > MAX_LABELS:
        raise ValidationFailed.field(field, f"must be a list of at most {MAX_LABELS} label names")
    names: list[str] = []
    for item in raw:
        name = item.strip() if isinstance(item, str) else ""
        if not name or len(name) > MAX_LABEL_NAME:
            raise ValidationFailed.field(field, f"each label name must be 1-{MAX_LABEL_NAME} characters of text")
        if name not in names:
            names.append(name)
    return tuple(names)
