"""Firebell's time in production: one reference for every node, which a step of a node's clock never moves.

Due times (escalation levels, timers, retries) and delivery leases are written by one node and compared
by another, so every node must tell the same time, and a node's own clock being stepped (by hand, by a
virtual machine resumed, by NTP after a long drift) must neither hold pages back nor send them early or
twice. `ReferenceClock` reads a reference every few seconds (`sync()`, run by the background engine as
the `ClockSync` module) and between readings advances by `time.monotonic()`, which no step of the wall
clock moves; `now()` is arithmetic only, never a database read.

- PostgreSQL: the reference is the database server's clock (`SELECT clock_timestamp()`), shared by
  every node, so a node whose own clock is ahead, behind or stepped keeps the database's time; the
  node's offset from it is logged once when it is more than a second.
- SQLite (one host): the reference is the host's clock as it reads when the process starts; from then
  on Firebell's time is that instant plus the elapsed (monotonic) time. An escalation delay means
  elapsed time, so when the host's clock is stepped while Firebell runs, Firebell logs one line and
  keeps counting elapsed time: no page goes early, late or twice. The host's clock as it reads then is
  taken up at the next start (times shown after a step are off by the step until then).

A reading that took more than a tenth of a second is set aside (after the first), so the error of any
reading stays within some 50 ms. Firebell's time never goes back by less than a second (a reading a
few milliseconds behind the last estimate holds the clock still for that long instead); the database
server's own clock stepped by more is followed, and logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from firebell.infra.failures import report_failure

log = logging.getLogger("firebell.clock")

RESYNC = timedelta(seconds=5)  # how often the reference is read
RETRY = timedelta(seconds=1)  # how soon after a failed reading it is read again
TOLERANCE = 1.0  # seconds: a larger difference is a step (or an offset worth a line in the log)
ROUND_TRIP = 0.1  # seconds: a later reading that took longer (a busy pool or machine) is not trusted


class ReferenceClock:
    def __init__(
        self,
        read: Callable[[], datetime],
        *,
        reference: str,
        follow: bool,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`read` gives the reference's time; `follow` says whether later readings move the clock
        (a shared reference, PostgreSQL's) or only the first one does (the host clock, SQLite)."""
        self.read = read
        self.reference = reference
        self.follow = follow
        self.monotonic = monotonic
        self.wall = wall
        self.synced = False
        self._lock = threading.Lock()
        self._anchor = wall()  # until the first reading: the host's clock
        self._anchor_at = monotonic()
        self._last = self._anchor
        self._offset = 0.0  # the node's wall clock minus Firebell's time, as last logged
        self._stepped = 0.0  # the host's step not followed (SQLite), as last logged

    def now(self) -> datetime:
        with self._lock:
            value = self._anchor + timedelta(seconds=self.monotonic() - self._anchor_at)
            if value < self._last and (self._last - value).total_seconds() < TOLERANCE:
                return self._last
            self._last = value
            return value

    def sync(self) -> bool:
        """Read the reference once; False when it could not be read (the clock runs on by itself)."""
        before = self.monotonic()
        try:
            reading = self.read()
        except Exception as exc:
            report_failure(log, "clock_reference_unreadable", exc)
            return False
        after = self.monotonic()
        if self.synced and after - before > ROUND_TRIP:
            return False  # where in that time the reference was read is unknown: read again soon
        at = (before + after) / 2
        with self._lock:
            estimate = self._anchor + timedelta(seconds=at - self._anchor_at)
            off = (reading - estimate).total_seconds()
            first = not self.synced
            if first or self.follow:
                self._anchor, self._anchor_at = reading, at
                self.synced = True
        if first or self.follow:
            if not first and abs(off) > TOLERANCE:
                log.warning(
                    "clock_reference_stepped: %s moved %+.1f s; Firebell follows it",
                    self.reference,
                    off,
                    extra={"reference": self.reference, "seconds": round(off, 3)},
                )
            self._note_offset(reading, at)
        else:
            self._note_step(off)
        return True

    def _note_offset(self, reading: datetime, at: float) -> None:
        """One line when this node's own clock is off the shared reference (and when that changes)."""
        offset = (self.wall() - (reading + timedelta(seconds=self.monotonic() - at))).total_seconds()
        if abs(offset - self._offset) > TOLERANCE:
            self._offset = offset
            log.warning(
                "clock_node_offset: this node's clock is %+.1f s off %s; Firebell keeps to %s",
                offset,
                self.reference,
                self.reference,
                extra={"reference": self.reference, "seconds": round(offset, 3)},
            )

    def _note_step(self, off: float) -> None:
        """The host's clock moved away from the elapsed time (or back into line): one line each time."""
        if abs(off - self._stepped) > TOLERANCE:
            self._stepped = off
            log.warning(
                "clock_host_stepped: the host clock is %+.1f s off the time elapsed since Firebell started; "
                "Firebell keeps counting elapsed time",
                off,
                extra={"reference": self.reference, "seconds": round(off, 3)},
            )


class ClockSync:
    """Engine module: read the reference every few seconds (every second until a reading succeeds)."""

    name = "clock_sync"

    def __init__(self, clock: ReferenceClock, every: timedelta = RESYNC) -> None:
        self.clock = clock
        self.every = every

    def run(self, now: datetime) -> datetime:
        return now + (self.every if self.clock.sync() else RETRY)


def database_clock(engine: Engine) -> ReferenceClock:
    """The clock for a node on this database: PostgreSQL's server clock, or the SQLite host's elapsed time."""
    if engine.dialect.name == "postgresql":

        def server_time() -> datetime:
            with engine.connect() as conn:
                value: object = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise TypeError(f"clock_timestamp() gave {value!r}")
            return value.astimezone(UTC)

        clock = ReferenceClock(server_time, reference="the database server's clock", follow=True)
    else:
        clock = ReferenceClock(lambda: datetime.now(UTC), reference="the host clock at start", follow=False)
    clock.sync()
    return clock
