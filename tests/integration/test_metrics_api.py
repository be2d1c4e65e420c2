"""The metrics and reports over HTTP: the same figures as the queries, exports, and clear errors."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.integration import metrics_history as h
from tests.integration.conftest import App

RANGE = {"from": "2026-03-02", "to": "2026-04-05"}  # the end date is included whole


def loaded(app: App) -> App:
    h.load(app.container.engine)
    app.clock.set(h.NOW)
    return app


def test_scorecard_over_http_matches_the_hand_worked_figures(app: App) -> None:
    loaded(app)
    body = app.client.get("/api/v1/metrics", params=RANGE, headers=app.auth()).json()
    figures = {f["metric"]: f for f in body["metrics"]}
    assert body["period"]["weeks"] == 5.0
    assert figures["mtta"]["overall"]["mean"] == 684.0
    assert figures["mttr"]["overall"]["p90"] == 21600.0
    assert figures["false_positives"]["value"] == 30.0
    assert figures["mtbf"]["display"] == "140 h"
    scoped = app.client.get("/api/v1/metrics", params={**RANGE, "team": "discovery"}, headers=app.auth()).json()
    assert scoped["incidents"]["opened"] == 2
    assert scoped["scope"]["services"] == ["search"]


def test_default_period_is_the_last_thirty_days(app: App) -> None:
    loaded(app)
    body = app.client.get("/api/v1/metrics", headers=app.auth()).json()
    assert body["period"]["from"].startswith("2026-03-11T12:00")
    assert body["incidents"]["opened"] == 3  # nos. 4, 5 and 6


def test_export_as_csv(app: App) -> None:
    loaded(app)
    response = app.client.get("/api/v1/metrics/export", params=RANGE, headers=app.auth())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    mtta_sev1 = next(r for r in rows if r["metric"] == "mtta" and r["sev"] == "SEV-1")
    assert (mtta_sev1["mean"], mtta_sev1["target"], mtta_sev1["verdict"]) == ("360.0", "300.0", "missed")
    assert {r["metric"] for r in rows} >= {"mtbf", "recurrence", "after_hours", "runbook_coverage"}
    as_json = app.client.get("/api/v1/metrics/export", params={**RANGE, "format": "json"}, headers=app.auth())
    assert len(as_json.json()) == len(rows)


def test_weekly_report_flags_noisy_alerts_and_shows_load(app: App) -> None:
    loaded(app)
    body = app.client.get("/api/v1/reports/weekly", params={"week": "2026-W10"}, headers=app.auth()).json()
    assert body["period"]["from"].startswith("2026-03-02")
    # checkout's HighErrorRate fired 6 times that week (3 to 8 March), 3 of them needing no action.
    flagged = {(r["service"], r["alert"]): r for r in body["flagged"]}
    assert flagged[("checkout", "HighErrorRate")]["false_positive_percent"] == 50.0
    assert body["noisiest"][0]["alerts"] == 6
    load = {p["handle"]: p for p in body["load"]}
    assert (load["alice"]["pages"], load["alice"]["after_hours"]) == (1, 1)  # 08:30 in New York
    assert load["carol"]["after_hours"] == 1  # Sunday
    default = app.client.get("/api/v1/reports/weekly", headers=app.auth()).json()
    assert default["period"]["from"].startswith("2026-03-30")  # the last full week before 10 April
    as_csv = app.client.get(
        "/api/v1/reports/weekly", params={"week": "2026-03-04", "format": "csv"}, headers=app.auth()
    )
    sections = {r["section"] for r in csv.DictReader(io.StringIO(as_csv.text))}
    assert {"flagged", "noisiest", "load"} <= sections


def test_monthly_report(app: App) -> None:
    loaded(app)
    body = app.client.get("/api/v1/reports/monthly", params={"month": "2026-03"}, headers=app.auth()).json()
    assert body["title"] == "Incident retrospective, March 2026"
    assert [i["number"] for i in body["incidents"]] == [1, 3, 2, 4, 5, 6]
    assert {r["month"] for r in body["trend"]} >= {"2026-02", "2026-03"}
    causes = {(c["service"], c["key"]): c for c in body["common_causes"]}
    assert causes[("checkout", "higherrorrate")]["recurrences"] == 2
    assert body["action_items"]["due"] == 3
    services = {s["service"]: s for s in body["services"]}
    assert services["checkout"]["incidents"] == 3


def test_bad_parameters_are_a_422_naming_the_field(app: App) -> None:
    loaded(app)
    cases = [
        ("/api/v1/metrics", {"from": "yesterday"}, "from"),
        ("/api/v1/metrics", {"from": "2026-04-01", "to": "2026-03-01"}, "from"),
        ("/api/v1/metrics", {"service": "nope"}, "service"),
        ("/api/v1/metrics", {"sev": "SEV-7"}, "sev"),
        ("/api/v1/reports/weekly", {"week": "2026-W99"}, "week"),
        ("/api/v1/reports/monthly", {"month": "march"}, "month"),
        ("/api/v1/metrics/trends", {"bucket": "year"}, "bucket"),
    ]
    for path, params, field in cases:
        response = app.client.get(path, params=params, headers=app.auth())
        assert response.status_code == 422, (path, params, response.text)
        assert field in response.text, (path, params, response.text)


def test_metrics_need_a_token(app: App) -> None:
    assert app.client.get("/api/v1/metrics").status_code == 401


def test_prometheus_exposes_the_incident_metrics_per_service_and_severity(app: App) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    loaded(app)
    # The 30 days before 10 April hold nos. 4 (search, SEV-2, resolved in 20 min), 5 (search,
    # SEV-3, 6 h) and 6 (billing, SEV-4, open); no. 7 is a drill.
    text = app.client.get("/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    resolve = "firebell_incident_time_to_resolve_seconds"
    assert value(f"{resolve}_bucket", service="search", sev="SEV-2", le="900.0") == 0.0
    assert value(f"{resolve}_bucket", service="search", sev="SEV-2", le="1800.0") == 1.0
    assert value(f"{resolve}_gsum", service="search", sev="SEV-2") == 1200.0
    assert value(f"{resolve}_bucket", service="search", sev="SEV-3", le="+Inf") == 1.0
    assert not any(n == f"{resolve}_bucket" and ("service", "checkout") in labels for n, labels in samples)
    assert value("firebell_incidents_open", service="billing", sev="SEV-4") == 1.0
    assert value("firebell_alert_false_positive_ratio", service="search") == 0.6
    assert value("firebell_metric_target_met", metric="false_positives") == 0.0
    # the Sunday page of 15 March; a person is named by user id only (no name in a scrape)
    assert value("firebell_after_hours_pages_30d", person="user-carol") == 1.0


def test_verdicts_and_new_alerts_reach_the_daily_counts(app: App) -> None:
    loaded(app)

    def false_positives() -> tuple[int, int]:
        body = app.client.get("/api/v1/metrics", params=RANGE, headers=app.auth()).json()
        figure = next(f for f in body["metrics"] if f["metric"] == "false_positives")
        return figure["no_action"], figure["alerts"]

    assert false_positives() == (6, 20)
    # billing's alert of 29 March 04:00 (a whole day inside the period: read from the daily counts)
    marked = app.client.put("/api/v1/alerts/alert-19/verdict", json={"verdict": "no_action"}, headers=app.auth())
    assert marked.status_code == 200, marked.text
    assert false_positives() == (7, 20)
    cleared = app.client.put("/api/v1/alerts/alert-0/verdict", json={"verdict": None}, headers=app.auth())
    assert cleared.status_code == 200, cleared.text
    assert false_positives() == (6, 20)
    # An alert through intake today counts in today's row (and the part-day read from the alerts).
    app.add_service("intake-check", owner_team="payments")
    key = app.add_integration("intake-check", "webhook")
    sent = app.client.post(f"/integrations/webhook/{key}", json={"title": "disk full", "dedup_key": "d1"})
    assert sent.status_code == 202, sent.text
    app.container.writer.stop()
    app.clock.set(h.NOW + timedelta(minutes=1))  # the alert fired at NOW; periods end before their end
    today = app.client.get("/api/v1/metrics", params={"from": "2026-04-10"}, headers=app.auth()).json()
    assert next(f for f in today["metrics"] if f["metric"] == "false_positives")["alerts"] == 1
    assert app.scalar("SELECT sum(alerts) FROM alert_days WHERE service_id != 'svc-checkout'") == 11
