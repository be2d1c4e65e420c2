"""Engine module: keep the query planner's statistics fresh on PostgreSQL.

Intake tables grow fast; a planner that still believes `alerts` is empty picks sequential scans for
the dedup and grouping lookups. Autovacuum normally analyzes them, but it may be off or slow to
react, so ANALYZE the intake tables every half minute (cheap: it samples at most 30,000 rows).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

TABLES = ("alerts", "incidents", "raw_payloads")


class PlannerStatistics:
    name = "postgres_analyze"

    def __init__(self, engine: Engine, every: timedelta = timedelta(seconds=30)) -> None:
        self.engine = engine
        self.every = every
        self.runs = 0

    def run(self, now: datetime) -> datetime:
        with self.engine.begin() as conn:
            for table in TABLES:
                conn.exec_driver_sql(f"ANALYZE {table}")
        self.runs += 1
        # Right after start-up the tables change shape fastest: analyze again soon, then settle.
        return now + (timedelta(seconds=5) if self.runs < 3 else self.every)
