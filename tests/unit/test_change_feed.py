"""The change feed live pages follow: a page about one incident hears of changes to it and of changes
that name nothing, and not of changes to other incidents."""

from __future__ import annotations

import asyncio

from firebell.bootstrap import ChangeFeed, incident_topic

ONE, OTHER = incident_topic("01A"), incident_topic("01B")


def test_a_change_concerns_the_pages_it_names_and_the_lists() -> None:
    feed = ChangeFeed()
    feed.bump(OTHER, "alerts")
    assert feed.concerns(0, feed.version, None)  # a list follows everything
    assert feed.concerns(0, feed.version, OTHER)
    assert not feed.concerns(0, feed.version, ONE)
    feed.bump(ONE)
    assert feed.concerns(0, feed.version, ONE)
    assert not feed.concerns(feed.version, feed.version, ONE)  # nothing new
    feed.bump()  # names nothing: it may concern any page
    assert feed.concerns(2, feed.version, OTHER)


def test_a_waiter_behind_what_is_remembered_hears_of_a_change() -> None:
    feed = ChangeFeed()
    for _ in range(ChangeFeed.REMEMBERED + 5):
        feed.bump(OTHER)
    assert feed.concerns(0, feed.version, ONE)  # it cannot tell: it says yes
    assert not feed.concerns(feed.version - 3, feed.version, ONE)


def test_waiting_skips_other_incidents_changes_and_wakes_for_its_own() -> None:
    async def scenario() -> tuple[tuple[int, bool], tuple[int, bool], float]:
        feed = ChangeFeed()
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, feed.bump, OTHER)
        quiet = await feed.wait(0, timeout=0.3, topic=ONE)  # only another incident changed
        loop.call_later(0.05, feed.bump, OTHER)
        loop.call_later(0.1, feed.bump, ONE)
        started = loop.time()
        woken = await feed.wait(quiet[0], timeout=5, topic=ONE)
        return quiet, woken, loop.time() - started

    quiet, woken, waited = asyncio.run(scenario())
    assert quiet == (1, False)  # timed out, and knows it has seen version 1
    assert woken == (3, True)
    assert waited < 2
