"""Service level objectives and indicators: what a service promises, and the query that measures it. Pure.

The runbook template's SLO table is the model: availability 99.9 % over a 30-day rolling window, p99
latency under 500 ms in a 5-minute window, error rate under 0.1 %, throughput over 1000 RPS. A target
is a number with a unit; each kind has its own comparison (availability at least, latency and error
rate under, throughput over), units and default window. Inputs are validated field by field, and an
error names the field (`slos.0.target`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from firebell.kernel.errors import ValidationFailed


class SloKind(StrEnum):
    AVAILABILITY = "availability"
    LATENCY_P99 = "latency_p99"
    ERROR_RATE = "error_rate"
    THROUGHPUT = "throughput"


@dataclass(frozen=True, slots=True)
class _Rule:
    label: str
    units: tuple[str, ...]  # the first is the default
    comparison: str  # how the target reads: "" (at least), "<" or ">"
    window: str  # the default measurement window
    percentage: bool = False


RULES: dict[SloKind, _Rule] = {
    SloKind.AVAILABILITY: _Rule("Availability", ("%",), "", "30d", percentage=True),
    SloKind.LATENCY_P99: _Rule("Latency (p99)", ("ms", "s"), "<", "5m"),
    SloKind.ERROR_RATE: _Rule("Error rate", ("%",), "<", "5m", percentage=True),
    SloKind.THROUGHPUT: _Rule("Throughput", ("rps", "rpm"), ">", "1m"),
}
_ALLOWED_SIGNS = {"": {"", ">", ">="}, "<": {"", "<", "<="}, ">": {"", ">", ">="}}

_TARGET = re.compile(r"^\s*([<>]=?)?\s*(\d+(?:\.\d+)?)\s*([A-Za-z%]*)\s*$")
_WINDOW = re.compile(
    r"^\s*(\d+)\s*-?\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?|w|weeks?)(?:\s+(?:rolling|window))?\s*$",
    re.I,
)
_UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
MAX_WINDOW_SECONDS = 400 * 86_400
MAX_ITEMS = 20


@dataclass(frozen=True, slots=True)
class Slo:
    kind: SloKind
    target: float
    unit: str
    window: str  # canonical, as "30d" or "5m"

    @property
    def label(self) -> str:
        return RULES[self.kind].label

    @property
    def target_text(self) -> str:
        """'99.9%', '< 500ms', '< 0.1%', '> 1000 RPS'."""
        sign = RULES[self.kind].comparison
        unit = self.unit if self.unit in ("%", "ms", "s") else f" {self.unit.upper()}"
        return f"{sign + ' ' if sign else ''}{number_text(self.target)}{unit}"

    @property
    def window_text(self) -> str:
        """'30-day rolling' for windows of days or weeks, else '5-minute window'."""
        amount, unit = int(self.window[:-1]), self.window[-1]
        return f"{amount}-{_UNIT_WORDS[unit]} {'rolling' if unit in 'dw' else 'window'}"

    @property
    def text(self) -> str:
        """The target with its window: '99.9% (30-day rolling)'."""
        return f"{self.target_text} ({self.window_text})"

    def document(self) -> dict[str, object]:
        """The stored (and exchanged) form."""
        return {"kind": self.kind.value, "target": self.target, "unit": self.unit, "window": self.window}


@dataclass(frozen=True, slots=True)
class Sli:
    """An indicator: a named query (PromQL, say) whose value the SLO's target is compared with."""

    name: str
    query: str

    def document(self) -> dict[str, object]:
        return {"name": self.name, "query": self.query}


def number_text(value: float) -> str:
    """99.9 as '99.9', 500.0 as '500'."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def bounded_list(raw: object, field: str, limit: int = MAX_ITEMS) -> list[object]:
    """`raw` as a list of at most `limit` entries."""
    if not isinstance(raw, list | tuple):
        raise ValidationFailed.field(field, "must be a list")
    if len(raw) > limit:
        raise ValidationFailed.field(field, f"at most {limit} entries")
    return list(raw)


def records(raw: object, field: str, keys: frozenset[str], limit: int = MAX_ITEMS) -> list[Mapping[str, object]]:
    """`raw` as a list of mappings that use only `keys`."""
    found: list[Mapping[str, object]] = []
    for k, item in enumerate(bounded_list(raw, field, limit)):
        if not isinstance(item, Mapping):
            raise ValidationFailed.field(f"{field}.{k}", "must be a mapping")
        unknown = sorted(str(key) for key in item if key not in keys)
        if unknown:
            raise ValidationFailed.field(f"{field}.{k}.{unknown[0]}", f"unknown field; use {', '.join(sorted(keys))}")
        found.append(item)
    return found


def _kind(value: object, field: str) -> SloKind:
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_") if isinstance(value, str) else ""
    try:
        return SloKind(text)
    except ValueError:
        raise ValidationFailed.field(field, f"use one of {', '.join(k.value for k in SloKind)}") from None


def window_of(value: object, field: str) -> str:
    """A measurement window in canonical form: '30d', '5m', '1h'; also reads '30-day rolling'."""
    found = _WINDOW.match(value) if isinstance(value, str) else None
    if found is None:
        raise ValidationFailed.field(field, "write a window as 30d, 5m or 1h (or '30-day rolling')")
    amount, unit = int(found[1]), found[2][0].lower()
    if not 1 <= amount * _UNIT_SECONDS[unit] <= MAX_WINDOW_SECONDS:
        raise ValidationFailed.field(field, "must be at least 1s and at most 400 days")
    return f"{amount}{unit}"


def _target(kind: SloKind, raw: Mapping[str, object], field: str) -> tuple[float, str]:
    rule = RULES[kind]
    value, unit = raw.get("target"), raw.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise ValidationFailed.field(f"{field}.unit", f"use one of {', '.join(rule.units)}")
    stated = unit.strip().lower() if isinstance(unit, str) else ""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationFailed.field(f"{field}.target", "must be a number, or a number with its unit as '99.9%'")
    if isinstance(value, str):
        found = _TARGET.match(value)
        if found is None:
            raise ValidationFailed.field(f"{field}.target", "write a number with its unit, as 99.9% or < 500ms")
        if (found[1] or "") not in _ALLOWED_SIGNS[rule.comparison]:
            raise ValidationFailed.field(f"{field}.target", f"a {rule.label.lower()} target cannot be {found[1]}")
        number, written = float(found[2]), found[3].lower()
        if written and stated and written != stated:
            raise ValidationFailed.field(f"{field}.unit", f"the target says {written}")
        stated = written or stated
    else:
        number = float(value)
    final = stated or rule.units[0]
    if final not in rule.units:
        where = "unit" if isinstance(unit, str) and unit.strip() else "target"
        raise ValidationFailed.field(f"{field}.{where}", f"{rule.label.lower()} is measured in {', '.join(rule.units)}")
    if not math.isfinite(number) or number <= 0 or (rule.percentage and number > 100):
        bound = "above 0 and at most 100" if rule.percentage else "above 0"
        raise ValidationFailed.field(f"{field}.target", f"must be {bound}")
    return (int(number) if number.is_integer() else number), final


def parse_slo(raw: Mapping[str, object], field: str) -> Slo:
    kind = _kind(raw.get("kind"), f"{field}.kind")
    if "target" not in raw:
        raise ValidationFailed.field(f"{field}.target", "required")
    target, unit = _target(kind, raw, field)
    window = raw.get("window")
    return Slo(kind, target, unit, window_of(window, f"{field}.window") if window is not None else RULES[kind].window)


def parse_slos(raw: object, field: str = "slos") -> tuple[Slo, ...]:
    """SLOs from plain data; at most one of each kind per window."""
    found: list[Slo] = []
    for k, item in enumerate(records(raw, field, frozenset({"kind", "target", "unit", "window"}))):
        slo = parse_slo(item, f"{field}.{k}")
        if any(s.kind is slo.kind and s.window == slo.window for s in found):
            raise ValidationFailed.field(f"{field}.{k}.kind", f"a second {slo.kind.value} SLO over {slo.window}")
        found.append(slo)
    return tuple(found)


def _text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.field(field, "required")
    if len(value) > limit:
        raise ValidationFailed.field(field, f"must be at most {limit} characters")
    return value.strip()


def parse_slis(raw: object, field: str = "slis") -> tuple[Sli, ...]:
    """SLIs from plain data: each a unique name and its query text."""
    found: list[Sli] = []
    for k, item in enumerate(records(raw, field, frozenset({"name", "query"}))):
        sli = Sli(
            _text(item.get("name"), f"{field}.{k}.name", 100), _text(item.get("query"), f"{field}.{k}.query", 5000)
        )
        if any(s.name == sli.name for s in found):
            raise ValidationFailed.field(f"{field}.{k}.name", f"a second SLI named {sli.name!r}")
        found.append(sli)
    return tuple(found)


def slos_of(stored: object) -> tuple[Slo, ...]:
    """The stored SLO documents as SLOs (they were validated on the way in)."""
    return parse_slos(stored or [])
