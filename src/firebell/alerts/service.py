"""Alert use cases: ingest a submission (dedup, rule, grouping, auto-resolve) in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from firebell.alerts.config import ServiceConfig
from firebell.alerts.model import (
    AlertEvent,
    AlertStatus,
    Disposition,
    Outcome,
    Step,
    classify,
    dedup_step,
    group_key_for,
    joins,
)
from firebell.alerts.ports import AlertRepo, IncidentGateway, ServiceConfigs
from firebell.kernel.ids import new_id


@dataclass(frozen=True, slots=True)
class Submission:
    """One accepted request: the raw body and the events it normalized to."""

    integration_id: str
    service_id: str
    source: str
    raw_body: str
    events: tuple[AlertEvent, ...]


@dataclass(frozen=True, slots=True)
class EventResult:
    outcome: Outcome
    dedup_key: str
    alert_id: str | None = None
    incident_id: str | None = None


def ingest(
    submission: Submission,
    *,
    alerts: AlertRepo,
    incidents: IncidentGateway,
    configs: ServiceConfigs,
    now: datetime,
    make_id: Callable[[], str] = new_id,
) -> list[EventResult]:
    """Store the raw payload and apply each event; the caller commits once for all of it."""
    raw_id = make_id()
    alerts.add_raw(
        raw_id=raw_id,
        integration_id=submission.integration_id,
        source=submission.source,
        body=submission.raw_body,
        at=now,
    )
    config = configs.get(submission.service_id, now)
    return [
        _apply(event, submission, raw_id, config, alerts=alerts, incidents=incidents, now=now, make_id=make_id)
        for event in submission.events
    ]


def _apply(
    event: AlertEvent,
    submission: Submission,
    raw_id: str,
    config: ServiceConfig,
    *,
    alerts: AlertRepo,
    incidents: IncidentGateway,
    now: datetime,
    make_id: Callable[[], str],
) -> EventResult:
    existing = alerts.find_open(config.service_id, event.dedup_key)
    step = dedup_step(event.action, existing)
    if step is Step.NEW:
        return _create(event, submission, raw_id, config, alerts=alerts, incidents=incidents, now=now, make_id=make_id)
    if existing is None or step is Step.IGNORE:
        return EventResult(Outcome.IGNORED, event.dedup_key, existing.alert_id if existing else None)
    result = EventResult(Outcome.DEDUPLICATED, event.dedup_key, existing.alert_id, existing.incident_id)
    if step is Step.BUMP:
        alerts.bump(existing.alert_id, event, raw_id, now)
        return result
    if step is Step.ACKNOWLEDGE:
        alerts.set_status(existing.alert_id, AlertStatus.ACKNOWLEDGED, now)
        if existing.incident_id:
            incidents.alert_acknowledged(existing.incident_id, now)
        return EventResult(Outcome.ACKNOWLEDGED, event.dedup_key, existing.alert_id, existing.incident_id)
    alerts.set_status(existing.alert_id, AlertStatus.RESOLVED, now)
    if existing.incident_id and config.auto_resolve and alerts.count_open_in_incident(existing.incident_id) == 0:
        incidents.all_alerts_resolved(existing.incident_id, now)
    return EventResult(Outcome.RESOLVED, event.dedup_key, existing.alert_id, existing.incident_id)


def _create(
    event: AlertEvent,
    submission: Submission,
    raw_id: str,
    config: ServiceConfig,
    *,
    alerts: AlertRepo,
    incidents: IncidentGateway,
    now: datetime,
    make_id: Callable[[], str],
) -> EventResult:
    verdict = classify(event, config.rule, now)
    key = group_key_for(event, config.grouping)
    incident_id: str | None = None
    if verdict.disposition is Disposition.OPEN_INCIDENT and verdict.sev is not None:
        candidate = incidents.find_open_by_group(config.service_id, key)
        if candidate is not None and joins(candidate, key, config.grouping, now):
            incident_id = candidate.incident_id
            incidents.alert_joined(incident_id, verdict.sev, now)
        else:
            incident_id = incidents.open_from_alert(
                service_id=config.service_id,
                group_key=key,
                sev=verdict.sev,
                title=event.summary,
                runbook_url=event.runbook_url or config.runbook_url,
                at=now,
            )
    alert_id = make_id()
    alerts.add(
        alert_id=alert_id,
        service_id=config.service_id,
        integration_id=submission.integration_id,
        raw_id=raw_id,
        source=submission.source,
        event=event,
        group_key=key,
        disposition=verdict.disposition,
        incident_id=incident_id,
        at=now,
    )
    outcome = {
        Disposition.OPEN_INCIDENT: Outcome.CREATED,
        Disposition.LOG_ONLY: Outcome.LOGGED,
        Disposition.SUPPRESSED: Outcome.SUPPRESSED,
    }[verdict.disposition]
    return EventResult(outcome, event.dedup_key, alert_id, incident_id)
