"""The background engine: small modules, each run when due, sleeping until the earliest due time.

A module's `run(now)` does one pass of its job and returns when it next wants to run. `poke(name)`
makes a module due at once and wakes the engine, when new work for it arrives. A module that raises
is logged and retried after a pause; it never stops the others.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Protocol

from firebell.kernel.clock import Clock

log = logging.getLogger("firebell.engine")

RETRY_AFTER = timedelta(seconds=30)
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
            except Exception:
                log.exception("engine_module_failed", extra={"engine_module": module.name})
                self._due[module.name] = now + RETRY_AFTER
        with self._lock:
            if self._poked:  # poked while running: go round again at once
                return now
        return min(self._due.values(), default=now + MAX_SLEEP)

    def _loop(self) -> None:
        while not self._stop.is_set():
            next_due = self.tick()
            delay = (next_due - self.clock.now()).total_seconds()
            self._wake.wait(timeout=min(max(delay, 0.0), MAX_SLEEP.total_seconds()))
            self._wake.clear()
