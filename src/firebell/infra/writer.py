"""Group commit: one thread applies queued submissions in shared transactions.

A caller awaits its future; it resolves only after the transaction holding its work has committed,
so an HTTP 2xx sent after `submit()` returns always describes durable data. Concurrent callers
share one commit (and one fsync) instead of paying one each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.engine import Connection, Engine

from firebell.infra.db import dedicated_writer, write_transaction
from firebell.infra.failures import report_failure, storage_failure

log = logging.getLogger("firebell.writer")

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class _Item(Generic[T, R]):
    work: T
    future: asyncio.Future[R]
    loop: asyncio.AbstractEventLoop


class WriterStopped(RuntimeError):
    pass


class GroupCommitWriter(Generic[T, R]):
    def __init__(
        self,
        engine: Engine,
        process: Callable[[Connection, list[T]], list[R]],
        *,
        max_batch: int = 512,
        on_batch: Callable[[int, int], None] | None = None,
        lock: Callable[[], contextlib.AbstractContextManager[None]] | None = None,
        precheck: Callable[[], Exception | None] | None = None,
    ) -> None:
        """`precheck`, when given, is asked before each batch; an error it returns fails the batch
        unwritten (the disk nearly full, infra/checkpoint.py)."""
        self.precheck = precheck
        self.lock = lock or contextlib.nullcontext
        self.engine = engine
        self.process = process
        self.max_batch = max_batch
        self.on_batch = on_batch
        self._queue: queue.SimpleQueue[_Item[T, R] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._running = False
        self._conn: Connection | None = None  # used only by the writer thread

    def start(self) -> None:
        if self._thread is not None:
            return
        self._running = True
        self._thread = threading.Thread(target=self._run, name="firebell-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._thread is None:
            return
        self._running = False
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._thread = None

    def depth(self) -> int:
        return self._queue.qsize()

    async def submit(self, work: T) -> R:
        if not self._running:
            raise WriterStopped("the intake writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.put(_Item(work, future, loop))
        return await future

    def _run(self) -> None:
        try:
            while True:
                try:
                    if not self._cycle():
                        return
                except Exception:  # the writer must outlive any one batch, or intake would hang
                    log.exception("intake_writer_cycle_failed")
        finally:
            self._drop_connection()

    def _cycle(self) -> bool:
        """Take what is queued and commit it; False once told to stop."""
        first = self._queue.get()
        if first is None:
            return False
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)
                break
            batch.append(item)
        self._commit(batch)
        return True

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = dedicated_writer(self.engine)
        return self._conn

    def _drop_connection(self) -> None:
        """After a failure the connection may be broken (a database restart): start afresh."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()
                conn.close()

    def _commit(self, batch: list[_Item[T, R]]) -> None:
        refused = self.precheck() if self.precheck is not None else None
        if refused is not None:
            report_failure(log, "intake_refused", refused, size=len(batch))  # now and then
            for item in batch:
                _fail(item, refused)
            return
        try:
            with self.lock(), write_transaction(self._connection()) as conn:
                results = self.process(conn, [item.work for item in batch])
        except Exception as exc:
            self._drop_connection()
            if storage_failure(exc) is not None:
                # The database is down or full for every item alike: fail them all now (each sender
                # is answered 503 or 507 and retries) rather than try each on its own.
                report_failure(log, "intake_batch_unavailable", exc, size=len(batch))  # now and then
                for item in batch:
                    _fail(item, exc)
                return
            if len(batch) == 1:
                log.exception("intake_commit_failed")
                _fail(batch[0], exc)
                return
            # One bad submission must not sink the others: retry each on its own.
            for item in batch:
                self._commit([item])
            return
        # Told first, so that a sender reading what it sent, once answered, reads it fresh.
        if self.on_batch is not None:
            try:
                self.on_batch(len(batch), self.depth())
            except Exception:
                log.exception("intake_on_batch_failed")
        # One wake-up per event loop for the whole batch, not one per caller: each is a system call
        # and a turn of the loop, and a batch answers tens of callers of the same loop.
        answers: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[R], R]]] = {}
        for item, result in zip(batch, results, strict=True):
            answers.setdefault(item.loop, []).append((item.future, result))
        for loop, pairs in answers.items():
            with contextlib.suppress(RuntimeError):  # that loop closed; nobody is waiting
                loop.call_soon_threadsafe(_set_results, pairs)


def _set_results(pairs: list[tuple[asyncio.Future[R], R]]) -> None:
    for future, result in pairs:
        if not future.done():
            future.set_result(result)


def _set_exception(future: asyncio.Future[R], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def _fail(item: _Item[T, R], exc: BaseException) -> None:
    with contextlib.suppress(RuntimeError):
        item.loop.call_soon_threadsafe(_set_exception, item.future, exc)
