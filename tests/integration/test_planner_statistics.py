"""The PostgreSQL planner-statistics module analyzes intake tables as they grow, not before."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from firebell.infra.analyze import PlannerStatistics, stale
from tests.integration.conftest import App
from tests.integration.test_intake import am_alert, am_payload


@pytest.mark.parametrize(
    ("changed", "live", "expected"),
    [(0, 0, False), (499, 0, False), (500, 0, True), (500, 2000, False), (1000, 2000, True), (10**6, 10**6, True)],
)
def test_stale_needs_enough_changes_relative_to_size(changed: int, live: int, expected: bool) -> None:
    assert stale(changed, live, min_changes=500, ratio=0.5) is expected


@pytest.mark.parametrize(
    ("changed", "live", "expected"),
    [(49_999, 10**6, False), (50_000, 10**6, True), (400, 10**6, False), (20_000, 100_000, True)],
)
def test_a_large_table_is_analyzed_after_a_fixed_number_of_changes(changed: int, live: int, expected: bool) -> None:
    # At a million alerts, waiting for a share of the table would leave the planner behind for minutes.
    assert stale(changed, live, min_changes=500, ratio=0.2, max_changes=50_000) is expected


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # a PostgreSQL-only module
def test_analyzes_alerts_once_they_have_grown(app: App) -> None:
    app.add_service("grow")
    key = app.add_integration("grow", "alertmanager")
    module = PlannerStatistics(app.container.engine, min_changes=50)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    module.run(now)
    assert "alerts" not in module.analyzed  # nothing changed yet
    alerts = [am_alert(f"g-{i}") for i in range(120)]
    assert app.client.post(f"/integrations/alertmanager/{key}", json=am_payload(*alerts)).status_code == 202
    # A busy backend reports its counters at most once a second; closing the writer's connection
    # reports them at once.
    app.container.writer.stop()
    deadline = time.monotonic() + 10
    while "alerts" not in module.analyzed and time.monotonic() < deadline:
        module.run(now)
        time.sleep(0.1)
    assert "alerts" in module.analyzed
    assert app.scalar("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'alerts'") is True
    before = len(module.analyzed)
    module.run(now)
    assert len(module.analyzed) == before  # analyzed: no changes since, so nothing more to do
