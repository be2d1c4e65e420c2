"""Engine module: fold SQLite's write-ahead log back into the database off the commit path, and keep
room on the disk to do so.

Commits never checkpoint (wal_autocheckpoint=0 in infra/db.py), so a sender never waits for one;
this module runs a PASSIVE checkpoint, which neither blocks nor waits for writers, once a second.

A checkpoint copies the log's pages into the database file, which may grow by as much as the log
holds; were intake to take the last of the disk, nothing could be checkpointed, and escalations could
not be written either. So `DiskRoom` keeps a reserve: while the free space is less than the log's size
plus `RESERVE`, intake is refused (507, nothing stored). Before that, as soon as the free space is less
than a few times the log's size, the module checkpoints with TRUNCATE, every quarter second, which
empties the log file and gives its space back. Escalations and deliveries still
write into the reserve. When there is room again (the checkpoint got it back, or an operator freed
some) the engine is woken at once, so what fell due meanwhile goes out without waiting.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from firebell.kernel.errors import StorageFull

log = logging.getLogger("firebell.checkpoint")

RESERVE = 512 << 10  # bytes kept free beyond the log's size, for escalations, deliveries and a batch's overshoot
TIGHT = 4  # checkpoint with TRUNCATE once the free space is less than this many times the log's size (plus RESERVE)
SHORT_EVERY = timedelta(seconds=0.25)  # how often to checkpoint and look again while space is short
TRUNCATE_WAIT_MS = 1000  # how long a TRUNCATE checkpoint waits for readers and writers
BUSY_TIMEOUT_MS = 30000  # the connections' busy timeout (infra/db.py), put back afterwards


class DiskRoom:
    """The free space on the disk of one SQLite database, against what it must keep."""

    def __init__(self, database: str, reserve: int = RESERVE) -> None:
        self.database = os.path.abspath(database)
        self.wal = f"{self.database}-wal"
        self.folder = os.path.dirname(self.database)
        self.reserve = reserve

    def free(self) -> int:
        stats = os.statvfs(self.folder)
        return stats.f_bavail * stats.f_frsize

    def log_size(self) -> int:
        try:
            return os.stat(self.wal).st_size
        except FileNotFoundError:
            return 0

    def short(self) -> bool:
        """Too little room to checkpoint the whole log and keep the reserve besides."""
        return self.free() < self.log_size() + self.reserve

    def tight(self) -> bool:
        """Room getting short: time to give the log's space back rather than let it grow."""
        return self.free() < TIGHT * self.log_size() + self.reserve

    def refusal(self) -> StorageFull | None:
        """What intake answers before it writes while space is short (None: go ahead)."""
        if not self.short():
            return None
        return StorageFull(
            "the database's disk is nearly full: nothing was stored; retry once there is room", retry_after=5
        )


class WalCheckpoint:
    name = "sqlite_wal_checkpoint"

    def __init__(
        self,
        engine: Engine,
        every: timedelta = timedelta(seconds=1),
        *,
        room: DiskRoom | None = None,
        on_room: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.every = every
        self.room = room
        self.on_room = on_room
        self.was_short = False
        self.last: tuple[int, int, int] | None = None

    def run(self, now: datetime) -> datetime:
        tight = self.room is not None and self.room.tight()
        with self.engine.connect() as conn:
            if tight:
                # Wait a little for readers and writers (intake is refused meanwhile), not 30 s.
                conn.exec_driver_sql(f"PRAGMA busy_timeout={TRUNCATE_WAIT_MS}")
                try:
                    row = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                finally:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            else:
                row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").first()
        if row is not None:
            self.last = (int(row[0]), int(row[1]), int(row[2]))
        if self.room is not None:
            self._note(self.room)
        return now + (SHORT_EVERY if tight else self.every)

    def _note(self, room: DiskRoom) -> None:
        """One line when space runs short and one when there is room again (then wake the engine)."""
        short = room.short()
        if short != self.was_short:
            self.was_short = short
            free, size = room.free() >> 10, room.log_size() >> 10
            if short:
                log.warning(
                    "disk_short: %d KiB free, the write-ahead log holds %d KiB: intake refused (507) to keep room "
                    "to checkpoint and to page",
                    free,
                    size,
                )
            else:
                log.warning("disk_room: %d KiB free, the write-ahead log holds %d KiB: intake resumes", free, size)
                self.on_room()  # what fell due meanwhile goes out now
