"""Snapshots of what a crowd reads: one incident's page data or API answer, built once and shared by
everyone who asks while it holds.

A big incident draws many readers (people keeping its page open, scripts polling the API) while
alerts keep joining it. Building its answer once per reader would spend the web share on the same
work a hundred times. A snapshot is reused while all of these hold:

* it is younger than `ttl` seconds (alerts joining show within that time: a storm of 20 alerts a
  second costs one build a second);
* the caller's fingerprint of it is unchanged: the incident's own row, read fresh by every request
  (one indexed row), so a change of state or severity shows at once, whoever made it;
* no change to it was told since but minor ones (intake's: alerts joining and repeating), so people
  see their own changes and the engine's at once, and other processes' within the change watch's
  second;
* a live page refreshing because it was told of a change (`at_least`, the version the change feed
  told it) gets a snapshot built after that change. Pages are told on shared ticks, so the crowd
  asks for the same version and it is built once per tick.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Changes(Protocol):
    @property
    def version(self) -> int: ...

    def changed_since(self, seen: int, topic: str) -> bool: ...


class Snapshots:
    def __init__(
        self, changes: Changes, ttl: float = 1.0, size: int = 64, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.changes = changes
        self.ttl = ttl
        self.size = size
        self.monotonic = monotonic
        self._kept: OrderedDict[Hashable, tuple[float, int, object, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.built = 0  # how many snapshots were built (the rest of the asks were shared)

    def get(self, key: Hashable, topic: str, fingerprint: object, build: Callable[[], T], at_least: int = 0) -> T:
        """The snapshot for `key`, built by `build()` unless one still holds for `fingerprint` and no
        change to `topic` but minor ones came since. A live page refreshing because it was told of
        change `at_least` gets a snapshot built after it."""
        now = self.monotonic()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None:
            made_at, version, printed, value = kept
            fresh = now - made_at < self.ttl and version >= at_least
            if fresh and printed == fingerprint and not self.changes.changed_since(version, topic):
                return value  # type: ignore[return-value]  # stored under this key by `build`
        version = self.changes.version  # read before building: a change meanwhile makes it stale
        value = build()
        with self._lock:
            self.built += 1
            self._kept[key] = (now, version, fingerprint, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value
