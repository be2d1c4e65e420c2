"""Incidents that should have paged and reached nobody, as a gauge on Firebell's own `/metrics`.

Read at every scrape (one grouped count over open incidents), so an alerting rule on it fires within
a scrape interval: `firebell_incidents_unreached > 0`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, cast

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from firebell.incidents.state import OPEN_STATUSES
from firebell.incidents.tables import IncidentRow
from firebell.infra.db import transaction

log = logging.getLogger("firebell.paging")
_inc = cast(sa.Table, IncidentRow.__table__)

# Why paging reached nobody; each is reported, at zero when no open incident has it.
REASONS = ("no_policy", "no_level", "nobody_on_call", "no_contact_methods", "delivery_failed")


class UnreachedIncidents(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list[Any]:
        return []  # read at scrape time

    def collect(self) -> Iterator[Any]:
        family = GaugeMetricFamily(
            "firebell_incidents_unreached",
            "Open incidents (drills left out) whose paging reached nobody, by reason.",
            labels=["reason"],
        )
        try:
            counts = self._counts()
        except Exception:  # a database hiccup must not take /metrics down with it
            log.exception("unreached_incidents_not_counted")
            return
        for reason in REASONS:
            family.add_metric([reason], counts.get(reason, 0))
        yield family

    def _counts(self) -> dict[str, int]:
        query = (
            sa.select(_inc.c.page_gap, sa.func.count())
            .where(
                _inc.c.status.in_([s.value for s in OPEN_STATUSES]),
                _inc.c.page_gap.is_not(None),
                _inc.c.drill_id.is_(None),
            )
            .group_by(_inc.c.page_gap)
        )
        with transaction(self.engine) as conn:
            return {str(row[0]): int(row[1] or 0) for row in conn.execute(query).all()}
