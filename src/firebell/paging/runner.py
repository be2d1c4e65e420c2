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
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

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
from firebell.paging.model import (
    AttemptOutcome,
    DeliveryStatus,
    EscalationState,
    after_attempt,
    retry_after,
    stop_reason,
)
from firebell.paging.ports import Channel, PermanentDeliveryError, RetryableDeliveryError
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.service import Links, record_unsent_levels
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
        on_changed: Callable[[], None] = lambda: None,
        batch: int = 500,
        poll: timedelta = POLL,
        follow_ups: Callable[[Connection], FollowUp] | None = None,
    ) -> None:
        """`on_paged`: pages were queued; `on_changed`: escalations moved without paging (a page held
        for working hours, a level skipped, an escalation ended), which their incidents' pages show."""
        self.engine = engine
        self.links = links
        self.follow_ups = follow_ups
        self.on_paged = on_paged
        self.on_changed = on_changed
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
            elif rows:
                self.on_changed()
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
    retry_after: str = ""  # the receiver's Retry-After, when it asked for a wait


@dataclass(frozen=True, slots=True)
class SendLimits:
    """How many notifications one process sends at once: per channel kind (each kind has senders of
    its own, so a dead SMTP relay cannot hold up a webhook), and per destination within a kind (one
    webhook host, one Slack webhook host; the SMTP relay, Slack's API and the SMS gateway are each
    one destination), so one slow receiver cannot take every sender of its kind."""

    per_channel: int = 32
    per_destination: int = 16


# Channels whose address is a URL of its own destination; every other channel sends to one server.
_URL_CHANNELS = frozenset({"webhook", "slack"})


def destination(channel: str, address: str) -> str:
    """Where a notification goes, as the per-destination cap counts it: `scheme://host[:port]` in lower
    case for a webhook or Slack webhook URL, otherwise the channel's one server (its name)."""
    if channel in _URL_CHANNELS:
        try:
            parts = urlsplit(address.strip())
        except ValueError:
            return channel
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}".lower()
    return channel


class DeliveryRunner:
    """Claims due deliveries, only as many as it has free senders for, and writes what became of them.

    Every channel kind sends on a pool of its own, and sends to one destination are capped, so a
    receiver that hangs holds up only its own notifications. A claim takes only rows of channels and
    destinations with a free sender and hands back at once any it cannot start, so a lease never runs
    out in a queue. Leases are short and renewed every quarter of their length while the send is in
    progress: a process that dies mid-send hands its rows on within one lease. An outcome is written
    only while this process still holds the row's lease, so a row another process took over is never
    overwritten with a stale result.
    """

    name = "deliveries"

    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=8),
        batch: int = 200,
        limits: SendLimits | None = None,
        on_done: Callable[[], None] = lambda: None,
        inline: bool = False,
        draw: Callable[[], float] = random.random,
        on_attempt: Callable[[str, str, float], None] = lambda _channel, _outcome, _seconds: None,
        on_recorded: Callable[[set[str]], None] = lambda _incident_ids: None,
    ) -> None:
        """`on_recorded(incident_ids)`: outcomes were written for these incidents' notifications
        (their pages show who was reached)."""
        self.engine = engine
        self.on_recorded = on_recorded
        self.channels = channels
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.lease = lease
        self.batch = batch
        self.limits = limits or SendLimits()
        self.on_done = on_done
        self.inline = inline
        self.draw = draw
        self.on_attempt = on_attempt
        self.node = node_name()
        self._done: queue.SimpleQueue[_Done] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the counts of sends in progress
        self._by_channel: Counter[str] = Counter()
        self._by_destination: Counter[str] = Counter()
        self._pools: dict[str, ThreadPoolExecutor] = {}
        # The rows this process holds and the lease it holds each with; renewed, and read when the
        # outcome is written. The lock also keeps a renewal and an outcome from crossing.
        self._held: dict[str, datetime] = {}
        self._held_lock = threading.Lock()
        self._stopping = threading.Event()
        self._renewer: threading.Thread | None = None

    def stop(self) -> None:
        self._stopping.set()
        for pool in list(self._pools.values()):
            pool.shutdown(wait=True, cancel_futures=False)
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        self._record(self.clock.now())

    # --- capacity ---------------------------------------------------------------------------------

    def _full(self) -> tuple[set[str], set[str], int]:
        """The channels and URL destinations with no free sender, and how many sends may start."""
        limits = self.limits
        with self._lock:
            full_destinations = {d for d, n in self._by_destination.items() if n >= limits.per_destination}
            full_channels, free = set(), 0
            for channel in self.channels:
                room = limits.per_channel - self._by_channel[channel]
                if channel not in _URL_CHANNELS:
                    room = min(room, limits.per_destination - self._by_destination[channel])
                if room <= 0:
                    full_channels.add(channel)
                free += max(0, room)
        return full_channels, {d for d in full_destinations if "://" in d}, min(self.batch, free)

    def _admit(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Take a sender for each row that can start now (in order, while there are free ones)."""
        startable = []
        limits = self.limits
        with self._lock:
            for row in rows:
                channel = str(row["channel"])
                where = destination(channel, str(row["address"]))
                if self._by_channel[channel] < limits.per_channel and self._by_destination[where] < (
                    limits.per_destination
                ):
                    self._by_channel[channel] += 1
                    self._by_destination[where] += 1
                    startable.append(row)
        return startable

    def _release(self, row: Mapping[str, Any]) -> None:
        channel = str(row["channel"])
        where = destination(channel, str(row["address"]))
        with self._lock:
            self._by_channel[channel] -= 1
            self._by_destination[where] -= 1
            if self._by_channel[channel] <= 0:
                del self._by_channel[channel]
            if self._by_destination[where] <= 0:
                del self._by_destination[where]

    def _pool(self, channel: str) -> ThreadPoolExecutor:
        pool = self._pools.get(channel)
        if pool is None:
            name = "".join(c if c.isalnum() else "-" for c in channel)[:20]
            pool = ThreadPoolExecutor(max_workers=self.limits.per_channel, thread_name_prefix=f"firebell-{name}")
            self._pools[channel] = pool
        return pool

    # --- one pass -----------------------------------------------------------------------------------

    def run(self, now: datetime) -> datetime:
        self._record(now)
        upcoming = self._next_due()
        while upcoming is not None and upcoming <= now:
            if self.inline:
                full_channels: set[str] = set()
                full_destinations: set[str] = set()
                free = self.batch
            else:
                full_channels, full_destinations, free = self._full()
            if free <= 0:
                break
            lease = now + self.lease
            # Look at more rows than there are free senders: some may go to a destination that is busy.
            look = free if self.inline else min(self.batch, free * 4)
            picked: list[dict[str, Any]] = []
            claimed: list[dict[str, Any]] = []
            try:
                with claim_transaction(self.engine) as conn:
                    repo = SqlPagingRepo(conn)
                    due = repo.due_deliveries(now, look, skip_channels=full_channels, skip_prefixes=full_destinations)
                    picked = due[:free] if self.inline else self._admit(due)
                    claimed = repo.lease_deliveries([str(row["id"]) for row in picked], now, lease)
                    cancelled = [row for row in claimed if _unwanted(row)]
                    repo.finish_deliveries([_cancel(row, now, lease) for row in cancelled])
                    if cancelled:
                        steps = repo.steps_never_sent({str(row["page_id"]) for row in cancelled})
                        record_unsent_levels(SqlIncidentRepo(conn), steps, now, "the page was answered meanwhile")
            except Exception:
                if not self.inline:
                    for row in picked:
                        self._release(row)
                raise
            wanted = [row for row in claimed if not _unwanted(row)]
            if not self.inline:
                starting = {str(row["id"]) for row in wanted}
                for row in picked:
                    if str(row["id"]) not in starting:
                        self._release(row)  # taken by another process meanwhile, or cancelled
            with self._held_lock:
                for row in wanted:
                    self._held[str(row["id"])] = lease
            for row in wanted:
                if self.inline:
                    self._send(row, lease)
                else:
                    self._start_renewing()
                    self._pool(str(row["channel"])).submit(self._send, row, lease)
            if self.inline:
                self._record(now)
            upcoming = self._next_due()
            if not picked or len(due) < look:
                break
        return min(upcoming, now + POLL) if upcoming and upcoming > now else now + POLL

    def _next_due(self) -> datetime | None:
        with self.engine.connect() as conn:
            return SqlPagingRepo(conn).next_delivery_due()

    def _send(self, row: Mapping[str, Any], lease: datetime) -> None:
        try:
            self._attempt(row, lease)
        finally:
            if not self.inline:
                self._release(row)
                self.on_done()

    def _attempt(self, row: Mapping[str, Any], lease: datetime) -> None:
        started_at = self.clock.now()
        began = time.perf_counter()
        error, permanent, asked = "", False, ""
        channel = self.channels.get(str(row["channel"]))
        try:
            if channel is None:
                raise PermanentDeliveryError(f"no channel handles {row['channel']!r} addresses")
            channel.send(str(row["address"]), notice_from_message(dict(row["message"])))
        except PermanentDeliveryError as exc:
            error, permanent = str(exc) or type(exc).__name__, True
        except RetryableDeliveryError as exc:
            error, asked = str(exc) or type(exc).__name__, exc.retry_after
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
                asked,
            )
        )

    # --- leases ------------------------------------------------------------------------------------

    def _start_renewing(self) -> None:
        if self._renewer is None:
            self._renewer = threading.Thread(target=self._renew_loop, name="firebell-leases", daemon=True)
            self._renewer.start()

    def _renew_loop(self) -> None:
        every = max(0.2, self.lease.total_seconds() / 4)
        while not self._stopping.wait(every):
            try:
                self.renew(self.clock.now())
            except Exception:  # the next renewal tries again, well within the lease
                log.exception("delivery_lease_renewal_failed")

    def renew(self, now: datetime) -> int:
        """Extend the lease of every row this process is sending (or has sent and not yet written
        back) to `now + lease`; how many it holds."""
        with self._held_lock:
            if not self._held:
                return 0
            until = now + self.lease
            rows = [{"b_id": i, "b_lease": held, "b_until": until} for i, held in sorted(self._held.items())]
            with claim_transaction(self.engine) as conn:
                SqlPagingRepo(conn).renew_leases(rows)
            for delivery_id in self._held:
                self._held[delivery_id] = until
            return len(rows)

    # --- outcomes ----------------------------------------------------------------------------------

    def _record(self, now: datetime) -> None:
        done: list[_Done] = []
        while True:
            try:
                done.append(self._done.get_nowait())
            except queue.Empty:
                break
        if not done:
            return
        with self._held_lock:
            try:
                self._write(done, now)
            except Exception:
                # Keep the outcomes for the next run (their leases are renewed meanwhile) rather than send again.
                for item in done:
                    self._done.put(item)
                raise
            for item in done:
                self._held.pop(item.delivery_id, None)
        self.on_recorded({item.incident_id for item in done if item.incident_id})

    def _write(self, done: list[_Done], now: datetime) -> None:
        finishes, attempts, failures = [], [], []
        for item in sorted(done, key=lambda d: d.delivery_id):  # one lock order, as every writer uses
            asked = retry_after(item.retry_after, now) if item.retry_after else None
            verdict = after_attempt(
                self.retry,
                item.attempt,
                sent=not item.error,
                permanent=item.permanent,
                now=now,
                draw=self.draw(),
                asked_wait=asked,
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
                    "b_lease": self._held.get(item.delivery_id, item.lease),
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
        with claim_transaction(self.engine) as conn:
            repo = SqlPagingRepo(conn)
            repo.finish_deliveries(finishes)
            repo.add_attempts(attempts)
            timeline = SqlIncidentRepo(conn)
            timeline.clear_page_gaps({str(i.incident_id) for i in done if i.page and i.incident_id and not i.error})
            for item in failures:
                if item.page and not repo.incident_reached(str(item.incident_id)):
                    timeline.flag_page_gap(str(item.incident_id), "delivery_failed")
                message = f"Notification failed for good: {item.what}, after {item.attempt} attempt(s): {item.error}"
                timeline.add_event(str(item.incident_id), now, "notification_failed", message[:1000])


def sends_finished(container: Any, incident_id: str) -> bool:
    """After a person answered the incident's page (the transaction committed): wait for the pages
    already being sent, as the settings allow; see `wait_for_sends`."""
    wait = timedelta(seconds=container.settings.notify.ack_wait_seconds)
    return wait_for_sends(container.engine, container.clock, incident_id, wait)


def wait_for_sends(engine: Engine, clock: Clock, incident_id: str, timeout: timedelta) -> bool:
    """Wait (at most `timeout`) until no page notification of the incident is being sent: called
    after an acknowledgement committed, so its answer comes after every page that passed the gate
    before it. False when the wait ran out (a sender that hangs, or died holding its lease)."""
    deadline = time.monotonic() + timeout.total_seconds()
    pause = 0.005
    while True:
        with engine.connect() as conn:
            busy = SqlPagingRepo(conn).sends_in_flight(incident_id, clock.now())
        if not busy:
            return True
        if time.monotonic() >= deadline:
            log.warning("acknowledged_with_sends_in_flight", extra={"incident_id": incident_id, "sends": busy})
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


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
