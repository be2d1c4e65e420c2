"""The pure catalog core: integration kinds and service naming."""

from __future__ import annotations

import re
from enum import StrEnum

from firebell.kernel.errors import ValidationFailed


class IntegrationKind(StrEnum):
    ALERTMANAGER = "alertmanager"
    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    WEBHOOK = "webhook"
    HEARTBEAT = "heartbeat"  # pinged by a job; see firebell.heartbeats
    CHANGE = "change"  # deployments and config changes; see firebell.changes


SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_service_name(name: str) -> str:
    """Service names are short slugs, so they work in URLs, labels and CLI arguments."""
    if not SERVICE_NAME.match(name):
        raise ValidationFailed.field(
            "name", "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def intake_url(kind: IntegrationKind, key: str, base_url: str) -> str:
    """Where a sender posts: the key is in the URL, in the body (PagerDuty) or a header (Opsgenie)."""
    base = base_url.rstrip("/")
    if kind is IntegrationKind.PAGERDUTY:
        return f"{base}/v2/enqueue"
    if kind is IntegrationKind.OPSGENIE:
        return f"{base}/v2/alerts"
    if kind is IntegrationKind.HEARTBEAT:
        return f"{base}/heartbeat/{key}"  # GET or POST it from the job
    return f"{base}/integrations/{kind.value}/{key}"
