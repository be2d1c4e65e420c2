"""The one way an operator's template is rendered or checked: in a long-lived worker process.

A template is the operator's code, so it runs outside the server: in one of a few worker processes
(template_worker.py), each with its address space capped, each render on a timer, and a worker that
does not answer in time (a loop in C, a crash) killed and replaced. The server's memory and its
event loop stay out of reach: a caller waits on a socket in its own thread, and calling from the
event loop is refused. Workers start on first use and live until the container stops.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from firebell.kernel.errors import ValidationFailed

_GRACE = 1.0  # seconds past the worker's own timer before it is killed


@dataclass(frozen=True, slots=True)
class RenderLimits:
    max_output: int  # characters
    seconds: float
    memory_mb: int  # above what the worker maps after start-up


class _Worker:
    def __init__(self, limits: RenderLimits) -> None:
        ours, theirs = socket.socketpair()
        args = [str(theirs.fileno()), str(limits.max_output), str(limits.seconds), str(limits.memory_mb)]
        # Our own interpreter and module, no shell: nothing here comes from a template.
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "firebell.incidents.template_worker", *args],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            # Without Firebell's settings: no secret or database address within a template's reach.
            env={k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")},
        )
        theirs.close()
        self.conn = Connection(ours.detach())

    def ask(self, request: Mapping[str, Any], timeout: float) -> list[str] | None:
        """The worker's answer; None when it did not answer in time or died."""
        try:
            self.conn.send_bytes(json.dumps(request).encode())
            if not self.conn.poll(timeout):
                return None
            answer: list[str] = json.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            return None
        return answer

    def stop(self) -> None:
        self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class TemplateRenderer:
    """Renders and checks templates in `workers` worker processes within `limits`."""

    def __init__(self, limits: RenderLimits, workers: int) -> None:
        self.limits = limits
        # A slot per worker: a running worker, or None for one not started (or replaced).
        self._slots: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(workers):
            self._slots.put(None)
        self._workers = workers
        self._lock = threading.Lock()
        self._closed = False

    def render(self, source: str, variables: Mapping[str, Any], field: str = "body") -> str:
        """The template rendered as plain text; ValidationFailed naming `field` when it fails."""
        return self._ask({"op": "render", "source": source, "variables": dict(variables)}, field)

    def check(self, source: str, field: str = "body", sample: Mapping[str, Any] | None = None) -> None:
        """Refuse a template that does not parse (naming the line) or, given sample variables, fails."""
        variables = None if sample is None else dict(sample)
        self._ask({"op": "check", "source": source, "variables": variables}, field)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        for _ in range(self._workers):
            try:
                worker = self._slots.get(timeout=self.limits.seconds + _GRACE)
            except queue.Empty:
                return
            if worker is not None:
                worker.stop()

    def _ask(self, request: Mapping[str, Any], field: str) -> str:
        _refuse_on_event_loop()
        try:
            worker = self._slots.get(timeout=2 * (self.limits.seconds + _GRACE))
        except queue.Empty:
            raise ValidationFailed.field(field, "every template worker is busy: try again") from None
        try:
            worker = worker or self._start()
            answer = worker.ask(request, self.limits.seconds + _GRACE)
            if answer is None or answer[0] == "memory":
                dead, worker = worker, None
                dead.stop()
        finally:
            self._slots.put(worker)
        if answer is None:
            raise ValidationFailed.field(field, self._no_answer(dead))
        kind, text = answer
        if kind != "ok":
            raise ValidationFailed.field(field, text)
        return text

    def _start(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("the template renderer is closed")
            return _Worker(self.limits)

    def _no_answer(self, worker: _Worker) -> str:
        if worker.process.returncode not in (None, -9):  # it died on its own: out of memory
            return f"the template exceeded {self.limits.memory_mb} MiB of memory"
        return f"the template exceeded {self.limits.seconds:g} s"


def _refuse_on_event_loop() -> None:
    """A render waits for a worker: on the event loop that would stall every request and alert."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError("templates render off the event loop: call the renderer from a thread")
