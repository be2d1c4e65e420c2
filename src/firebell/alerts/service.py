"""Alert intake as a use case: a batch of submissions applied in one transaction.

Dedup, the rule, grouping and auto-resolve are decided in memory against the state the batch
loaded, then written set-at-a-time (one insert and one update statement for all the batch's alerts),
so the cost per alert stays small however many arrive together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from firebell.alerts.config import ServiceConfig
from firebell.alerts.forwarding import ForwardRequest, target_url
from firebell.alerts.grouping import group_key_for, join_reason, joins
from firebell.alerts.model import (
    DRILL_LABEL,
    AlertEvent,
    AlertSeverity,
    AlertStatus,
    Classification,
    Disposition,
    EventAction,
    OpenAlertRef,
    OpenIncidentRef,
    Outcome,
    Step,
    alert_name,
    classify,
    dedup_step,
)
from firebell.alerts.ports import AlertRepo, CurrentKey, IncidentGateway, ServiceConfigs
from firebell.alerts.redact import redact_keys
from firebell.kernel.ids import new_id
from firebell.kernel.severity import Sev

_OUTCOME = {
    Disposition.OPEN_INCIDENT: Outcome.CREATED,
    Disposition.LOG_ONLY: Outcome.LOGGED,
    Disposition.SUPPRESSED: Outcome.SUPPRESSED,
}


class Prepared(NamedTuple):
    """What an event's alert row needs that does not depend on stored state, made before the write.

    The writer applies batches one at a time; everything done here instead runs in the request's
    own thread while the writer commits the batch before.
    """

    alert_id: str  # the id the alert gets if this event creates one
    encoded: object  # the storage's own encoding of the event's fixed fields (see `prepare`)


@dataclass(frozen=True, slots=True)
class Submission:
    """One accepted request: the raw body and the events it normalized to."""

    integration_id: str
    service_id: str
    source: str
    raw_body: str
    events: tuple[AlertEvent, ...]
    prepared: tuple[Prepared, ...] = ()  # one per event, or none (see `prepare`)
    # The digest of the key the sender used: checked again as the batch is written, so a key rotated
    # on any node stops working at once, whatever a node's key cache still holds ("": not keyed).
    key_digest: str = ""
    # The request as received, sent on as it was when the integration forwards to an old tool.
    forward: ForwardRequest | None = None


def prepare(
    submission: Submission, encode: Callable[[AlertEvent], object], make_id: Callable[[], str] = new_id
) -> Submission:
    """The submission with each triggering event's new-alert id and encoded fields made in advance."""
    trigger = EventAction.TRIGGER
    prepared = tuple(
        [Prepared(make_id(), encode(event)) if event.action is trigger else _UNPREPARED for event in submission.events]
    )
    # Built directly rather than by `dataclasses.replace`, which inspects the fields on every call.
    return Submission(
        submission.integration_id,
        submission.service_id,
        submission.source,
        submission.raw_body,
        submission.events,
        prepared,
        submission.key_digest,
        submission.forward,
    )


class EventResult(NamedTuple):
    outcome: Outcome
    dedup_key: str
    alert_id: str | None = None
    incident_id: str | None = None


@dataclass(slots=True)
class _Tracked:
    """An alert the batch touched: a new row to insert, or changes to an existing one."""

    alert_id: str
    status: AlertStatus
    incident_id: str | None
    row: dict[str, Any] | None = None
    count_delta: int = 0
    raw_id: str | None = None
    summary: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass
class _Batch:
    alerts: AlertRepo
    incidents: IncidentGateway
    now: datetime
    make_id: Callable[[], str]
    open: dict[tuple[str, str], _Tracked] = field(default_factory=dict)
    touched: dict[str, _Tracked] = field(default_factory=dict)
    groups: dict[tuple[str, str], OpenIncidentRef | None] = field(default_factory=dict)
    # Each new alert's group key, by service and id(event) (the batch holds every event it applies).
    keys: dict[tuple[str, int], str | None] = field(default_factory=dict)
    in_incident: dict[str, list[_Tracked]] = field(default_factory=lambda: defaultdict(list))
    stored_open: dict[str, int] = field(default_factory=dict)
    verdicts: dict[tuple[str, AlertSeverity], Classification] = field(default_factory=dict)

    def key_of(self, event: AlertEvent, config: ServiceConfig) -> str | None:
        # Worked out once per event: in advance for the batch's one lookup, then when it is created.
        memo = (config.service_id, id(event))
        if memo not in self.keys:
            self.keys[memo] = group_key_for(event, config.grouping)
        return self.keys[memo]

    def find_groups(self, service_id: str, keys: set[str]) -> None:
        """Load the open incident of each of these groups of the service: one query, not one a group."""
        found = self.incidents.find_open_by_groups(service_id, keys) if keys else {}
        for key in keys:
            self.groups[(service_id, key)] = found.get(key)

    def track(self, service_id: str, dedup_key: str, tracked: _Tracked) -> None:
        self.open[(service_id, dedup_key)] = tracked
        if tracked.incident_id:
            self.in_incident[tracked.incident_id].append(tracked)

    def apply(
        self, event: AlertEvent, prepared: Prepared, sub: Submission, raw_id: str, config: ServiceConfig
    ) -> EventResult:
        key = (config.service_id, event.dedup_key)
        existing = self.open.get(key)
        step = dedup_step(event.action, _ref(existing))
        if step is Step.NEW:
            return self._create(event, prepared, sub, raw_id, config)
        if existing is None or step is Step.IGNORE:
            return EventResult(Outcome.IGNORED, event.dedup_key, existing.alert_id if existing else None)
        self.touched[existing.alert_id] = existing
        if step is Step.BUMP:
            self._bump(existing, event, raw_id)
            return EventResult(Outcome.DEDUPLICATED, event.dedup_key, existing.alert_id, existing.incident_id)
        if step is Step.ACKNOWLEDGE:
            self._set_status(existing, AlertStatus.ACKNOWLEDGED)
            if existing.incident_id:
                self.incidents.alert_acknowledged(existing.incident_id, self.now)
            return EventResult(Outcome.ACKNOWLEDGED, event.dedup_key, existing.alert_id, existing.incident_id)
        self._set_status(existing, AlertStatus.RESOLVED)
        del self.open[key]
        if existing.incident_id and config.auto_resolve and self._open_count(existing.incident_id) == 0:
            self.incidents.all_alerts_resolved(existing.incident_id, self.now)
            for group, ref in self.groups.items():
                if ref is not None and ref.incident_id == existing.incident_id:
                    self.groups[group] = None
        return EventResult(Outcome.RESOLVED, event.dedup_key, existing.alert_id, existing.incident_id)

    def _open_count(self, incident_id: str) -> int:
        """Open alerts of an incident as the batch sees them: stored ones adjusted by its own changes."""
        if incident_id not in self.stored_open:
            self.stored_open[incident_id] = self.alerts.count_open_in_incident(incident_id)
        tracked = self.in_incident[incident_id]
        loaded = sum(1 for t in tracked if t.row is None)  # open in storage when the batch loaded them
        still_open = sum(1 for t in tracked if t.status is not AlertStatus.RESOLVED)
        return self.stored_open[incident_id] - loaded + still_open

    def _bump(self, tracked: _Tracked, event: AlertEvent, raw_id: str) -> None:
        if tracked.row is not None:
            tracked.row["count"] += 1
            tracked.row["raw_payload_id"] = raw_id
            tracked.row["summary"] = event.summary[:1024]
            return
        tracked.count_delta += 1
        tracked.raw_id = raw_id
        tracked.summary = event.summary[:1024]

    def _set_status(self, tracked: _Tracked, status: AlertStatus) -> None:
        tracked.status = status
        stamp = "resolved_at" if status is AlertStatus.RESOLVED else "acknowledged_at"
        if tracked.row is not None:
            tracked.row["status"] = status.value
            tracked.row[stamp] = self.now
        elif status is AlertStatus.RESOLVED:
            tracked.resolved_at = self.now
        else:
            tracked.acknowledged_at = self.now

    def _create(
        self, event: AlertEvent, prepared: Prepared, sub: Submission, raw_id: str, config: ServiceConfig
    ) -> EventResult:
        # The rule's answer depends only on the service and the severity at the batch's instant.
        verdict = self.verdicts.get((config.service_id, event.severity))
        if verdict is None:
            verdict = classify(event, config.rule, self.now)
            self.verdicts[(config.service_id, event.severity)] = verdict
        alert_id, encoded = prepared if prepared.alert_id else (self.make_id(), None)
        key = self.key_of(event, config)
        group = key if key is not None else f"alone:{alert_id}"  # a group of its own: nothing joins it
        incident_id = reason = None
        if verdict.disposition is Disposition.OPEN_INCIDENT and verdict.sev is not None:
            incident_id, reason = self._incident_for(event, config, key, group, verdict.sev, alert_id)
        tracked = _Tracked(alert_id, AlertStatus.TRIGGERED, incident_id)
        tracked.row = _new_row(
            alert_id, event, encoded, sub, config, raw_id, group, verdict.disposition, (incident_id, reason), self.now
        )
        self.track(config.service_id, event.dedup_key, tracked)
        self.touched[alert_id] = tracked
        return EventResult(_OUTCOME[verdict.disposition], event.dedup_key, alert_id, incident_id)

    def _incident_for(
        self, event: AlertEvent, config: ServiceConfig, key: str | None, group: str, sev: Sev, alert_id: str
    ) -> tuple[str, str | None]:
        """The incident the alert joins, and why in words; or the one it opens, and None."""
        if key is not None:
            if (config.service_id, key) not in self.groups:
                self.find_groups(config.service_id, {key})
            candidate = self.groups[(config.service_id, key)]
            if candidate is not None and joins(candidate, key, config.grouping, self.now):
                return candidate.incident_id, self._join(candidate, event, config, key, sev, alert_id)
        incident_id = self.incidents.open_from_alert(
            service_id=config.service_id,
            group_key=group[:1024],
            sev=sev,
            title=event.summary,
            runbook_url=(event.runbook_url or config.runbook_url or "")[:2000] or None,
            at=self.now,
            category=event.labels.get("category"),
            drill=event.labels.get(DRILL_LABEL),
            alert_name=alert_name(event),
        )
        if key is not None:
            self.groups[(config.service_id, key)] = OpenIncidentRef(incident_id, key, self.now, sev)
        return incident_id, None

    def _join(
        self, candidate: OpenIncidentRef, event: AlertEvent, config: ServiceConfig, key: str, sev: Sev, alert_id: str
    ) -> str:
        reason = join_reason(event, config.grouping, key, config.name)
        raised_from = None
        if sev.rank < candidate.sev.rank:
            raised_from = candidate.sev
            self.incidents.raise_severity(candidate.incident_id, candidate.sev, sev, self.now)
            self.groups[(config.service_id, key)] = OpenIncidentRef(
                candidate.incident_id, key, candidate.opened_at, sev
            )
        self.incidents.alert_joined(
            candidate.incident_id,
            alert_id=alert_id,
            summary=event.summary[:1024],
            severity=sev,
            raised_from=raised_from,
            at=self.now,
            reason=reason,
        )
        return reason

    def flush(self) -> None:
        new_rows = [t.row for t in self.touched.values() if t.row is not None]
        changes = [_changes(t, self.now) for t in self.touched.values() if t.row is None]
        # Changes first: a stored alert resolved in this batch must be closed before a new open
        # alert with its key is inserted (the open-dedup unique index checks each statement).
        if changes:
            self.alerts.update_many(changes)
        if new_rows:
            self.alerts.insert_many(new_rows)


def ingest_batch(
    submissions: list[Submission],
    *,
    alerts: AlertRepo,
    incidents: IncidentGateway,
    configs: ServiceConfigs,
    now: datetime,
    make_id: Callable[[], str] = new_id,
) -> list[list[EventResult]]:
    """Store each raw payload and apply every event; the caller commits once for all of it.

    A submission whose integration key is no longer current is refused whole: nothing of it is
    stored, and each of its events answers `Outcome.REFUSED`.
    """
    keyed = {s.integration_id for s in submissions if s.key_digest}
    current = alerts.current_keys(keyed) if keyed else {}
    refused = [
        bool(s.key_digest) and (s.integration_id not in current or current[s.integration_id].digest != s.key_digest)
        for s in submissions
    ]
    if any(refused):
        kept = [s for s, no in zip(submissions, refused, strict=True) if not no]
        done = iter(ingest_batch(kept, alerts=alerts, incidents=incidents, configs=configs, now=now, make_id=make_id))
        return [
            [EventResult(Outcome.REFUSED, e.dedup_key) for e in s.events] if no else next(done)
            for s, no in zip(submissions, refused, strict=True)
        ]
    raw_ids = [make_id() for _ in submissions]
    alerts.add_raw_many(
        [
            {
                "id": raw_id,
                "integration_id": s.integration_id,
                "source": s.source,
                "body": redact_keys(s.raw_body),  # forwarded as received, stored without keys
                "received_at": now,
            }
            for raw_id, s in zip(raw_ids, submissions, strict=True)
        ]
    )
    forwards = _forwards(submissions, raw_ids, current, now)
    if forwards:
        alerts.add_forwards(forwards)
    batch = _Batch(alerts, incidents, now, make_id)
    wanted: dict[str, set[str]] = defaultdict(set)
    for sub in submissions:
        wanted[sub.service_id].update(event.dedup_key for event in sub.events)
    for service_id, keys in wanted.items():
        for ref in alerts.find_open_many(service_id, keys):
            batch.track(service_id, ref.dedup_key, _Tracked(ref.alert_id, ref.status, ref.incident_id))
    service_configs = [configs.get(sub.service_id, now) for sub in submissions]
    _find_groups(batch, submissions, service_configs)
    results = []
    for raw_id, sub, config in zip(raw_ids, submissions, service_configs, strict=True):
        prepared = sub.prepared or (_UNPREPARED,) * len(sub.events)
        results.append(
            [batch.apply(event, ready, sub, raw_id, config) for event, ready in zip(sub.events, prepared, strict=True)]
        )
    batch.flush()
    incidents.flush()
    return results


def _forwards(
    submissions: list[Submission], raw_ids: list[str], current: dict[str, CurrentKey], now: datetime
) -> list[dict[str, Any]]:
    """The forward of each accepted submission whose integration forwards (read as the batch is
    written, so turning forwarding on or off holds from the next batch on any node)."""
    rows = []
    for raw_id, sub in zip(raw_ids, submissions, strict=True):
        known = current.get(sub.integration_id)
        if known is None or not known.forward_to or sub.forward is None:
            continue
        rows.append(
            {
                "id": raw_id,  # the raw payload's id: one forward per accepted request
                "integration_id": sub.integration_id,
                "url": target_url(known.forward_to, sub.forward.suffix),
                "method": sub.forward.method,
                "headers": sub.forward.headers(),
                "body": sub.raw_body,
                "queued_at": now,
            }
        )
    return rows


def ingest(
    submission: Submission,
    *,
    alerts: AlertRepo,
    incidents: IncidentGateway,
    configs: ServiceConfigs,
    now: datetime,
    make_id: Callable[[], str] = new_id,
) -> list[EventResult]:
    """One submission on its own (a batch of one)."""
    return ingest_batch([submission], alerts=alerts, incidents=incidents, configs=configs, now=now, make_id=make_id)[0]


def _find_groups(batch: _Batch, submissions: list[Submission], service_configs: list[ServiceConfig]) -> None:
    """Load in advance the open incidents the batch's new alerts may join, per service in one query.

    A trigger whose key is open now is a repeat (it joins nothing) unless the batch resolves it
    first; such a rare re-fire looks its group up when it comes.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    for sub, config in zip(submissions, service_configs, strict=True):
        keys = wanted[sub.service_id]
        for event in sub.events:
            if event.action is EventAction.TRIGGER and (sub.service_id, event.dedup_key) not in batch.open:
                key = batch.key_of(event, config)
                if key is not None:
                    keys.add(key)
    for service_id, keys in wanted.items():
        batch.find_groups(service_id, keys)


def _ref(tracked: _Tracked | None) -> OpenAlertRef | None:
    if tracked is None:
        return None
    return OpenAlertRef(tracked.alert_id, tracked.status, tracked.incident_id)


def _new_row(
    alert_id: str,
    event: AlertEvent,
    encoded: object,
    sub: Submission,
    config: ServiceConfig,
    raw_id: str,
    group: str,
    disposition: Disposition,
    joined: tuple[str | None, str | None],  # the incident's id, and why the alert joined it (None: opened it)
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": alert_id,
        "service_id": config.service_id,
        "integration_id": sub.integration_id,
        "raw_payload_id": raw_id,
        "source": sub.source,
        "dedup_key": event.dedup_key,
        "status": _TRIGGERED,
        "severity": _VALUE[event.severity],
        "summary": event.summary[:1024],
        "name": alert_name(event),
        "origin": event.origin[:255],
        "group_key": group[:1024],
        "encoded": encoded,  # the next three, already encoded by the storage, or None
        "labels": event.labels,
        "details": event.details,
        "links": event.links,
        "runbook_url": event.runbook_url[:2000] if event.runbook_url else None,
        "disposition": _VALUE[disposition],
        "incident_id": joined[0],
        "join_reason": joined[1],
        "count": 1,
        "occurred_at": event.occurred_at,
        "first_seen_at": now,
        "last_seen_at": now,
        "acknowledged_at": None,
        "resolved_at": None,
    }


_UNPREPARED = Prepared("", None)

# Plain strings for the row (an enum's `.value` is a descriptor call, and this runs per alert).
_TRIGGERED = AlertStatus.TRIGGERED.value
_VALUE: dict[object, str] = {member: member.value for member in (*AlertSeverity, *Disposition)}


def _changes(tracked: _Tracked, now: datetime) -> dict[str, Any]:
    return {
        "b_id": tracked.alert_id,
        "count_delta": tracked.count_delta,
        "b_last_seen_at": now,
        "b_raw_payload_id": tracked.raw_id,
        "b_summary": tracked.summary,
        "b_status": tracked.status.value,
        "b_acknowledged_at": tracked.acknowledged_at,
        "b_resolved_at": tracked.resolved_at,
    }
