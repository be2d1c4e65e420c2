"""Garbage-collector settings for a long-running server process.

Intake allocates many containers per alert (parsed JSON, models, rows) that stay alive until their
batch commits: a batch of 64 webhooks holds tens of thousands. With CPython's default thresholds
(a young collection every 700 net allocations, full collections that walk the whole heap, including
the objects of the loaded libraries) the collector took a quarter of the server's time under load,
and at 20,000 each young collection still walked a live batch in vain. After start-up the
long-lived heap is frozen (moved to a generation the collector never walks), and a young collection
waits for 100,000 net allocations. Reference cycles are still collected, only later, in larger
sweeps; that costs a few megabytes at most.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 100_000
OLDER_THRESHOLDS = (50, 100)


def settle() -> None:
    """Call once the app is built: collect what start-up left, then freeze the rest."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
