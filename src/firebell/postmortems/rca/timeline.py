"""Timeline analysis: where the time of an incident went, from a few dated facts.

Each fact has a kind (the first symptom, the alert, the acknowledgement, ...). The figures are spans
between the first fact of two kinds, as in the incident guide: the detection gap, the response and
assembly times, the investigation, the resolution and the recovery, and the time to detect and to
resolve. A figure is None when a fact it needs is missing, or when its end comes before its start (a
span is never negative); `Span.problem` says which.

JSON: `[{"at": "2025-01-15T14:32:00Z", "kind": "first_symptom", "text": "..."}, ...]`; `at` carries
its UTC offset; `text` may be empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from firebell.postmortems.rca.parsing import array, fail, obj, text

MAX_FACTS = 500


class FactKind(StrEnum):
    FIRST_SYMPTOM = "first_symptom"
    ALERT = "alert"
    PAGED = "paged"
    ACKNOWLEDGED = "acknowledged"
    DECLARED = "declared"  # incident declared, war room opened
    IDENTIFIED = "identified"  # root cause identified
    MITIGATION_STARTED = "mitigation_started"
    RESOLVING = "resolving"  # the fix is in; watching it take
    RESOLVED = "resolved"
    RECOVERED = "recovered"  # service back to normal
    NOTE = "note"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class Fact:
    at: datetime
    kind: FactKind
    text: str = ""

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise ValueError("a fact's time must be timezone-aware")

    def to_json(self) -> dict[str, object]:
        return {"at": self.at.astimezone(UTC).isoformat(), "kind": self.kind.value, "text": self.text}


@dataclass(frozen=True, slots=True)
class Timeline:
    facts: tuple[Fact, ...] = ()  # in time order

    def to_json(self) -> list[dict[str, object]]:
        return [f.to_json() for f in self.facts]


def parse_timeline(data: object, *, field: str = "timeline") -> Timeline:
    """Read timeline facts from JSON, sorted by time (stable); raises ValidationFailed naming the field."""
    facts = [_parse_fact(item, f"{field}.{k}") for k, item in enumerate(array(data, field, limit=MAX_FACTS))]
    return Timeline(tuple(sorted(facts, key=lambda f: f.at)))


def _parse_fact(data: object, path: str) -> Fact:
    fields = obj(data, path, allowed=("at", "kind", "text"))
    raw_at = text(fields.get("at"), f"{path}.at", limit=40)
    try:
        at = datetime.fromisoformat(raw_at)
    except ValueError:
        raise fail(f"{path}.at", "give an ISO 8601 time, as in 2025-01-15T14:32:00Z") from None
    if at.utcoffset() is None:
        raise fail(f"{path}.at", "give the time with its UTC offset, as in 2025-01-15T14:32:00Z")
    kind_name = text(fields.get("kind"), f"{path}.kind", limit=40).lower()
    try:
        kind = FactKind(kind_name)
    except ValueError:
        raise fail(f"{path}.kind", f"unknown kind; use one of {', '.join(k.value for k in FactKind)}") from None
    return Fact(at.astimezone(UTC), kind, text(fields.get("text", ""), f"{path}.text", required=False))


class Measure(StrEnum):
    DETECTION = "detection"  # first symptom → alert
    RESPONSE = "response"  # alert → acknowledged
    ASSEMBLY = "assembly"  # alert → declared
    INVESTIGATION = "investigation"  # declared (else acknowledged) → identified
    RESOLUTION = "resolution"  # identified → resolved
    RECOVERY = "recovery"  # resolving (else mitigation started) → recovered (else resolved)
    TIME_TO_DETECT = "time_to_detect"  # first symptom → first of alert, paged, acknowledged, declared
    TIME_TO_RESOLVE = "time_to_resolve"  # that first detection → resolved

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Measure.DETECTION: "Detection gap",
    Measure.RESPONSE: "Response time",
    Measure.ASSEMBLY: "Assembly time",
    Measure.INVESTIGATION: "Investigation time",
    Measure.RESOLUTION: "Resolution time",
    Measure.RECOVERY: "Recovery time",
    Measure.TIME_TO_DETECT: "Time to detect (TTD)",
    Measure.TIME_TO_RESOLVE: "Time to resolve (TTR)",
}
PHASES = tuple(m for m in Measure if m not in (Measure.TIME_TO_DETECT, Measure.TIME_TO_RESOLVE))
DETECTED_BY = (FactKind.ALERT, FactKind.PAGED, FactKind.ACKNOWLEDGED, FactKind.DECLARED)


@dataclass(frozen=True, slots=True)
class Span:
    measure: Measure
    start: Fact | None
    end: Fact | None
    wanted: tuple[str, str]  # what the start and end are, for `problem`

    @property
    def duration(self) -> timedelta | None:
        if self.start is None or self.end is None or self.end.at < self.start.at:
            return None
        return self.end.at - self.start.at

    @property
    def problem(self) -> str | None:
        """Why there is no figure: a missing fact, or an end before the start; None when there is one."""
        start, end = self.start, self.end
        if start is None or end is None:
            missing = [name for name, fact in zip(self.wanted, (start, end), strict=True) if fact is None]
            return f"no {' and no '.join(missing)} fact"
        if end.at < start.at:
            return f"{end.kind.label} ({_when(end)}) is before {start.kind.label} ({_when(start)})"
        return None


def _when(fact: Fact) -> str:
    return f"{fact.at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


@dataclass(frozen=True, slots=True)
class TimelineAnalysis:
    spans: tuple[Span, ...]  # one per measure, in the order of Measure

    def span(self, measure: Measure) -> Span:
        return self.spans[list(Measure).index(measure)]

    def duration(self, measure: Measure) -> timedelta | None:
        return self.span(measure).duration

    @property
    def phases(self) -> tuple[Span, ...]:
        """The phases that have a figure, longest first (ties in the order of Measure)."""
        known = [s for s in self.spans if s.measure in PHASES and s.duration is not None]
        return tuple(sorted(known, key=lambda s: -(s.duration or timedelta()).total_seconds()))

    @property
    def out_of_order(self) -> tuple[Span, ...]:
        """The spans whose end comes before their start."""
        return tuple(s for s in self.spans if s.start and s.end and s.end.at < s.start.at)


def timeline_analysis(facts: Iterable[Fact]) -> TimelineAnalysis:
    """The figures of `Measure` from the first fact of each kind."""
    first: dict[FactKind, Fact] = {}
    for fact in sorted(facts, key=lambda f: f.at):
        first.setdefault(fact.kind, fact)

    def one_of(*kinds: FactKind) -> Fact | None:
        return next((first[k] for k in kinds if k in first), None)

    detected = min((first[k] for k in DETECTED_BY if k in first), key=lambda f: f.at, default=None)
    k = FactKind
    spans = (
        Span(Measure.DETECTION, one_of(k.FIRST_SYMPTOM), one_of(k.ALERT), ("first symptom", "alert")),
        Span(Measure.RESPONSE, one_of(k.ALERT), one_of(k.ACKNOWLEDGED), ("alert", "acknowledged")),
        Span(Measure.ASSEMBLY, one_of(k.ALERT), one_of(k.DECLARED), ("alert", "declared")),
        Span(
            Measure.INVESTIGATION,
            one_of(k.DECLARED, k.ACKNOWLEDGED),
            one_of(k.IDENTIFIED),
            ("declared or acknowledged", "identified"),
        ),
        Span(Measure.RESOLUTION, one_of(k.IDENTIFIED), one_of(k.RESOLVED), ("identified", "resolved")),
        Span(
            Measure.RECOVERY,
            one_of(k.RESOLVING, k.MITIGATION_STARTED),
            one_of(k.RECOVERED, k.RESOLVED),
            ("resolving or mitigation started", "recovered or resolved"),
        ),
        Span(Measure.TIME_TO_DETECT, one_of(k.FIRST_SYMPTOM), detected, ("first symptom", "detection")),
        Span(Measure.TIME_TO_RESOLVE, detected, one_of(k.RESOLVED), ("detection", "resolved")),
    )
    return TimelineAnalysis(spans)


def duration_text(span: timedelta) -> str:
    """`45 s`, `3 min 05 s`, `1 h 05 min`, `2 d 03 h`: two units at most, the second zero-padded."""
    if span < timedelta(0):
        return "-" + duration_text(-span)
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    for big, big_unit, small, small_unit in (
        (days, "d", hours, "h"),
        (hours, "h", minutes, "min"),
        (minutes, "min", secs, "s"),
    ):
        if big:
            return f"{big} {big_unit}" + (f" {small:02d} {small_unit}" if small else "")
    return f"{secs} s"
