"""The runbook creation checklist: its twelve items, and what a check finds about one of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from firebell.runbooks.facts import Review

CHECKLIST: tuple[str, ...] = (
    "Service overview and criticality defined",
    "SLOs and SLIs documented",
    "Architecture diagram included",
    "All dependencies listed",
    "Monitoring dashboards linked",
    "Alert definitions included",
    "Common issues documented with resolution steps",
    "Operational procedures (deploy, rollback, scale) documented",
    "Emergency contacts updated",
    "Maintenance procedures defined",
    "Reviewed by on-call team",
    "Linked in alerting system",
)
PLACEHOLDERS = "Template placeholders filled in"  # item 0: not on the checklist, only ever a warning
DEFAULT_STALE_AFTER_DAYS = 90  # the template asks for a review every quarter


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 (a lint verdict, not a password)
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Finding:
    item: int  # 1-12 on the checklist; 0 for a placeholder
    name: str
    status: Status
    message: str  # what is there, or what is missing and where
    line: int | None = None


def finding(item: int, status: Status, message: str, line: int | None = None) -> Finding:
    return Finding(item, CHECKLIST[item - 1] if item else PLACEHOLDERS, status, message, line)


@dataclass(frozen=True, slots=True)
class LintContext:
    """What a lint knows beyond the document; the server knows more than the command line."""

    today: date
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
    known_dependencies: Sequence[str] = ()  # the catalog's dependencies of the runbook's service
    linked_by: str | None = None  # how the alerting system links to this runbook, when it does
    review: Review | None = None  # the stored review, when the server has one


def listed(names: Sequence[str], limit: int = 5) -> str:
    """ "a, b, c and 2 more" """
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
