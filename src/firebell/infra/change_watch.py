"""Engine module: notice changes committed by other processes (other workers, the CLI).

Live pages hear about this process's own writes at once; this module polls two indexed maxima once a
second so that changes made anywhere reach them too. When they moved, it reads which incidents the
new rows concern, so only those incidents' pages (and the lists) refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

# Past this many incidents changed at once, say "anything may have changed" instead of naming them.
MOST_NAMED = 200


class ChangeWatch:
    name = "change_watch"

    def __init__(self, engine: Engine, notify: Callable[..., None], every: timedelta = timedelta(seconds=1)) -> None:
        """`notify(*topics)`: the topics changed (`incident:<id>`, `alerts`); none named: anything."""
        self.engine = engine
        self.notify = notify
        self.every = every
        self.seen: tuple[object, ...] | None = None

    def run(self, now: datetime) -> datetime:
        topics: list[str] | None = None
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT (SELECT max(last_seen_at) FROM alerts), (SELECT max(id) FROM incident_events)"
            ).first()
            current = tuple(row) if row is not None else None
            if self.seen is not None and current != self.seen:
                topics = _changed(conn, self.seen)
        if topics is not None:
            self.notify(*topics)
        self.seen = current
        return now + self.every


def _changed(conn: Connection, seen: tuple[object, ...]) -> list[str]:
    """What changed since the maxima `seen`: the incidents named, "alerts" for alerts in none; an empty
    list when it cannot say (too many, or nothing seen before)."""
    last_seen, last_event = seen
    if last_seen is None or last_event is None:
        return []
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT incident_id FROM incident_events WHERE id > :event "
            "UNION SELECT DISTINCT incident_id FROM alerts WHERE last_seen_at > :seen"
        ).bindparams(event=last_event, seen=last_seen)
    ).all()
    if len(rows) > MOST_NAMED:
        return []
    return sorted({f"incident:{r[0]}" if r[0] is not None else "alerts" for r in rows})
