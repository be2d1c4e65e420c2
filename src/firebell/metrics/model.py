"""The metrics, their targets and how a figure is judged against them. Pure: no I/O, no clock.

Definitions follow the playbook's "Key Metrics to Track":
- MTTA: alert (the incident opening) → first acknowledgement; < 5 min SEV-1, < 15 min SEV-2.
- MTTI: acknowledgement → root cause identified; < 30 min SEV-1, < 2 h SEV-2.
- MTTR: alert → resolution (the last one, for an incident reopened); < 1 h SEV-1, < 4 h SEV-2.
- MTBF: operational time / incidents; > 720 h.
- Recurrence: incidents that recur within 90 days / incidents; < 10 %.
- Action items completed on time / action items due; > 90 %.
- Runbook coverage: services with an up-to-date runbook / services; 100 %.
- Alert volume: alerts per on-call team per week; < 20.
- False positives: alerts marked "no action needed" / alerts; < 20 %.
- After-hours pages per person per week; < 5.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from firebell.kernel.severity import Sev


class Metric(StrEnum):
    MTTA = "mtta"
    MTTI = "mtti"
    MTTR = "mttr"
    MTBF = "mtbf"
    RECURRENCE = "recurrence"
    ACTION_ITEMS = "action_items"
    RUNBOOK_COVERAGE = "runbook_coverage"
    ALERT_VOLUME = "alert_volume"
    FALSE_POSITIVES = "false_positives"
    AFTER_HOURS = "after_hours"


class Unit(StrEnum):
    SECONDS = "seconds"
    HOURS = "hours"
    PERCENT = "percent"
    PER_WEEK = "per_week"


class Better(StrEnum):
    LOWER = "lower"
    HIGHER = "higher"


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"
    NO_TARGET = "no target"  # SEV-3/4 response times: the playbook sets none
    NO_DATA = "no data"


@dataclass(frozen=True, slots=True)
class Target:
    """A limit the figure must beat: below it (`LOWER`) or above it (`HIGHER`); `inclusive` lets
    a figure equal to the limit pass (runbook coverage: 100 % is the target, not beyond it)."""

    limit: float
    better: Better
    inclusive: bool = False

    def judge(self, value: float | None) -> Verdict:
        if value is None:
            return Verdict.NO_DATA
        if self.better is Better.LOWER:
            ok = value <= self.limit if self.inclusive else value < self.limit
        else:
            ok = value >= self.limit if self.inclusive else value > self.limit
        return Verdict.MET if ok else Verdict.MISSED

    def describe(self, unit: Unit) -> str:
        sign = {Better.LOWER: "<", Better.HIGHER: ">"}[self.better]
        if self.inclusive:
            sign = {Better.LOWER: "≤", Better.HIGHER: "≥"}[self.better]
        return f"{sign} {format_value(self.limit, unit)}"


@dataclass(frozen=True, slots=True)
class Definition:
    metric: Metric
    title: str
    meaning: str
    unit: Unit
    target: Target | None = None  # one target whatever the severity
    by_sev: Mapping[Sev, Target] = field(default_factory=dict)  # response times: per severity
    short: str = ""  # the name in narrow tables: MTTA, MTBF, ...

    def target_for(self, sev: Sev | None) -> Target | None:
        if self.by_sev:
            return self.by_sev.get(sev) if sev is not None else None
        return self.target


_MIN = 60.0
_HOUR = 3600.0

DEFINITIONS: dict[Metric, Definition] = {
    d.metric: d
    for d in (
        Definition(
            Metric.MTTA,
            "Mean time to acknowledge",
            "From the alert that opened the incident to the first acknowledgement.",
            Unit.SECONDS,
            by_sev={Sev.SEV1: Target(5 * _MIN, Better.LOWER), Sev.SEV2: Target(15 * _MIN, Better.LOWER)},
            short="MTTA",
        ),
        Definition(
            Metric.MTTI,
            "Mean time to identify",
            "From the acknowledgement to the root cause identified.",
            Unit.SECONDS,
            by_sev={Sev.SEV1: Target(30 * _MIN, Better.LOWER), Sev.SEV2: Target(2 * _HOUR, Better.LOWER)},
            short="MTTI",
        ),
        Definition(
            Metric.MTTR,
            "Mean time to recovery",
            "From the alert to the resolution (the last one, when an incident was reopened).",
            Unit.SECONDS,
            by_sev={Sev.SEV1: Target(_HOUR, Better.LOWER), Sev.SEV2: Target(4 * _HOUR, Better.LOWER)},
            short="MTTR",
        ),
        Definition(
            Metric.MTBF,
            "Mean time between failures",
            "Operational time of the period divided by its incidents.",
            Unit.HOURS,
            Target(720, Better.HIGHER),
            short="MTBF",
        ),
        Definition(
            Metric.RECURRENCE,
            "Recurrence rate",
            "Incidents of a service whose alert (or title) had opened another incident in the 90 days before.",
            Unit.PERCENT,
            Target(10, Better.LOWER),
            short="Recurrence",
        ),
        Definition(
            Metric.ACTION_ITEMS,
            "Action items done on time",
            "Action items due in the period that were completed by their due date.",
            Unit.PERCENT,
            Target(90, Better.HIGHER),
            short="Actions on time",
        ),
        Definition(
            Metric.RUNBOOK_COVERAGE,
            "Runbook coverage",
            "Services with a runbook reviewed within the review period.",
            Unit.PERCENT,
            Target(100, Better.HIGHER, inclusive=True),
            short="Runbooks",
        ),
        Definition(
            Metric.ALERT_VOLUME,
            "Alert volume",
            "Alerts per on-call team (the services' owning team) per week.",
            Unit.PER_WEEK,
            Target(20, Better.LOWER),
            short="Alerts/team/week",
        ),
        Definition(
            Metric.FALSE_POSITIVES,
            "False-positive rate",
            "Alerts the responder marked 'no action needed', over all alerts.",
            Unit.PERCENT,
            Target(20, Better.LOWER),
            short="False positives",
        ),
        Definition(
            Metric.AFTER_HOURS,
            "After-hours pages",
            "Pages outside the person's working hours, per person paged per week (the busiest person).",
            Unit.PER_WEEK,
            Target(5, Better.LOWER),
            short="After-hours pages",
        ),
    )
}

RESPONSE_TIMES = (Metric.MTTA, Metric.MTTI, Metric.MTTR)


@dataclass(frozen=True, slots=True)
class Stat:
    """A distribution of durations (seconds): how many, the mean, the median and the 90th percentile."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None

    @classmethod
    def empty(cls) -> Stat:
        return cls(0, None, None, None)


@dataclass(frozen=True, slots=True)
class Ratio:
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.part / self.whole, 1) if self.whole else None


def percentile_ranks(n: int) -> tuple[tuple[int, int], int]:
    """1-based ranks of the sorted values that give the median (the middle one, or the mean of the
    middle two) and the 90th percentile (nearest rank: the ceil(0.9 n)-th value). The SQL computes
    the same ranks; this is their definition."""
    if n < 1:
        raise ValueError("no values")
    return ((n + 1) // 2, (n + 2) // 2), -(-9 * n // 10)


def format_value(value: float | None, unit: Unit) -> str:
    """A figure as people read it: durations in s / min / h / d, percentages and weekly rates."""
    if value is None:
        return "–"
    if unit is Unit.SECONDS:
        return format_duration(value)
    if unit is Unit.HOURS:
        return f"{value:,.0f} h" if value >= 100 else f"{value:,.1f} h"
    if unit is Unit.PERCENT:
        return f"{value:.1f} %"
    return f"{value:,.1f}/week"


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * _MIN:
        return f"{seconds / _MIN:.1f} min"
    if seconds < 48 * _HOUR:
        return f"{seconds / _HOUR:.1f} h"
    return f"{seconds / (24 * _HOUR):.1f} d"


@dataclass(frozen=True, slots=True)
class Scope:
    """Which incidents and alerts count: some services (None: all) and one severity (None: all).
    `label` says it in words ("service checkout", "team payments")."""

    service_ids: tuple[str, ...] | None = None
    sev: Sev | None = None
    label: str = "all services"
