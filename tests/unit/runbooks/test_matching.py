"""An alert's runbook link opens the matching section of its service's runbook."""

from __future__ import annotations

import pytest

from firebell.runbooks.matching import section_for_alert, words
from firebell.runbooks.model import parse
from tests.unit.runbooks.conftest import fixture


@pytest.mark.parametrize(
    ("runbook", "alert", "anchor"),
    [
        ("ledger.md", "LedgerHighErrorRate", "high-error-rate"),  # named in the issue
        ("ledger.md", "ledger_db_pool_exhausted", "database-connection-pool-exhausted"),  # same name, other case
        ("ledger.md", "HighErrorRate", "high-error-rate"),  # by its words
        ("ledger.md", "DatabaseConnectionPoolExhausted", "database-connection-pool-exhausted"),
        ("ledger.md", "high_latency", "slow-postings"),  # "slow" reads as latency
        ("ledger.md", "PodCrashLooping", "common-issues-and-solutions"),  # no issue for it: the list of issues
        ("gateway.md", "GatewayDown", "issue-3-total-outage"),
        ("gateway.md", "HighLatency", "issue-2-slow-responses"),
        ("gateway.md", "5xx errors", "issue-1-elevated-5xx-responses"),
        ("orders-error-spike.md", "OrdersErrorSpike", "diagnosis"),  # one scenario: where its steps start
        ("checkout-high-latency.md", "high_latency", "prerequisite-checks"),
        ("checkout-high-latency.md", "DiskFull", "prerequisite-checks"),
    ],
)
def test_alerts_open_the_best_matching_section(runbook: str, alert: str, anchor: str) -> None:
    section = section_for_alert(parse(fixture(runbook)), alert)
    assert section is not None
    assert section.anchor == anchor


def test_a_rule_link_to_an_existing_anchor_is_followed() -> None:
    doc = parse(
        "## Alerts\n\n```yaml\n- alert: QueueBacklog\n  annotations:\n    runbook_url: '#draining-the-queue'\n```\n"
        "\n## Common Issues\n\n### Slow consumers\n\nx\n\n### Draining the queue\n\ny\n"
    )
    assert section_for_alert(doc, "QueueBacklog").anchor == "draining-the-queue"  # type: ignore[union-attr]


def test_a_runbook_without_issues_or_alerts_opens_at_the_top() -> None:
    assert section_for_alert(parse("# Notes\n\nNothing here.\n"), "HighErrorRate") is None


def test_alert_names_split_into_comparable_words() -> None:
    assert words("DatabaseConnectionPoolExhausted") == {"database", "connection", "pool", "exhausted"}
    assert words("high_latency") == {"high", "latency"}
    assert words("DBConnErrors") == {"database", "connection", "error"}
    assert words("KubePodCrashLooping") == {"kube", "pod", "crash"}
