"""Snapshots of what a crowd reads: shared while young, while the caller's fingerprint (the
incident's own row) is unchanged, and while nothing but intake's minor changes concerned it."""

from __future__ import annotations

from collections.abc import Callable

from firebell.bootstrap import ChangeFeed, incident_topic
from firebell.infra.snapshots import Snapshots

ONE = incident_topic("01A")


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _numbered() -> Callable[[], int]:
    made = iter(range(1, 1000))
    return lambda: next(made)


def test_readers_within_the_ttl_share_one_build() -> None:
    ticks, feed = Ticks(), ChangeFeed()
    shots = Snapshots(feed, ttl=1.0, monotonic=ticks)
    build = _numbered()
    row = {"status": "detected"}
    assert [shots.get("incident 7", ONE, row, build) for _ in range(100)] == [1] * 100
    ticks.now += 0.99
    assert shots.get("incident 7", ONE, row, build) == 1
    ticks.now += 0.02  # a second after it was built: built again
    assert shots.get("incident 7", ONE, row, build) == 2
    assert shots.get("incident 8", ONE, row, build) == 3  # each key its own
    assert shots.built == 3


def test_a_changed_row_or_a_change_to_it_shows_at_once_alerts_joining_within_the_ttl() -> None:
    ticks, feed = Ticks(), ChangeFeed()
    shots = Snapshots(feed, ttl=1.0, monotonic=ticks)
    build = _numbered()
    assert shots.get("k", ONE, {"status": "detected"}, build) == 1
    feed.bump(ONE, "alerts", minor=True)  # alerts joined it: the snapshot only ages
    assert shots.get("k", ONE, {"status": "detected"}, build) == 1
    feed.bump(incident_topic("01B"))  # another incident changed
    assert shots.get("k", ONE, {"status": "detected"}, build) == 1
    assert shots.get("k", ONE, {"status": "resolved"}, build) == 2  # its row changed, wherever that was done
    assert shots.get("k", ONE, {"status": "resolved"}, build) == 2
    feed.bump(ONE)  # the engine held a page, or another process wrote to it (the change watch)
    assert shots.get("k", ONE, {"status": "resolved"}, build) == 3
    feed.bump()  # someone added a note here: it may concern anything
    assert shots.get("k", ONE, {"status": "resolved"}, build) == 4
    ticks.now += 1.0
    assert shots.get("k", ONE, {"status": "resolved"}, build) == 5


def test_a_change_while_building_makes_the_snapshot_stale() -> None:
    ticks, feed = Ticks(), ChangeFeed()
    shots = Snapshots(feed, ttl=10.0, monotonic=ticks)
    built: list[int] = []

    def build() -> int:
        built.append(1)
        if len(built) == 1:
            feed.bump()  # committed while the first build was reading
        return len(built)

    assert shots.get("k", ONE, None, build) == 1
    assert shots.get("k", ONE, None, build) == 2  # the first may have missed that change
    assert shots.get("k", ONE, None, build) == 2


def test_no_sharing_with_a_ttl_of_zero_and_only_so_many_kept() -> None:
    ticks, feed = Ticks(), ChangeFeed()
    never = Snapshots(feed, ttl=0, monotonic=ticks)
    first = never.get("k", ONE, None, object)
    assert never.get("k", ONE, None, object) is not first
    few = Snapshots(feed, ttl=10, size=2, monotonic=ticks)
    for key in ("a", "b", "c"):
        few.get(key, ONE, None, object)
    few.get("c", ONE, None, object)
    assert few.built == 3
    few.get("a", ONE, None, object)  # the oldest was let go
    assert few.built == 4


def test_changed_since_passes_over_minor_changes_and_other_topics() -> None:
    feed = ChangeFeed()
    feed.bump(ONE, "alerts", minor=True)
    feed.bump(incident_topic("01B"))
    assert not feed.changed_since(0, ONE)
    assert feed.changed_since(0, incident_topic("01B"))
    feed.bump()
    assert feed.changed_since(0, ONE)
    assert not feed.changed_since(3, ONE)
    feed.bump(minor=True)  # minor but naming nothing: it may concern anything
    assert feed.changed_since(3, ONE)
    for _ in range(ChangeFeed.REMEMBERED + 1):
        feed.bump("alerts")
    assert feed.changed_since(0, ONE)  # further back than it remembers: it cannot tell, so it says yes
    assert not feed.changed_since(feed.version - 1, ONE)


def test_a_live_page_told_of_a_change_gets_a_snapshot_built_after_it() -> None:
    ticks, feed = Ticks(), ChangeFeed()
    shots = Snapshots(feed, ttl=1.0, monotonic=ticks)
    build = _numbered()
    assert shots.get("k", ONE, None, build) == 1
    feed.bump(ONE, minor=True)  # an alert joined; the stream tells the page of it
    told = feed.version
    assert shots.get("k", ONE, None, build) == 1  # a reader who was not told: a second old at most
    assert shots.get("k", ONE, None, build, at_least=told) == 2  # the told page sees the alert
    assert [shots.get("k", ONE, None, build, at_least=told) for _ in range(99)] == [2] * 99  # and so does the crowd
