"""Coverage: services with a runbook reviewed within the period, over all services."""

from __future__ import annotations

from datetime import date

from firebell.runbooks.checklist import LintContext
from firebell.runbooks.coverage import CoverageState, coverage
from firebell.runbooks.lint import lint
from firebell.runbooks.model import parse
from tests.unit.runbooks.conftest import fixture


def test_coverage_counts_current_runbooks_and_lists_the_rest() -> None:
    context = LintContext(today=date(2026, 3, 1))
    good = lint(parse(fixture("ledger.md")), context)
    gateway = lint(parse(fixture("gateway.md")), context)  # reviewed 35 days ago, fails items
    never = lint(parse(fixture("checkout-high-latency.md")), context)
    found = coverage(
        ["checkout", "gateway", "ledger", "orders"],
        {"ledger": ("r1", good), "gateway": ("r2", gateway), "checkout": ("r3", never)},
    )
    assert [(s.service, s.state) for s in found.services] == [
        ("checkout", CoverageState.STALE),
        ("gateway", CoverageState.FAILING),
        ("ledger", CoverageState.PASSING),
        ("orders", CoverageState.MISSING),
    ]
    assert (found.total, found.covered, found.passing, found.percent) == (4, 2, 1, 50.0)
    assert [(s.service, s.runbook_id) for s in found.lacking] == [("checkout", "r3"), ("orders", None)]
    assert found.services[1].failed_items == (1, 4, 6, 7, 8, 9, 10, 12)


def test_no_services_has_no_percentage() -> None:
    assert coverage([], {}).percent is None
