"""Engine module: fold SQLite's write-ahead log back into the database off the commit path.

Commits never checkpoint (wal_autocheckpoint=0 in infra/db.py), so a sender never waits for one;
this module runs a PASSIVE checkpoint, which neither blocks nor waits for writers, once a second.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine


class WalCheckpoint:
    name = "sqlite_wal_checkpoint"

    def __init__(self, engine: Engine, every: timedelta = timedelta(seconds=1)) -> None:
        self.engine = engine
        self.every = every
        self.last: tuple[int, int, int] | None = None

    def run(self, now: datetime) -> datetime:
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").first()
        if row is not None:
            self.last = (int(row[0]), int(row[1]), int(row[2]))
        return now + self.every
