"""The engine module that sends queued forwards to the old tools (see alerts/forwarding.py).

A pass claims the due forwards with a lease and hands them to a small pool of senders of its own, so
a slow or dead old tool holds up neither the engine's other modules (paging) nor intake. One
integration's forwards are sent one after the other, in the order Firebell accepted them (an alert's
create before its close); a forward that fails holds back the later ones until it is delivered or
given up. Each outcome is written while the lease is still the sender's own. The
client is the one outbound webhooks use: a timeout, no redirects, and only allowed addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from firebell.alerts.forward_repo import SqlForwardRepo
from firebell.alerts.forwarding import ForwardOutcome, after_attempt, outcome_of
from firebell.infra.db import claim_transaction
from firebell.kernel.clock import Clock
from firebell.paging.channels.guard import BlockedAddress

log = logging.getLogger("firebell.forwards")

POLL = timedelta(seconds=1)
ANSWER_KEPT = 300  # characters of an old tool's answer kept as the forward's status


def _asked_wait(response: httpx.Response) -> timedelta | None:
    asked = response.headers.get("retry-after", "").strip()
    return timedelta(seconds=min(int(asked), 3600)) if asked.isdigit() else None


def send(client: httpx.Client, row: dict[str, Any]) -> tuple[ForwardOutcome, str, timedelta | None]:
    """Send one forward: (what it means, what to show, the wait the receiver asked for)."""
    try:
        with client.stream(str(row["method"]), str(row["url"]), content=row["body"], headers=row["headers"]) as r:
            head = b""
            for chunk in r.iter_bytes():  # read a little of the answer, never all of a large one
                head += chunk
                if len(head) >= ANSWER_KEPT:
                    break
            text = head.decode("utf-8", errors="replace")[:ANSWER_KEPT]
            return outcome_of(r.status_code), f"HTTP {r.status_code} {text}".strip(), _asked_wait(r)
    except (BlockedAddress, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:  # never to be reached
        return ForwardOutcome.FAILED, f"{type(exc).__name__}: {exc}"[:ANSWER_KEPT], None
    except httpx.HTTPError as exc:
        return outcome_of(None), f"{type(exc).__name__}: {exc}"[:ANSWER_KEPT], None


class ForwardRunner:
    name = "forwards"

    def __init__(
        self,
        engine: Engine,
        client: httpx.Client,
        clock: Clock,
        *,
        senders: int = 8,
        per_integration: int = 8,
        lease: timedelta = timedelta(seconds=60),
        on_outcome: Callable[[ForwardOutcome], None] = lambda _outcome: None,
        on_done: Callable[[], None] = lambda: None,
        inline: bool = False,
    ) -> None:
        """`lease` outlasts the client's timeout, so a send in progress keeps its row; `inline` sends in
        the caller's thread (tests that drive `run` by hand)."""
        self.engine = engine
        self.client = client
        self.clock = clock
        self.per_integration = per_integration
        self.lease = lease
        self.on_outcome = on_outcome
        self.on_done = on_done
        self.inline = inline
        self.senders = senders
        self._pool: ThreadPoolExecutor | None = None

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
            self._pool = None

    def run(self, now: datetime) -> datetime:
        upcoming = self._next_due()
        if upcoming is not None and upcoming <= now:
            with claim_transaction(self.engine) as conn:
                runs = SqlForwardRepo(conn).claim(now, now + self.lease, self.per_integration)
            for rows in runs:
                if self.inline:
                    self._send_in_order(rows)
                    continue
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.senders, thread_name_prefix="firebell-forward")
                self._pool.submit(self._send_in_order, rows)
            upcoming = self._next_due()
        return min(upcoming, now + POLL) if upcoming and upcoming > now else now + POLL

    def _next_due(self) -> datetime | None:
        with self.engine.connect() as conn:
            return SqlForwardRepo(conn).next_due()

    def _send_in_order(self, rows: list[dict[str, Any]]) -> None:
        """Send one integration's forwards one after the other; the first that is not delivered
        stops the rest, which are handed back to go after it."""
        try:
            for i, row in enumerate(rows):
                if not self._attempt(row):
                    with claim_transaction(self.engine) as conn:
                        SqlForwardRepo(conn).release(rows[i + 1 :])
                    break
        except Exception:  # the leases run out and the forwards are tried again
            log.exception("forward_crashed", extra={"integration_id": rows[0]["integration_id"]})
        finally:
            if not self.inline:
                self.on_done()

    def _attempt(self, row: dict[str, Any]) -> bool:
        """Send one forward and write what became of it; whether it was delivered."""
        outcome, shown, asked = send(self.client, row)
        now = self.clock.now()
        attempts = int(row["attempts"]) + 1
        verdict = after_attempt(outcome, attempts=attempts, queued_at=row["queued_at"], now=now, asked=asked)
        with claim_transaction(self.engine) as conn:
            written = SqlForwardRepo(conn).finish(row, verdict.outcome, verdict.due_at, shown, now)
        if written:
            self.on_outcome(verdict.outcome)
        if verdict.outcome is not ForwardOutcome.SENT:
            log.warning(
                "forward_failed",
                extra={"integration_id": row["integration_id"], "outcome": verdict.outcome.value, "error": shown},
            )
        return verdict.outcome is ForwardOutcome.SENT
