"""Response targets per severity, and where an incident stands on each of them.

The playbook's values are the defaults (`DEFAULTS`); a site overrides them field by field (the
`severity_targets` table, written by `firebell apply`'s `severities:` and the API). Pure: the
configured targets, the working hours, the incident's timestamps and an instant come in; nothing
here reads storage or the clock.

Business hours: the playbook covers P3/P4 (SEV-3, SEV-4) in business hours only, so their targets
count working time. A target of less than a day counts working hours, up to one working day; a
target of a day or more counts working days (24 h is one working day, 8 working hours in the default
Monday-Friday 09:00-17:00 week). So SEV-3's "acknowledge within 1 h" opened Friday 16:30 falls due
Monday 09:30, and SEV-4's "acknowledge within 24 hours" is P4's "within one business day". The rule
is monotonic: a longer target never falls due sooner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from firebell.kernel.severity import Sev

DAY = timedelta(days=1)
SPRINT = timedelta(days=14)  # SEV-4's "resolution by the next sprint": two-week sprints
# Working time is counted a working day at a time up to a horizon; a year of target stays well inside it.
LONGEST = timedelta(days=365)


class Postmortem(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "not needed"


@dataclass(frozen=True, slots=True)
class Targets:
    acknowledge: timedelta
    assemble: timedelta | None  # the team (its required roles) in place; None: one responder is enough
    update_every: timedelta | None  # status-update cadence while open; None: through regular channels
    postmortem: Postmortem
    postmortem_within: timedelta | None  # after resolution, in calendar time whatever `business_hours` says
    investigate: timedelta | None = None  # from opening until the incident first reaches investigating
    resolve: timedelta | None = None  # from opening until it is resolved
    business_hours: bool = False  # the response targets count working time only


# The order people read them in; every one but `acknowledge` may be None (no such target).
SPANS = ("acknowledge", "assemble", "investigate", "update_every", "resolve", "postmortem_within")
FIELDS = (*SPANS, "postmortem", "business_hours")

DEFAULTS: dict[Sev, Targets] = {
    Sev.SEV1: Targets(
        timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=15), Postmortem.REQUIRED, timedelta(hours=48)
    ),
    Sev.SEV2: Targets(
        timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=30), Postmortem.REQUIRED, timedelta(weeks=1)
    ),
    Sev.SEV3: Targets(
        timedelta(hours=1),
        None,
        timedelta(days=1),
        Postmortem.OPTIONAL,
        None,
        investigate=timedelta(hours=4),
        business_hours=True,
    ),
    Sev.SEV4: Targets(timedelta(hours=24), None, None, Postmortem.NONE, None, resolve=SPRINT, business_hours=True),
}

SeverityTargets = Mapping[Sev, Targets]
_POSTMORTEMS: dict[str, Postmortem] = {p.value: p for p in Postmortem}


def overridden(base: Targets, doc: Mapping[str, object]) -> Targets:
    """`base` with a stored override over it, field by field: spans in whole seconds (null: no such
    target), `postmortem` by value, `business_hours` a bool. A field stored wrongly keeps `base`'s
    value, so one bad row cannot stop the target watch."""

    def span(name: str, default: timedelta | None) -> timedelta | None:
        if name not in doc:
            return default
        value = doc[name]
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= LONGEST.total_seconds():
            return timedelta(seconds=value)
        return default

    postmortem = doc.get("postmortem")
    business = doc.get("business_hours")
    return Targets(
        acknowledge=span("acknowledge", base.acknowledge) or base.acknowledge,
        assemble=span("assemble", base.assemble),
        update_every=span("update_every", base.update_every),
        postmortem=_POSTMORTEMS.get(postmortem, base.postmortem) if isinstance(postmortem, str) else base.postmortem,
        postmortem_within=span("postmortem_within", base.postmortem_within),
        investigate=span("investigate", base.investigate),
        resolve=span("resolve", base.resolve),
        business_hours=business if isinstance(business, bool) else base.business_hours,
    )


def configured(stored: Mapping[str, Mapping[str, object]]) -> dict[Sev, Targets]:
    """Every severity's targets: the playbook's, with the stored overrides (by severity value) over them."""
    return {sev: overridden(DEFAULTS[sev], stored.get(sev.value, {})) for sev in Sev}


# --- deadlines ------------------------------------------------------------------------------------


class WorkingTime(Protocol):
    """Working hours as business-hours deadlines need them (`incidents.business_time` has them)."""

    @property
    def day(self) -> timedelta:
        """The working time of one working day (8 h for Monday-Friday 09:00-17:00)."""
        ...

    def add(self, start: datetime, span: timedelta) -> datetime:
        """The instant by which `span` of working time has passed since `start`."""
        ...

    def describe(self) -> str:
        """`Mon-Fri 09:00-17:00 UTC`, for people."""
        ...


def working_span(span: timedelta, day: timedelta) -> timedelta:
    """The working time a business-hours target of `span` allows (the module docstring's rule)."""
    if span < DAY:
        return min(span, day)
    return day * (span / DAY)


@dataclass(frozen=True, slots=True)
class Terms:
    """One incident's targets, and the working hours its business-hours targets count in."""

    targets: Targets
    hours: WorkingTime

    def due(self, start: datetime, span: timedelta) -> datetime:
        """When a target of `span` counted from `start` falls due."""
        if not self.targets.business_hours:
            return start + span
        return self.hours.add(start, working_span(span, self.hours.day))


def soonest(targets: SeverityTargets, shortest_day: timedelta) -> timedelta:
    """A lower bound on how soon after opening any target falls due (working time only ever pushes a
    deadline later), given the shortest working day of the working hours in use."""
    spans: list[timedelta] = []
    for t in targets.values():
        for span in (t.acknowledge, t.assemble, t.update_every, t.investigate, t.resolve):
            if span is not None:
                spans.append(working_span(span, shortest_day) if t.business_hours else span)
    return min(spans)


# --- standing -------------------------------------------------------------------------------------


class Standing(StrEnum):
    MET = "met"
    PENDING = "pending"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class TargetCheck:
    name: str  # "acknowledge"
    target: timedelta
    due_at: datetime
    standing: Standing
    by: timedelta  # how much time is left (pending), or how late it was or is (breached), or 0 (met)


def check(name: str, target: timedelta, due_at: datetime, done_at: datetime | None, now: datetime) -> TargetCheck:
    """Met when done by `due_at`; breached once late (even if done since); else pending."""
    if done_at is not None:
        if done_at <= due_at:
            return TargetCheck(name, target, due_at, Standing.MET, timedelta(0))
        return TargetCheck(name, target, due_at, Standing.BREACHED, done_at - due_at)
    if now <= due_at:
        return TargetCheck(name, target, due_at, Standing.PENDING, due_at - now)
    return TargetCheck(name, target, due_at, Standing.BREACHED, now - due_at)


@dataclass(frozen=True, slots=True)
class Progress:
    """When an incident did what its targets ask for (None: not yet)."""

    opened_at: datetime
    acknowledged_at: datetime | None = None
    assembled_at: datetime | None = None
    investigating_at: datetime | None = None
    resolved_at: datetime | None = None


def investigation_began(*reached: datetime | None) -> datetime | None:
    """When investigation began: the first of the times investigating or a later state was reached
    (an incident moved straight to identified or resolved was investigated on the way)."""
    found = [at for at in reached if at is not None]
    return min(found) if found else None


def _counted(terms: Terms, progress: Progress) -> list[tuple[str, timedelta, datetime, datetime | None]]:
    """(name, span, due at, done at) of each target counted from the opening that the severity has."""
    t = terms.targets
    wanted = (
        ("acknowledge", t.acknowledge, progress.acknowledged_at),
        ("assemble", t.assemble, progress.assembled_at),
        ("investigate", t.investigate, progress.investigating_at),
        ("resolve", t.resolve, progress.resolved_at),
    )
    return [(name, span, terms.due(progress.opened_at, span), done) for name, span, done in wanted if span is not None]


def standings(terms: Terms, progress: Progress, now: datetime) -> list[TargetCheck]:
    """Every target the incident's severity has, counted from its opening, with its standing."""
    return [check(name, span, due_at, done, now) for name, span, due_at, done in _counted(terms, progress)]


def acknowledgement(terms: Terms, opened_at: datetime, acknowledged_at: datetime | None, now: datetime) -> TargetCheck:
    """The acknowledge target: met when acknowledged in time, breached once late (even if acknowledged since)."""
    span = terms.targets.acknowledge
    return check("acknowledge", span, terms.due(opened_at, span), acknowledged_at, now)


def assemble_deadline(terms: Terms, opened_at: datetime) -> datetime | None:
    """When the team should be in place; None where the severity has no assemble target."""
    span = terms.targets.assemble
    return terms.due(opened_at, span) if span is not None else None


def next_update_due(terms: Terms, opened_at: datetime, last_update_at: datetime | None) -> datetime | None:
    """When the next status update is due, by the severity's cadence (None: no cadence)."""
    every = terms.targets.update_every
    if every is None:
        return None
    return terms.due(max(opened_at, last_update_at or opened_at), every)


@dataclass(frozen=True, slots=True)
class Watched:
    """What the breach watch knows of one open incident."""

    incident_id: str
    terms: Terms
    progress: Progress
    last_update_at: datetime | None


@dataclass(frozen=True, slots=True)
class Deadline:
    incident_id: str
    target: str  # acknowledge, assemble, investigate, resolve, update
    due_at: datetime


def deadlines(incident: Watched) -> list[Deadline]:
    """The deadlines of an open incident's targets not met, or not met in time."""
    return [
        Deadline(incident.incident_id, name, due_at)
        for name, _span, due_at, done in _counted(incident.terms, incident.progress)
        if done is None or done > due_at
    ]


def missed_update(
    terms: Terms, opened_at: datetime, last_update_at: datetime | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """(the latest update deadline missed by `now`, the next one after `now`). While no update goes
    out, a deadline falls every cadence period, so the reminder repeats at the cadence."""
    due = next_update_due(terms, opened_at, last_update_at)
    every = terms.targets.update_every
    if due is None or every is None:
        return None, None
    if now < due:
        return None, due
    if not terms.targets.business_hours:
        latest = due + every * ((now - due) // every)
        return latest, latest + every
    # Working periods differ in length (nights, weekends): step through them. Each step moves
    # forward by at least the working span, so this ends.
    latest, following = due, terms.due(due, every)
    while following <= now:
        latest, following = following, terms.due(following, every)
    return latest, following


def format_span(span: timedelta) -> str:
    """`4m 10s`, `2h 5m`, `3d 4h`: two units at most, for people at a glance."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or "0s"
