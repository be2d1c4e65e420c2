from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from firebell.infra import heap


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restore_gc")
def test_settle_freezes_the_start_up_heap_and_raises_the_young_threshold() -> None:
    gc.unfreeze()
    kept = [object() for _ in range(10)]
    heap.settle()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, *heap.OLDER_THRESHOLDS)
    assert heap.YOUNG_THRESHOLD >= 100_000  # the measured knee for 64 concurrent 100-alert webhooks
    del kept
