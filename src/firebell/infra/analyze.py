"""Engine module: keep the query planner's statistics fresh on PostgreSQL.

Intake tables grow fast; a planner that still believes `alerts` is small picks sequential scans for
the dedup and grouping lookups, and a 500-key dedup lookup that takes 0.5 ms with an index took
200 ms on a fresh database under an alert storm. Autovacuum analyzes tables too, but it wakes once a
minute and waits for a share of a table to change (1% for these tables since migration 0015), so
this module looks every two seconds and runs ANALYZE on an intake table whose changed rows since its
last analysis reach a fifth of its size (at least `min_changes`), or `max_changes` whatever its
size: at a million alerts, half the table changing first left the dedup lookup on a plan for a table
a tenth of its size for minutes. ANALYZE reads a sample of fixed size (30,000 rows by default), so
its cost does not grow with the table. A stable table costs one cheap catalogue read per look.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

TABLES = ("alerts", "incidents", "raw_payloads")


def stale(changed: int, live: int, *, min_changes: int, ratio: float, max_changes: int | None = None) -> bool:
    """Whether a table with `changed` rows since its last analysis out of `live` needs one now."""
    if changed < min_changes:
        return False
    return changed >= ratio * live or (max_changes is not None and changed >= max_changes)


class PlannerStatistics:
    name = "postgres_analyze"

    def __init__(
        self,
        engine: Engine,
        every: timedelta = timedelta(seconds=2),
        *,
        min_changes: int = 500,
        ratio: float = 0.2,
        max_changes: int = 50_000,
    ) -> None:
        self.engine = engine
        self.every = every
        self.min_changes = min_changes
        self.ratio = ratio
        self.max_changes = max_changes
        self.analyzed: list[str] = []  # every ANALYZE this module ran, in order

    def run(self, now: datetime) -> datetime:
        with self.engine.begin() as conn:
            rows: list[tuple[str, int | None, int | None]] = conn.exec_driver_sql(  # type: ignore[assignment]
                "SELECT relname, n_mod_since_analyze, n_live_tup FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema() AND relname = ANY(%(tables)s)",
                {"tables": list(TABLES)},
            ).all()
            for table, changed, live in rows:
                if stale(
                    changed or 0,
                    live or 0,
                    min_changes=self.min_changes,
                    ratio=self.ratio,
                    max_changes=self.max_changes,
                ):
                    conn.exec_driver_sql(f"ANALYZE {table}")
                    self.analyzed.append(str(table))
        return now + self.every
