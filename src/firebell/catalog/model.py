"""The pure catalog core: integration kinds, service naming, criticality tiers and links."""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from firebell.kernel.errors import ValidationFailed


class IntegrationKind(StrEnum):
    ALERTMANAGER = "alertmanager"
    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    WEBHOOK = "webhook"
    HEARTBEAT = "heartbeat"  # pinged by a job; see firebell.heartbeats
    CHANGE = "change"  # deployments and config changes; see firebell.changes
    # What imported history (see firebell.history) is filed under. No intake endpoint accepts this
    # kind, and its key is never shown, so nothing can be sent through it.
    IMPORT = "import"


SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
RESERVED_NAMES = frozenset({"graph"})  # /api/v1/services/graph is the dependency graph

# The runbook template's criticality tiers.
TIER_LABELS = {1: "Tier 1 - Business Critical", 2: "Tier 2 - Important", 3: "Tier 3 - Supporting"}
DEFAULT_TIER = 2


def check_service_name(name: str, field: str = "name") -> str:
    """Service names are short slugs, so they work in URLs, labels and CLI arguments."""
    if not SERVICE_NAME.match(name):
        raise ValidationFailed.field(
            field, "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if name in RESERVED_NAMES:
        raise ValidationFailed.field(field, f"{name!r} is reserved; choose another name")
    return name


def check_tier(value: object, field: str = "tier") -> int:
    """A criticality tier: 1 (business critical), 2 (important) or 3 (supporting)."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in TIER_LABELS:
        raise ValidationFailed.field(field, "must be 1 (business critical), 2 (important) or 3 (supporting)")
    return value


def tier_label(tier: int) -> str:
    """'Tier 1 - Business Critical'; a tier stored before the three labels existed shows its number."""
    return TIER_LABELS.get(tier, f"Tier {tier}")


def check_http_url(value: object, field: str, limit: int = 2000) -> str:
    """An absolute http(s) URL: pages show these as links, and no other scheme is safe to follow."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.field(field, "must be an http(s) URL")
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise ValidationFailed.field(field, "must be an http(s) URL such as https://grafana.example.com/d/api")
    if len(text) > limit:
        raise ValidationFailed.field(field, f"must be at most {limit} characters")
    return text


def intake_url(kind: IntegrationKind, key: str, base_url: str) -> str:
    """Where a sender posts: the key is in the URL, in the body (PagerDuty) or a header (Opsgenie)."""
    base = base_url.rstrip("/")
    if kind is IntegrationKind.IMPORT:
        return "none: imported history"
    if kind is IntegrationKind.PAGERDUTY:
        return f"{base}/v2/enqueue"
    if kind is IntegrationKind.OPSGENIE:
        return f"{base}/v2/alerts"
    if kind is IntegrationKind.HEARTBEAT:
        return f"{base}/heartbeat/{key}"  # GET or POST it from the job
    if kind is IntegrationKind.CHANGE:
        return f"{base}/integrations/deploy/{key}"  # deployments and config changes
    return f"{base}/integrations/{kind.value}/{key}"
