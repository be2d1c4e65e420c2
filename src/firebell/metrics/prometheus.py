"""The incident metrics on Firebell's own `/metrics`, per service and severity, so a team can graph
and alert on them in Grafana.

Figures cover a sliding window (the last 30 days) and are recomputed at most once a minute, however
often Prometheus scrapes. Windowed distributions are exposed as gauge histograms (their buckets can
go down as old incidents leave the window); histogram_quantile() reads them like any histogram.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from firebell.infra.db import transaction
from firebell.kernel.clock import Clock
from firebell.metrics import compute, queries
from firebell.metrics.model import RESPONSE_TIMES, Metric, Ratio, Scope
from firebell.metrics.periods import Period

log = logging.getLogger(__name__)

WINDOW = timedelta(days=30)
REFRESH = timedelta(seconds=60)
BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0, 259200.0)
NAMES = {
    Metric.MTTA: ("firebell_incident_time_to_acknowledge_seconds", "Alert to first acknowledgement"),
    Metric.MTTI: ("firebell_incident_time_to_identify_seconds", "Acknowledgement to root cause identified"),
    Metric.MTTR: ("firebell_incident_time_to_resolve_seconds", "Alert to resolution"),
}


class IncidentMetrics(Collector):
    def __init__(self, engine: Engine, clock: Clock, *, stale_after_days: int = 90, name_people: bool = False) -> None:
        self.engine = engine
        self.clock = clock
        self.stale_after_days = stale_after_days
        self.name_people = name_people  # else a person is labelled by user id: a scrape names no one
        self._lock = threading.Lock()
        self._cached: list[Any] = []
        self._at: Any = None

    def describe(self) -> list[Any]:
        return []  # computed at scrape time: nothing to check at registration

    def collect(self) -> Iterator[Any]:
        now = self.clock.now()
        with self._lock:
            if self._at is None or now - self._at >= REFRESH or now < self._at:
                try:
                    self._cached = self._compute()
                    self._at = now
                except Exception:  # a database hiccup must not take /metrics down with it
                    log.exception("incident metrics could not be computed")
            families = list(self._cached)
        yield from families

    def _compute(self) -> list[Any]:
        now = self.clock.now()
        period = Period(now - WINDOW, now)
        families: list[Any] = []
        with transaction(self.engine) as conn:
            for metric in RESPONSE_TIMES:
                name, help_text = NAMES[metric]
                family = GaugeHistogramMetricFamily(
                    name, f"{help_text}, incidents opened in the last 30 days.", labels=["service", "sev"]
                )
                for service, sev, counts, n, total in queries.histogram(conn, metric, period, BUCKETS):
                    buckets = [(str(bound), float(c)) for bound, c in zip(BUCKETS, counts, strict=True)]
                    buckets.append(("+Inf", float(n)))
                    family.add_metric([service, sev], buckets, gsum_value=total)
                families.append(family)
            opened = GaugeMetricFamily(
                "firebell_incidents_open", "Incidents open now (drills left out).", labels=["service", "sev"]
            )
            for service, sev, n in queries.open_incidents(conn):
                opened.add_metric([service, sev], n)
            families.append(opened)
            names = queries.service_names(conn)
            count = queries.incident_counts(conn, period, Scope(), "service")
            mtbf = GaugeMetricFamily(
                "firebell_service_mtbf_hours", "Hours in the last 30 days over the incidents opened in them.",
                labels=["service"],
            )  # fmt: skip
            for service_id, name in names.items():
                n = count.get(service_id, queries.Counts()).incidents
                mtbf.add_metric([name], period.hours / n if n else period.hours)
            families.append(mtbf)
            alerts = queries.alert_counts(conn, period, Scope(), "service")
            volume = GaugeMetricFamily("firebell_alerts_30d", "Alerts fired in the last 30 days.", labels=["service"])
            false_positives = GaugeMetricFamily(
                "firebell_alert_false_positive_ratio",
                "Share of the last 30 days' alerts marked 'no action needed'.",
                labels=["service"],
            )
            for service_id, name in names.items():
                found = alerts.get(service_id, Ratio(0, 0))
                volume.add_metric([name], found.whole)
                false_positives.add_metric([name], found.part / found.whole if found.whole else 0.0)
            families += [volume, false_positives]
            recurrence = queries.recurrences(conn, period, Scope(), "service")
            recurring = GaugeMetricFamily(
                "firebell_incident_recurrence_ratio",
                "Share of the last 30 days' incidents that recurred within 90 days.",
                labels=["service"],
            )
            for service_id, name in names.items():
                found = recurrence.get(service_id, Ratio(0, 0))
                recurring.add_metric([name], found.part / found.whole if found.whole else 0.0)
            families.append(recurring)
            after = GaugeMetricFamily(
                "firebell_after_hours_pages_30d",
                "Pages outside working hours in the last 30 days, by person (their user id unless "
                "FIREBELL_METRICS__NAME_PEOPLE is set).",
                labels=["person"],
            )
            for person in queries.load_by_person(conn, period, Scope()):
                label = person["handle"] or person["name"] if self.name_people else person["user_id"]
                after.add_metric([label], person["after_hours"])
            families.append(after)
            card = compute.scorecard_of(conn, period, Scope(), today=now.date(), stale_after_days=self.stale_after_days)
            met = GaugeMetricFamily(
                "firebell_metric_target_met",
                "1 when the metric over the last 30 days meets the playbook's target, 0 when it misses it.",
                labels=["metric"],
            )
            for figure in card["metrics"]:
                if figure["verdict"] in ("met", "missed"):
                    met.add_metric([figure["metric"]], 1.0 if figure["verdict"] == "met" else 0.0)
            families.append(met)
        return families
