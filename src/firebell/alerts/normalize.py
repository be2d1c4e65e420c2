"""Turn each source's validated payload into normalized `AlertEvent`s."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

import orjson

from firebell.alerts.config import WebhookMapping, pluck
from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction, Link
from firebell.alerts.schemas import (
    AlertmanagerAlert,
    AlertmanagerWebhook,
    OpsgenieCreate,
    PagerDutyEvent,
    TestAlert,
)
from firebell.kernel.errors import ValidationFailed
from firebell.kernel.ids import new_id

MAX_KEY = 255

_LABEL_SEVERITY = {
    "critical": AlertSeverity.CRITICAL,
    "page": AlertSeverity.CRITICAL,
    "emergency": AlertSeverity.CRITICAL,
    "error": AlertSeverity.ERROR,
    "high": AlertSeverity.ERROR,
    "major": AlertSeverity.ERROR,
    "warning": AlertSeverity.WARNING,
    "warn": AlertSeverity.WARNING,
    "medium": AlertSeverity.WARNING,
    "minor": AlertSeverity.WARNING,
    "info": AlertSeverity.INFO,
    "low": AlertSeverity.INFO,
    "none": AlertSeverity.INFO,
}

_OPSGENIE_PRIORITY = {
    "P1": AlertSeverity.CRITICAL,
    "P2": AlertSeverity.ERROR,
    "P3": AlertSeverity.WARNING,
    "P4": AlertSeverity.INFO,
    "P5": AlertSeverity.INFO,
}


_INT64 = 2**63


def clean(value: object) -> object:
    """Make sender data storable everywhere: no NUL characters (PostgreSQL text and JSONB refuse
    them) and no integers past 64 bits (JSON encoders refuse them); such values become text."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, Mapping):
        return {str(clean(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return str(value)


def _text(value: str | None) -> str:
    return value.replace("\x00", "\ufffd") if value and "\x00" in value else (value or "")


def storable(event: AlertEvent) -> AlertEvent:
    """The event with every text and structure made storable (see `clean`); times made aware."""
    return replace(
        event,
        dedup_key=fit_key(_text(event.dedup_key)),
        summary=_text(event.summary),
        origin=_text(event.origin),
        group_key=_text(event.group_key) if event.group_key else None,
        labels={_text(k): _text(v) for k, v in event.labels.items()},
        details={_text(str(k)): clean(v) for k, v in event.details.items()},
        links=tuple(Link(_text(link.href), _text(link.text)) for link in event.links),
        runbook_url=_text(event.runbook_url) or None,
        occurred_at=_aware(event.occurred_at),
        identity=tuple((name, _text(value)) for name, value in event.identity),
    )


# A run of digits long enough to be an integer past 64 bits (or a false alarm inside a string, which
# only costs the slow path).
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def storable_all(raw: bytes, events: list[AlertEvent], *, free_form: bool) -> tuple[AlertEvent, ...]:
    """`storable` for a request's events, skipping the deep walk when the body cannot need it.

    A NUL can only arrive as the JSON escape (raw NUL bytes are invalid JSON). Integers can only reach
    storage through free-form details (PagerDuty's custom_details), so only such bodies are scanned
    for them; the scan costs about 0.3 ms per 30 kB.
    """
    if b"\\u0000" in raw or (free_form and _LONG_NUMBER.search(raw)):
        return tuple(storable(event) for event in events)
    return tuple(
        event
        if event.occurred_at is None or event.occurred_at.tzinfo
        else replace(event, occurred_at=_aware(event.occurred_at))
        for event in events
    )


def _aware(value: datetime | None) -> datetime | None:
    """Senders that give no zone mean UTC (PagerDuty's own reading of a bare timestamp)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def fit_key(key: str) -> str:
    """Keys longer than the column are replaced by a stable digest of themselves."""
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def severity_from_text(text: str | None, default: AlertSeverity = AlertSeverity.ERROR) -> AlertSeverity:
    if not text:
        return default
    exact = _LABEL_SEVERITY.get(text)
    return exact if exact is not None else _LABEL_SEVERITY.get(text.strip().lower(), default)


def from_alertmanager(body: AlertmanagerWebhook) -> list[AlertEvent]:
    return [_am_event(body, alert) for alert in body.alerts]


def _am_event(body: AlertmanagerWebhook, alert: AlertmanagerAlert) -> AlertEvent:
    # The validated model's dicts are the request's own: used as they are, not copied.
    labels = alert.labels
    annotations = alert.annotations
    fingerprint = (
        alert.fingerprint or hashlib.sha256(orjson.dumps(labels, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    )
    summary = (
        annotations.get("summary") or annotations.get("description") or labels.get("alertname") or "Alertmanager alert"
    )
    starts = alert.startsAt
    details: dict[str, object] = {"annotations": annotations}
    links = [Link(alert.generatorURL, "Source")] if alert.generatorURL else []
    if body.version == "1":  # Grafana: the values that fired the rule, and its links into Grafana
        if alert.values:
            details["values"] = alert.values
        if alert.valueString:
            details["valueString"] = alert.valueString
        links += [
            Link(url, text)
            for url, text in (
                (alert.dashboardURL, "Dashboard"),
                (alert.panelURL, "Panel"),
                (alert.imageURL, "Image"),
                (alert.silenceURL, "Silence"),
            )
            if url
        ]
    return AlertEvent(
        action=EventAction.RESOLVE if alert.status == "resolved" else EventAction.TRIGGER,
        dedup_key=fit_key(fingerprint),
        summary=summary[:1024],
        severity=severity_from_text(labels.get("severity")),
        origin=labels.get("instance") or labels.get("job") or body.receiver,
        group_key=body.groupKey,
        labels=labels,
        details=details,
        links=tuple(links),
        runbook_url=annotations.get("runbook_url") or annotations.get("runbook") or None,
        occurred_at=starts if starts is not None and starts.year > 1 else None,
    )


def from_pagerduty(event: PagerDutyEvent) -> AlertEvent:
    action = EventAction(event.event_action)
    if action is EventAction.TRIGGER:
        if event.payload is None:
            raise ValidationFailed.field("payload", "is required for trigger events")
        payload = event.payload
        labels = {
            name: value
            for name, value in (
                ("source", payload.source),
                ("component", payload.component),
                ("group", payload.group),
                ("class", payload.class_),
            )
            if value
        }
        links = tuple(Link(link.href, link.text) for link in event.links)
        return AlertEvent(
            action=action,
            dedup_key=event.dedup_key or new_id(),
            summary=payload.summary,
            severity=AlertSeverity(payload.severity),
            origin=payload.source,
            labels=labels,
            details=_pagerduty_details(event),
            links=links,
            runbook_url=_runbook_link(links),
            occurred_at=payload.timestamp,
            identity=_pagerduty_identity(payload.class_, payload.summary, payload.source, payload.component),
        )
    if not event.dedup_key:
        raise ValidationFailed.field("dedup_key", f"is required for {action} events")
    return AlertEvent(action=action, dedup_key=event.dedup_key, summary="")


def _pagerduty_details(event: PagerDutyEvent) -> dict[str, object]:
    details: dict[str, object] = {}
    if event.payload is not None and event.payload.custom_details is not None:
        details["custom_details"] = event.payload.custom_details
    if event.images:
        details["images"] = [image.model_dump() for image in event.images[:20]]
    return details


def _pagerduty_identity(
    class_: str | None, summary: str, source: str, component: str | None
) -> tuple[tuple[str, str], ...]:
    """What makes two PagerDuty events the same alert, for grouping: the kind of problem (`class`,
    else the summary, which is all a sender without a class says about it) on the same system
    (`source`, required by PagerDuty: the affected host or service) and the same part of it
    (`component`, when sent). `group` is left out: it is coarser than component. So a "cpu load"
    on host-1 joins the next "cpu load" on host-1, not the one on host-2 nor a "disk full" on host-1.
    A sender without a class whose summaries carry changing numbers opens more incidents: splitting
    one problem costs a click, hiding another in it costs a missed page."""
    kind = ("class", class_) if class_ else ("summary", summary)
    return (kind, ("source", source), *((("component", component),) if component else ()))


def _runbook_link(links: tuple[Link, ...]) -> str | None:
    for link in links:
        if "runbook" in link.text.lower() or "runbook" in link.href.lower():
            return link.href
    return links[0].href if links else None


def from_opsgenie(body: OpsgenieCreate) -> AlertEvent:
    labels = dict.fromkeys(body.tags[:50], "true")
    if body.entity:
        labels["entity"] = body.entity
    details: dict[str, object] = {"details": dict(body.details), "priority": body.priority}
    if body.description:
        details["description"] = body.description
    if body.note:  # also kept as the alert's first note (the Opsgenie API lists it)
        details["note"] = body.note
    return AlertEvent(
        action=EventAction.TRIGGER,
        dedup_key=fit_key(body.alias) if body.alias else new_id(),
        summary=body.message,
        severity=_OPSGENIE_PRIORITY[body.priority],
        origin=body.source or body.entity or "",
        labels=labels,
        details=details,
        runbook_url=body.details.get("runbook_url") or body.details.get("runbook"),
        identity=_opsgenie_identity(body.alias, body.entity, body.message),
    )


def _opsgenie_identity(alias: str | None, entity: str | None, message: str) -> tuple[tuple[str, str], ...]:
    """What makes two Opsgenie alerts the same alert, for grouping: the alias, Opsgenie's own key of
    "the same alert" (it deduplicates by it). Without one Opsgenie treats every create as a new
    alert; the same message about the same entity (the affected host or service) is then the same
    alert. The source is left out: two tools reporting the same message about one entity report
    one problem."""
    if alias:
        return (("alias", alias),)
    return (*((("entity", entity),) if entity else ()), ("message", message))


def from_test_alert(body: TestAlert) -> AlertEvent:
    return AlertEvent(
        action=EventAction(body.action),
        dedup_key=body.dedup_key or new_id(),
        summary=body.summary,
        severity=AlertSeverity(body.severity),
        origin="firebell api",
        labels=dict(body.labels),
    )


def from_webhook(document: object, mapping: WebhookMapping) -> AlertEvent:
    """Read one alert from an arbitrary JSON document through the integration's mapping."""
    if not isinstance(document, Mapping):
        raise ValidationFailed.field("body", "must be a JSON object")
    status = str(pluck(document, mapping.status) or "").lower()
    if status in mapping.resolved_values:
        action = EventAction.RESOLVE
    elif status in mapping.acknowledged_values:
        action = EventAction.ACKNOWLEDGE
    else:
        action = EventAction.TRIGGER
    title = pluck(document, mapping.title)
    if action is EventAction.TRIGGER and (not isinstance(title, str | int | float) or str(title) == ""):
        raise ValidationFailed.field(mapping.title, "is required (the alert title) and must be text")
    raw_key = pluck(document, mapping.dedup_key)
    if raw_key is None or isinstance(raw_key, dict | list):
        if action is not EventAction.TRIGGER:
            raise ValidationFailed.field(mapping.dedup_key, "is required to resolve or acknowledge")
        raw_key = hashlib.sha256(str(title).encode()).hexdigest()[:32]
    raw_severity = str(pluck(document, mapping.severity) or "").lower()
    severity_name = mapping.severity_values.get(raw_severity)
    severity = AlertSeverity(severity_name) if severity_name else severity_from_text(raw_severity)
    links = _webhook_links(pluck(document, mapping.links))
    return AlertEvent(
        action=action,
        dedup_key=fit_key(str(raw_key)),
        summary=str(title or "")[:1024],
        severity=severity,
        links=links,
        runbook_url=_runbook_link(links),
        occurred_at=_maybe_time(pluck(document, "timestamp")),
    )


def _webhook_links(value: object) -> tuple[Link, ...]:
    if isinstance(value, str):
        return (Link(value),)
    if isinstance(value, list):
        out = []
        for item in value[:20]:
            if isinstance(item, str):
                out.append(Link(item))
            elif isinstance(item, Mapping) and isinstance(item.get("href"), str):
                out.append(Link(item["href"], str(item.get("text", ""))))
        return tuple(out)
    return ()


def _maybe_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
