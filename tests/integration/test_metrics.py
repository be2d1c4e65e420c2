"""Every metric against values worked out by hand on the fixed history of metrics_history.py, on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from firebell.infra import migrate
from firebell.infra.db import make_engine
from firebell.metrics import compute, queries
from firebell.metrics.model import Metric, Scope, Stat
from firebell.metrics.periods import Period
from tests.integration import metrics_history as h

PERIOD = Period(h.START, h.END)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    h.load(engine)
    yield engine
    engine.dispose()


def card(engine: Engine, scope: Scope | None = None) -> dict[str, Any]:
    with engine.connect() as conn:
        found = compute.scorecard_of(conn, PERIOD, scope or Scope(), today=h.TODAY, stale_after_days=90)
    return {f["metric"]: f for f in found["metrics"]} | {"_incidents": found["incidents"]}


def sev_row(figure: dict[str, Any], sev: str) -> dict[str, Any]:
    return next(r for r in figure["by_sev"] if r["sev"] == sev)


def test_response_times_by_hand(engine: Engine) -> None:
    found = card(engine)
    # MTTA over nos. 1, 2, 3, 5 and 6 (6 went straight to investigating; 4 was never acknowledged;
    # 7 is a drill; 8 lies before the period): 240, 480, 600, 300 and 1800 s.
    mtta = found["mtta"]
    assert mtta["overall"] == {"count": 5, "mean": 684.0, "median": 480.0, "p90": 1800.0}
    one = sev_row(mtta, "SEV-1")
    assert (one["count"], one["mean"], one["median"], one["p90"]) == (2, 360.0, 360.0, 480.0)
    assert one["verdict"] == "missed"  # 6 min against < 5 min
    assert sev_row(mtta, "SEV-2")["mean"] == 600.0
    assert sev_row(mtta, "SEV-2")["verdict"] == "met"
    assert sev_row(mtta, "SEV-4")["verdict"] == "no target"
    assert mtta["verdict"] == "missed"
    # MTTI: 26 min, 40 min, 2 h. SEV-2's 2 h is not under its 2 h target.
    mtti = found["mtti"]
    assert mtti["overall"] == {"count": 3, "mean": 3720.0, "median": 2400.0, "p90": 7200.0}
    assert sev_row(mtti, "SEV-1")["mean"] == 1980.0
    assert sev_row(mtti, "SEV-1")["verdict"] == "missed"
    assert sev_row(mtti, "SEV-2")["verdict"] == "missed"
    # MTTR: 50 min, 90 min, 6 h (across the US clock change: six real hours), 20 min (never
    # acknowledged still counts), and 6 h for the reopened one (to its last resolution). No. 6 is open.
    mttr = found["mttr"]
    assert mttr["overall"] == {"count": 5, "mean": 10560.0, "median": 5400.0, "p90": 21600.0}
    assert sev_row(mttr, "SEV-1")["mean"] == 4200.0
    assert sev_row(mttr, "SEV-1")["verdict"] == "missed"
    assert sev_row(mttr, "SEV-2")["mean"] == 11400.0
    assert sev_row(mttr, "SEV-2")["verdict"] == "met"
    assert found["_incidents"] == {"opened": 6, "open": 1, "unacknowledged": 1}


def test_mtbf_recurrence_and_action_items_by_hand(engine: Engine) -> None:
    found = card(engine)
    assert found["mtbf"]["value"] == 140.0  # 840 h over 6 incidents
    assert found["mtbf"]["verdict"] == "missed"
    assert (found["mtbf"]["services_meeting"], found["mtbf"]["services"]) == (1, 3)  # billing: 840 h
    # Nos. 1 (no. 8 eleven days before), 2 (after 1) and 5 (after 4) recur: 3 of 6.
    assert (found["recurrence"]["recurring"], found["recurrence"]["incidents"]) == (3, 6)
    assert found["recurrence"]["value"] == 50.0
    assert found["recurrence"]["verdict"] == "missed"
    items = found["action_items"]
    assert (items["on_time"], items["due"], items["late"], items["overdue"]) == (1, 3, 1, 1)
    assert items["value"] == 33.3
    assert items["verdict"] == "missed"
    assert found["runbook_coverage"]["value"] == 0.0
    assert found["runbook_coverage"]["services"] == 3


def test_alert_and_page_metrics_by_hand(engine: Engine) -> None:
    found = card(engine)
    # 20 alerts in 5 weeks for 2 teams (payments owns checkout and billing): 2 a week each.
    assert found["alert_volume"]["value"] == 2.0
    assert found["alert_volume"]["verdict"] == "met"
    # 6 of the 20 needed no action.
    assert (found["false_positives"]["no_action"], found["false_positives"]["alerts"]) == (6, 20)
    assert found["false_positives"]["value"] == 30.0
    assert found["false_positives"]["verdict"] == "missed"
    # After hours, each in the person's own zone: alice 08:30 EST and 22:01 EDT (not 09:30 EDT);
    # carol on two Sundays; bob never. The drill's 03:00 page to alice does not count.
    assert found["after_hours"]["after_hours_pages"] == 4
    assert found["after_hours"]["value"] == pytest.approx(2 / 5)
    with engine.connect() as conn:
        load = {p["handle"]: p for p in queries.load_by_person(conn, PERIOD, Scope())}
    assert {k: (v["pages"], v["after_hours"], v["hours_interrupted"]) for k, v in load.items()} == {
        "alice": (3, 2, 3),
        "bob": (1, 0, 1),
        "carol": (3, 2, 3),
    }


def test_scopes_by_service_team_and_severity(engine: Engine) -> None:
    with engine.connect() as conn:
        checkout = compute.resolve_scope(conn, service="checkout", team=None, sev=None)
        payments = compute.resolve_scope(conn, service=None, team="payments", sev=None)
        sev1 = compute.resolve_scope(conn, service=None, team=None, sev="P1")
    found = card(engine, checkout)
    assert found["_incidents"]["opened"] == 3
    assert found["false_positives"]["alerts"] == 10
    assert found["false_positives"]["value"] == 30.0
    assert found["alert_volume"]["value"] == 2.0  # 10 alerts, 5 weeks, one team
    found = card(engine, payments)
    assert found["_incidents"]["opened"] == 4
    assert found["alert_volume"]["teams"] == 1
    assert found["alert_volume"]["value"] == 3.0  # 15 alerts over 5 weeks
    found = card(engine, sev1)
    assert found["mttr"]["overall"]["count"] == 2
    assert found["recurrence"]["incidents"] == 2
    assert found["recurrence"]["recurring"] == 2  # both SEV-1s recur (no. 1 after the earlier no. 8)


def test_unknown_scope_names_the_field(engine: Engine) -> None:
    from firebell.kernel.errors import ValidationFailed

    with engine.connect() as conn:
        for kwargs, field in (
            ({"service": "nope", "team": None, "sev": None}, "service"),
            ({"service": None, "team": "nobody", "sev": None}, "team"),
            ({"service": None, "team": None, "sev": "SEV-9"}, "sev"),
        ):
            with pytest.raises(ValidationFailed) as raised:
                compute.resolve_scope(conn, **kwargs)
            assert raised.value.details[0]["field"] == field


def test_breakdown_and_trends(engine: Engine) -> None:
    with engine.connect() as conn:
        by_service = compute.breakdown_of(conn, PERIOD, Scope(), "service", today=h.TODAY)
        by_team = compute.breakdown_of(conn, PERIOD, Scope(), "team", today=h.TODAY)
        by_sev = compute.breakdown_of(conn, PERIOD, Scope(), "severity", today=h.TODAY)
        weekly = compute.trends_of(conn, PERIOD, Scope(), "week")
    rows = {r["label"]: r for r in by_service["rows"]}
    assert rows["checkout"]["incidents"] == 3
    assert rows["checkout"]["mttr"]["mean"] == pytest.approx(10000.0)
    assert rows["search"]["recurrence"]["part"] == 1
    assert rows["search"]["false_positives"]["percent"] == 60.0
    assert rows["billing"]["open"] == 1
    assert rows["billing"]["mtbf_hours"]["value"] == 840.0
    assert rows["billing"]["mtbf_hours"]["verdict"] == "met"
    teams = {r["label"]: r for r in by_team["rows"]}
    assert teams["payments"]["incidents"] == 4
    assert teams["payments"]["alerts"] == 15
    sevs = {r["key"]: r for r in by_sev["rows"]}
    assert sevs["SEV-1"]["mtta"]["verdict"] == "missed"
    assert sevs["SEV-2"]["mtta"]["verdict"] == "met"
    buckets = {r["bucket"]: r for r in weekly["rows"]}
    # ISO weeks, Monday first: 2 March holds no. 1 (and no. 3 on Sunday the 8th).
    assert buckets["2026-03-02"]["incidents"] == 2
    assert buckets["2026-03-02"]["mtta"]["SEV-1"] == 240.0
    # 9 March: no. 2 (90 min) and no. 4 (Sunday the 15th, 20 min).
    assert buckets["2026-03-09"]["incidents"] == 2
    assert buckets["2026-03-09"]["mttr"]["mean"] == 3300.0
    assert buckets["2026-03-23"]["incidents"] == 1  # no. 6, at 00:30 UTC on Sunday the 29th
    assert sum(r["alerts"] for r in weekly["rows"]) == 20


def test_metric_definitions_cover_every_metric() -> None:
    found = {m.value for m in Metric}
    assert found == {
        "mtta", "mtti", "mttr", "mtbf", "recurrence", "action_items", "runbook_coverage",
        "alert_volume", "false_positives", "after_hours",
    }  # fmt: skip


def test_long_periods_give_the_same_figures_by_the_index_walk(engine: Engine) -> None:
    # A year holds no. 8 as well (acknowledged in 3 min): 180, 240, 300, 480, 600 and 1800 s. Over
    # 120 days SQLite reads the ranks by walking the span's index; PostgreSQL ranks in a window.
    year = Period(datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    with engine.connect() as conn:
        summary = queries.response_summary(conn, year, Scope())
        windowed = queries.response_times(conn, Metric.MTTA, year, Scope(), "team")
    assert summary[Metric.MTTA][queries.ALL] == Stat(6, 600.0, 390.0, 1800.0)
    assert summary[Metric.MTTA]["SEV-1"] == Stat(3, 300.0, 240.0, 480.0)
    # payments owns checkout (nos. 8, 1, 2, 3) and billing (no. 6): 180, 240, 480, 600, 1800 s.
    assert windowed["payments"] == Stat(5, 660.0, 480.0, 1800.0)
    with engine.connect() as conn:
        payments = compute.resolve_scope(conn, service=None, team="payments", sev=None)
        scoped = queries.response_summary(conn, year, payments)
    assert scoped[Metric.MTTA][queries.ALL] == Stat(5, 660.0, 480.0, 1800.0)
