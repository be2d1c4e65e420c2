"""Firebell's reference clock (infra/clock.py) and the engine's pause after a failed pass, on fake time
sources: a wall clock and a monotonic clock the test moves, and a reference it sets."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from firebell.infra.clock import ClockSync, ReferenceClock
from firebell.infra.engine import Engine
from firebell.kernel.clock import ManualClock

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Times:
    """The node's wall clock, its monotonic clock and the reference, moved by the test."""

    def __init__(self, wall_ahead: float = 0.0) -> None:
        self.elapsed = 0.0
        self.wall_ahead = wall_ahead
        self.reference_off = 0.0
        self.down = False

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed

    def wall(self) -> datetime:
        return START + timedelta(seconds=self.elapsed + self.wall_ahead)

    def read(self) -> datetime:
        if self.down:
            raise sa.exc.OperationalError("SELECT clock_timestamp()", {}, sqlite3.OperationalError("unable to open"))
        return START + timedelta(seconds=self.elapsed + self.reference_off)


def _shared(times: Times) -> ReferenceClock:
    clock = ReferenceClock(
        times.read, reference="the database", follow=True, monotonic=times.monotonic, wall=times.wall
    )
    clock.sync()
    return clock


def _host(times: Times) -> ReferenceClock:
    clock = ReferenceClock(times.wall, reference="the host", follow=False, monotonic=times.monotonic, wall=times.wall)
    clock.sync()
    return clock


def test_a_node_ahead_of_the_database_keeps_the_databases_time_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    times = Times(wall_ahead=90)
    with caplog.at_level(logging.WARNING, "firebell.clock"):
        clock = _shared(times)
        assert clock.now() == START
        for _ in range(5):
            times.elapsed += 5
            clock.sync()
        assert clock.now() == START + timedelta(seconds=25)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert "+90.0 s off the database" in lines[0]


def test_between_readings_the_clock_advances_by_elapsed_time_even_when_the_node_clock_steps() -> None:
    times = Times()
    clock = _shared(times)
    times.wall_ahead = -3600  # stepped back an hour: the reference and elapsed time are unmoved
    times.elapsed = 2.5
    assert clock.now() == START + timedelta(seconds=2.5)


def test_a_reading_that_fails_leaves_the_clock_running_on_elapsed_time() -> None:
    times = Times()
    clock = _shared(times)
    times.down = True
    times.elapsed = 12
    assert clock.sync() is False
    assert clock.now() == START + timedelta(seconds=12)
    assert ClockSync(clock).run(clock.now()) == clock.now() + timedelta(seconds=1)  # read again soon
    times.down = False
    assert ClockSync(clock).run(clock.now()) == clock.now() + timedelta(seconds=5)


def test_the_shared_reference_is_followed_but_never_back_by_less_than_a_second() -> None:
    times = Times()
    clock = _shared(times)
    times.elapsed = 10
    before = clock.now()
    times.reference_off = -0.3  # a reading a little behind the estimate
    clock.sync()
    assert clock.now() == before  # held still, not moved back
    times.elapsed = 10.5
    assert clock.now() == START + timedelta(seconds=10.2)
    times.reference_off = 120  # the database server's own clock stepped: every node follows it
    clock.sync()
    assert clock.now() == START + timedelta(seconds=130.5)


def test_on_one_host_a_step_of_the_host_clock_is_logged_once_and_elapsed_time_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    times = Times()
    clock = _host(times)
    with caplog.at_level(logging.WARNING, "firebell.clock"):
        times.elapsed = 30
        times.wall_ahead = -3600
        for _ in range(3):
            times.elapsed += 5
            clock.sync()
            assert clock.now() == START + timedelta(seconds=times.elapsed)
        times.wall_ahead = 0  # put right again
        clock.sync()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "-3600.0 s off the time elapsed" in lines[0]
    assert "+0.0 s off" in lines[1]


class Flaky:
    name = "flaky"

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.fail = True
        self.runs = 0

    def run(self, now: datetime) -> datetime:
        self.runs += 1
        if self.fail:
            raise self.error
        return now + timedelta(minutes=1)


def _database_down(tmp_path: Path) -> Exception:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        return exc
    raise AssertionError("connecting to a database in a missing folder succeeded")


def test_the_engine_retries_a_module_within_a_second_while_the_database_is_down_and_logs_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(START)
    module = Flaky(_database_down(tmp_path))
    engine = Engine([module], clock)
    pauses = []
    with caplog.at_level(logging.WARNING, "firebell.engine"):
        for _ in range(6):
            due = engine.tick()
            pauses.append((due - clock.now()).total_seconds())
            clock.set(due)
        module.fail = False
        engine.tick()
        module.fail = True
        clock.advance(timedelta(minutes=1))
        after_success = (engine.tick() - clock.now()).total_seconds()
    assert pauses == [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    assert after_success == 0.2
    assert module.runs == 8
    assert len(caplog.records) == 1  # the same failure again within seconds is not logged again
    assert caplog.records[0].exc_info is None  # a storage failure: a line, not a traceback
    assert "engine_module_failed: the database is unavailable" in caplog.records[0].getMessage()


def test_a_module_that_fails_for_another_reason_logs_its_traceback_and_waits_longer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(START)
    engine = Engine([Flaky(KeyError("bug"))], clock)
    pauses = []
    with caplog.at_level(logging.ERROR, "firebell.engine"):
        for _ in range(10):
            due = engine.tick()
            pauses.append((due - clock.now()).total_seconds())
            clock.set(due)
    assert pauses[:3] == [0.2, 0.4, 0.8]
    assert pauses[-1] == 30
    assert len(caplog.records) == 10
    assert all(r.exc_info is not None for r in caplog.records)


def test_a_reading_that_took_long_is_set_aside() -> None:
    times = Times()
    clock = _shared(times)
    slow_read = times.read

    def slow() -> datetime:
        times.elapsed += 0.4  # the query waited for a connection, then read the clock at its end
        return slow_read()

    clock.read = slow
    assert clock.sync() is False
    assert clock.now() == START + timedelta(seconds=0.4)  # not moved 0.2 s ahead by the reading
