"""Runbook coverage of the service catalog: which services have a runbook that is up to date. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from firebell.runbooks.lint import Report


class CoverageState(StrEnum):
    MISSING = "missing"  # no runbook
    STALE = "stale"  # never reviewed, or not within the review period
    FAILING = "failing"  # current, but some checklist item fails
    PASSING = "passing"


@dataclass(frozen=True, slots=True)
class ServiceCoverage:
    service: str
    state: CoverageState
    runbook_id: str | None = None
    reviewed_on: date | None = None
    failed_items: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Coverage:
    services: tuple[ServiceCoverage, ...]

    @property
    def total(self) -> int:
        return len(self.services)

    @property
    def covered(self) -> int:
        """Services with a runbook that is present and not stale."""
        return sum(1 for s in self.services if s.state in (CoverageState.FAILING, CoverageState.PASSING))

    @property
    def passing(self) -> int:
        return sum(1 for s in self.services if s.state is CoverageState.PASSING)

    @property
    def percent(self) -> float | None:
        """Covered over all services, one decimal; None without services."""
        return round(100 * self.covered / self.total, 1) if self.total else None

    @property
    def lacking(self) -> list[ServiceCoverage]:
        return [s for s in self.services if s.state in (CoverageState.MISSING, CoverageState.STALE)]


def coverage(services: Sequence[str], reports: Mapping[str, tuple[str, Report]]) -> Coverage:
    """Each service's state, given the lint report of its runbook ({service: (runbook id, report)})."""
    rows: list[ServiceCoverage] = []
    for name in services:
        found = reports.get(name)
        if found is None:
            rows.append(ServiceCoverage(name, CoverageState.MISSING))
            continue
        runbook_id, report = found
        if report.stale:
            state = CoverageState.STALE
        else:
            state = CoverageState.PASSING if report.passed else CoverageState.FAILING
        rows.append(ServiceCoverage(name, state, runbook_id, report.reviewed_on, tuple(report.failed_items)))
    return Coverage(tuple(rows))
