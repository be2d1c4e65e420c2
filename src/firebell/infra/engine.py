"""The background engine: small modules, each run when due, sleeping until the earliest due time.

A module's `run(now)` does one pass of its job and returns when it next wants to run. `poke(name)`
makes a module due at once and wakes the engine, when new work for it arrives. A module that raises
is logged and retried after a short pause; it never stops the others. When the database is down,
busy or full the pause starts at a fifth of a second and doubles up to one second, so what fell due
meanwhile goes out within a second or two of the database's return, and the log gets one line per
kind of failure every few seconds rather than a traceback per pass. Any other error (a bug) is logged
with its traceback and retried after a pause doubling up to 30 seconds. A pass that succeeds resets it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Protocol

from firebell.infra.failures import FailureLog
from firebell.kernel.clock import Clock

log = logging.getLogger("firebell.engine")

RETRY_FIRST = timedelta(seconds=0.2)
RETRY_STORAGE_CAP = timedelta(seconds=1)  # the database down, busy or full
RETRY_BUG_CAP = timedelta(seconds=30)  # anything else
MAX_SLEEP = timedelta(minutes=5)


class EngineModule(Protocol):
    name: str

    def run(self, now: datetime) -> datetime:
        """Do what is due at `now`; return when to run next."""
        ...


class Engine:
    def __init__(self, modules: list[EngineModule], clock: Clock) -> None:
        self.modules = modules
        self.clock = clock
        self._due: dict[str, datetime] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._poked: set[str] = set()
        self._failures: dict[str, int] = {}  # module name -> failed passes in a row
        self._failure_log = FailureLog()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="firebell-engine", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def poke(self, *names: str) -> None:
        """Make the named modules (all when none are named) due now, and wake the engine."""
        with self._lock:
            self._poked.update(names or [m.name for m in self.modules])
        self._wake.set()

    def tick(self) -> datetime:
        """Run every due (or poked) module once; return the earliest next due time."""
        now = self.clock.now()
        for module in self.modules:
            with self._lock:
                poked = module.name in self._poked
                self._poked.discard(module.name)
            due = self._due.get(module.name)
            if not poked and due is not None and due > now:
                continue
            try:
                self._due[module.name] = module.run(now)
            except Exception as exc:
                self._due[module.name] = now + self._retry_after(module.name, exc)
            else:
                self._failures.pop(module.name, None)
        with self._lock:
            if self._poked:  # poked while running: go round again at once
                return now
        return min(self._due.values(), default=now + MAX_SLEEP)

    def _retry_after(self, name: str, exc: Exception) -> timedelta:
        """Log the failure (a storage failure rate-limited, a bug with its trace) and pick the pause."""
        failed = self._failures[name] = self._failures.get(name, 0) + 1
        storage = self._failure_log.report(log, "engine_module_failed", exc, engine_module=name) is not None
        cap = RETRY_STORAGE_CAP if storage else RETRY_BUG_CAP
        pause: timedelta = RETRY_FIRST * (2 ** min(failed - 1, 16))
        return min(pause, cap)

    def _loop(self) -> None:
        while not self._stop.is_set():
            next_due = self.tick()
            delay = (next_due - self.clock.now()).total_seconds()
            self._wake.wait(timeout=min(max(delay, 0.0), MAX_SLEEP.total_seconds()))
            self._wake.clear()
