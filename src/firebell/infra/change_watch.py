"""Engine module: notice changes committed by other processes (other workers, the CLI).

Live pages hear about this process's own writes at once; this module polls two indexed maxima once a
second so that changes made anywhere reach them too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine


class ChangeWatch:
    name = "change_watch"

    def __init__(self, engine: Engine, notify: Callable[[], None], every: timedelta = timedelta(seconds=1)) -> None:
        self.engine = engine
        self.notify = notify
        self.every = every
        self.seen: tuple[object, ...] | None = None

    def run(self, now: datetime) -> datetime:
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT (SELECT max(last_seen_at) FROM alerts), (SELECT max(id) FROM incident_events)"
            ).first()
        current = tuple(row) if row is not None else None
        if self.seen is not None and current != self.seen:
            self.notify()
        self.seen = current
        return now + self.every
