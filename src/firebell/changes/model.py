"""Change events (deployments, config changes) and which of them matter to an incident. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum


class ChangeKind(StrEnum):
    DEPLOY = "deploy"
    CONFIG = "config"
    INFRASTRUCTURE = "infrastructure"
    OTHER = "other"


# How far back before detection an incident looks for changes ("what changed recently?").
LOOKBACK = timedelta(hours=24)


def guess_kind(summary: str, details: Mapping[str, object]) -> ChangeKind:
    """A PagerDuty change event has no kind: take one from its details, else from its words."""
    stated = str(details.get("kind") or details.get("type") or "").lower()
    for kind in ChangeKind:
        if stated == kind.value:
            return kind
    words = summary.lower()
    if any(w in words for w in ("config", "flag", "setting", "toggle")):
        return ChangeKind.CONFIG
    if any(w in words for w in ("terraform", "infra", "node", "cluster", "network", "dns")):
        return ChangeKind.INFRASTRUCTURE
    if re.search(r"\bv\d", words) or any(w in words for w in ("deploy", "release", "rollout", "rollback", "upgrade")):
        return ChangeKind.DEPLOY
    return ChangeKind.OTHER


def services_to_watch(main: Iterable[str], dependencies: Mapping[str, Iterable[str]], depth: int = 2) -> dict[str, str]:
    """The incident's services and what they depend on (to `depth` hops): {service id: why}."""
    found: dict[str, str] = dict.fromkeys(main, "affected")
    frontier = list(found)
    for hop in range(depth):
        following: list[str] = []
        for service in frontier:
            for dep in dependencies.get(service, ()):
                if dep not in found:
                    found[dep] = "dependency" if hop == 0 else "indirect dependency"
                    following.append(dep)
        frontier = following
    return found


def window(opened_at: datetime, lookback: timedelta = LOOKBACK) -> datetime:
    """The start of the window of changes an incident shows (until now)."""
    return opened_at - lookback
