"""The paging engine's two modules: escalations (page what is due) and deliveries (send, retry, log).

Both wake at their earliest due row (and poll once a second, so work another process committed is
picked up promptly). Deliveries are sent on a thread pool outside any transaction: a claim leases a
row for `lease` first, and the outcome of every attempt is written back in batches.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, Engine

from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.state import IncidentStatus
from firebell.infra.db import claim_transaction
from firebell.infra.failures import storage_failure
from firebell.kernel.clock import Clock
from firebell.kernel.ids import new_id
from firebell.oncall.notification_rules import RetryPolicy
from firebell.paging.escalation_pass import FollowUp, escalate
from firebell.paging.messages import notice_from_message
from firebell.paging.model import AttemptOutcome, DeliveryStatus, EscalationState, after_attempt, stop_reason
from firebell.paging.ports import Channel, PermanentDeliveryError, RetryableDeliveryError
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.service import Links
from firebell.paging.timer_repo import SqlTimerRepo
from firebell.paging.timers import Fired, fire

log = logging.getLogger("firebell.paging")

POLL = timedelta(seconds=1)
RETRY_FAILED = timedelta(minutes=1)  # an escalation whose paging raised is tried again after this
_STOPPED = {EscalationState.ACKNOWLEDGED.value, EscalationState.RESOLVED.value, EscalationState.REPLACED.value}


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class EscalationRunner:
    name = "escalations"

    def __init__(
        self,
        engine: Engine,
        links: Links,
        *,
        on_paged: Callable[[], None] = lambda: None,
        batch: int = 500,
        poll: timedelta = POLL,
        follow_ups: Callable[[Connection], FollowUp] | None = None,
    ) -> None:
        self.engine = engine
        self.links = links
        self.follow_ups = follow_ups
        self.on_paged = on_paged
        self.batch = batch
        self.poll = poll

    def run(self, now: datetime) -> datetime:
        # A read first: a write transaction would take SQLite's write lock from intake for nothing.
        upcoming = self._next_due()
        while upcoming is not None and upcoming <= now:
            try:
                with claim_transaction(self.engine) as conn:
                    rows = SqlPagingRepo(conn).claim_due_escalations(now, self.batch)
                    made = self._escalate(conn, rows, now)
            except Exception as exc:
                if storage_failure(exc) is not None:
                    raise  # the database is down, busy or full for all alike: the engine retries in a moment
                # One bad escalation must not hold up the others: page them one at a time.
                log.exception("escalation_batch_failed")
                rows, made = self._one_by_one(now)
            if made:
                self.on_paged()
            upcoming = self._next_due()
            if len(rows) < self.batch:
                break
        return min(upcoming, now + self.poll) if upcoming and upcoming > now else now + self.poll

    def _escalate(self, conn: Connection, rows: list[dict[str, Any]], now: datetime) -> int:
        follow_up = self.follow_ups(conn) if self.follow_ups is not None else None
        return escalate(
            SqlPagingRepo(conn),
            SqlIncidentRepo(conn),
            rows,
            now=now,
            links=self.links,
            follow_up=follow_up,
            timers=SqlTimerRepo(conn),
        )

    def _next_due(self) -> datetime | None:
        with self.engine.connect() as conn:
            return SqlPagingRepo(conn).next_escalation_due()

    def _one_by_one(self, now: datetime) -> tuple[list[dict[str, Any]], int]:
        """Page each due escalation in a transaction of its own; one that fails is retried a minute later."""
        with self.engine.connect() as conn:
            ids = [str(row["id"]) for row in SqlPagingRepo(conn).claim_due_escalations(now, self.batch)]
        made = 0
        for escalation_id in ids:
            try:
                with claim_transaction(self.engine) as conn:
                    repo = SqlPagingRepo(conn)
                    rows = [row for row in repo.claim_due_escalations(now, self.batch) if row["id"] == escalation_id]
                    made += self._escalate(conn, rows, now)
            except Exception as exc:
                if storage_failure(exc) is not None:
                    raise  # not this escalation's fault: it is not put off, the engine retries in a moment
                log.exception("escalation_failed", extra={"escalation_id": escalation_id})
                with claim_transaction(self.engine) as conn:
                    SqlPagingRepo(conn).update_escalation(escalation_id, {"next_due_at": now + RETRY_FAILED})
        return [{"id": i} for i in ids], made


@dataclass(frozen=True, slots=True)
class _Done:
    delivery_id: str
    incident_id: str | None
    what: str  # "email to Alice", for the timeline if it fails for good
    lease: datetime  # the lease this process took; the outcome is written only if it still holds
    due_at: datetime
    attempt: int
    started_at: datetime
    latency_ms: float
    error: str
    permanent: bool
    page: bool = False  # a page's notification (not a reminder or a message)


class DeliveryRunner:
    """Claims due deliveries, at most as many as it has free senders, and writes what became of them.

    Claiming no more than can start at once keeps every lease well ahead of its send; an outcome is
    written only while this process still holds the row's lease, so a row another process took over
    is never overwritten with a stale result.
    """

    name = "deliveries"

    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 200,
        workers: int = 16,
        on_done: Callable[[], None] = lambda: None,
        inline: bool = False,
        draw: Callable[[], float] = random.random,
        on_attempt: Callable[[str, str, float], None] = lambda _channel, _outcome, _seconds: None,
    ) -> None:
        self.engine = engine
        self.channels = channels
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.lease = lease
        self.batch = batch
        self.workers = workers
        self.on_done = on_done
        self.inline = inline
        self.draw = draw
        self.on_attempt = on_attempt
        self.node = node_name()
        self._done: queue.SimpleQueue[_Done] = queue.SimpleQueue()
        self._busy = 0  # sends handed to the pool and not yet finished
        self._busy_lock = threading.Lock()
        self._pool = None if inline else ThreadPoolExecutor(max_workers=workers, thread_name_prefix="firebell-send")

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
        self._record(self.clock.now())

    def _free(self) -> int:
        if self._pool is None:
            return self.batch
        with self._busy_lock:
            return max(0, min(self.batch, self.workers - self._busy))

    def run(self, now: datetime) -> datetime:
        self._record(now)
        upcoming = self._next_due()
        while upcoming is not None and upcoming <= now and (free := self._free()) > 0:
            lease = now + self.lease
            with claim_transaction(self.engine) as conn:
                repo = SqlPagingRepo(conn)
                claimed = repo.claim_deliveries(now, lease, free)
                cancelled = [row for row in claimed if _unwanted(row)]
                repo.finish_deliveries([_cancel(row, now, lease) for row in cancelled])
            wanted = [row for row in claimed if not _unwanted(row)]
            for row in wanted:
                if self._pool is None:
                    self._send(row, lease)
                else:
                    with self._busy_lock:
                        self._busy += 1
                    self._pool.submit(self._send, row, lease)
            if self._pool is None:
                self._record(now)
            upcoming = self._next_due()
            if len(claimed) < free:
                break
        return min(upcoming, now + POLL) if upcoming and upcoming > now else now + POLL

    def _next_due(self) -> datetime | None:
        with self.engine.connect() as conn:
            return SqlPagingRepo(conn).next_delivery_due()

    def _send(self, row: Mapping[str, Any], lease: datetime) -> None:
        started_at = self.clock.now()
        began = time.perf_counter()
        error, permanent = "", False
        channel = self.channels.get(str(row["channel"]))
        try:
            if channel is None:
                raise PermanentDeliveryError(f"no channel handles {row['channel']!r} addresses")
            channel.send(str(row["address"]), notice_from_message(dict(row["message"])))
        except PermanentDeliveryError as exc:
            error, permanent = str(exc) or type(exc).__name__, True
        except RetryableDeliveryError as exc:
            error = str(exc) or type(exc).__name__
        except Exception as exc:  # a channel bug must not lose the page: log it and retry
            log.exception("delivery_channel_crashed", extra={"channel": row["channel"]})
            error = f"{type(exc).__name__}: {exc}"
        latency = time.perf_counter() - began
        self.on_attempt(str(row["channel"]), "failed" if error else "sent", latency)
        attempt = int(row["attempts"]) + 1
        person = row.get("display_name") or row.get("handle") or "someone"
        what = f"{row['channel']} to {person}"
        self._done.put(
            _Done(
                str(row["id"]),
                row["incident_id"],
                what,
                lease,
                row["due_at"],
                attempt,
                started_at,
                latency * 1000,
                error,
                permanent,
                row["page_id"] is not None,
            )
        )
        if self._pool is not None:
            with self._busy_lock:
                self._busy -= 1
            self.on_done()

    def _record(self, now: datetime) -> None:
        done: list[_Done] = []
        while True:
            try:
                done.append(self._done.get_nowait())
            except queue.Empty:
                break
        if not done:
            return
        finishes, attempts, failures = [], [], []
        for item in sorted(done, key=lambda d: d.delivery_id):  # one lock order, as every writer uses
            verdict = after_attempt(
                self.retry, item.attempt, sent=not item.error, permanent=item.permanent, now=now, draw=self.draw()
            )
            if verdict.outcome is AttemptOutcome.FAILED:
                log.warning(
                    "delivery_failed",
                    extra={"delivery_id": item.delivery_id, "attempt": item.attempt, "error": item.error[:200]},
                )
                if item.incident_id:
                    failures.append(item)
            finishes.append(
                {
                    "b_id": item.delivery_id,
                    "b_lease": item.lease,
                    "b_status": verdict.status.value,
                    "b_due_at": verdict.retry_at or item.due_at,
                    "b_attempts": item.attempt,
                    "b_last_error": item.error,
                    "b_finished_at": None if verdict.status is DeliveryStatus.PENDING else now,
                }
            )
            attempts.append(
                {
                    "id": new_id(),
                    "delivery_id": item.delivery_id,
                    "attempt": item.attempt,
                    "started_at": item.started_at,
                    "latency_ms": round(item.latency_ms, 3),
                    "outcome": verdict.outcome.value,
                    "error": item.error[:2000],
                    "node": self.node,
                }
            )
        try:
            with claim_transaction(self.engine) as conn:
                repo = SqlPagingRepo(conn)
                repo.finish_deliveries(finishes)
                repo.add_attempts(attempts)
                timeline = SqlIncidentRepo(conn)
                timeline.clear_page_gaps({str(i.incident_id) for i in done if i.page and i.incident_id and not i.error})
                for item in failures:
                    if item.page and not repo.incident_reached(str(item.incident_id)):
                        timeline.flag_page_gap(str(item.incident_id), "delivery_failed")
                    message = (
                        f"Notification failed for good: {item.what}, after {item.attempt} attempt(s): {item.error}"
                    )
                    timeline.add_event(str(item.incident_id), now, "notification_failed", message[:1000])
        except Exception:
            # Keep the outcomes for the next run (well within the lease), rather than send again.
            for item in done:
                self._done.put(item)
            raise


def _unwanted(row: Mapping[str, Any]) -> bool:
    """A page notification whose escalation was acknowledged, resolved or reassigned meanwhile."""
    if row["page_id"] is None:
        return False
    if row["escalation_state"] in _STOPPED:
        return True
    status = row["incident_status"]
    return status is not None and (
        stop_reason(
            incident_open=IncidentStatus(status).is_open,
            acknowledged_at=row["acknowledged_at"],
            started_at=row["escalation_started_at"],
        )
        is not None
    )


def _cancel(row: Mapping[str, Any], now: datetime, lease: datetime) -> dict[str, Any]:
    return {
        "b_id": row["id"],
        "b_lease": lease,
        "b_status": DeliveryStatus.CANCELLED.value,
        "b_due_at": row["due_at"],
        "b_attempts": row["attempts"],
        "b_last_error": "the page was answered before this notification was due",
        "b_finished_at": now,
    }


class PagingTimers:
    """Fires the timers of unresolved escalation and acknowledgement timeouts at their due time."""

    name = "paging_timers"

    def __init__(self, engine: Engine, *, on_paged: Callable[[], None] = lambda: None, batch: int = 200) -> None:
        self.engine = engine
        self.on_paged = on_paged
        self.batch = batch

    def run(self, now: datetime) -> datetime:
        with self.engine.connect() as conn:
            upcoming = SqlTimerRepo(conn).next_due()
        if upcoming is not None and upcoming <= now:
            try:
                fired = self._fire(now, None)
            except Exception:
                # One bad timer must not hold up the others: fire them one at a time.
                log.exception("paging_timers_failed")
                fired = self._one_by_one(now)
            if any(f.state == "done" for f in fired):
                self.on_paged()  # new escalations are due now
            with self.engine.connect() as conn:
                upcoming = SqlTimerRepo(conn).next_due()
        return min(upcoming, now + POLL) if upcoming is not None and upcoming > now else now + POLL

    def _fire(self, now: datetime, only: str | None) -> list[Fired]:
        with claim_transaction(self.engine) as conn:
            timers = SqlTimerRepo(conn)
            rows = [r for r in timers.claim_due(now, self.batch) if only is None or r["id"] == only]
            return fire(timers, SqlPagingRepo(conn), SqlIncidentRepo(conn), rows, now=now)

    def _one_by_one(self, now: datetime) -> list[Fired]:
        with self.engine.connect() as conn:
            ids = [str(r["id"]) for r in SqlTimerRepo(conn).claim_due(now, self.batch)]
        fired: list[Fired] = []
        for timer_id in ids:
            try:
                fired += self._fire(now, timer_id)
            except Exception:
                log.exception("paging_timer_failed", extra={"timer_id": timer_id})
                with claim_transaction(self.engine) as conn:
                    SqlTimerRepo(conn).finish(timer_id, "failed", now)
        return fired
