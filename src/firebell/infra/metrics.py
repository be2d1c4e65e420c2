"""Prometheus metrics, registered on a registry the app owns (no module-level collectors)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "firebell_alerts_ingested",
            "Alert events accepted, by source and outcome.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "firebell_ingest_rejected",
            "Intake requests refused, by source and reason.",
            ["source", "reason"],
            registry=self.registry,
        )
        self.api_rate_limited = Counter(
            "firebell_api_rate_limited",
            "API requests refused with 429 because their token was over its rate limit.",
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "firebell_http_request_duration_seconds",
            "HTTP request latency, by route template and method.",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "firebell_ingest_queue_depth",
            "Intake submissions waiting for the writer.",
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "firebell_ingest_batch_size",
            "Submissions committed together by the intake writer.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )
        self.forwards = Counter(
            "firebell_forwards",
            "Forwards of accepted alert bodies to the tool Firebell replaces, by outcome "
            "(sent, retry: failed and tried again, failed: given up).",
            ["outcome"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "firebell_notification_attempts",
            "Notification attempts, by channel and outcome (sent or failed).",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.notification_seconds = Histogram(
            "firebell_notification_duration_seconds",
            "How long a channel took to accept (or refuse) one notification.",
            ["channel"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
