"""The worker process templates render in: `python -m firebell.incidents.template_worker FD ...`.

It answers render and check requests (JSON, over the socket FD) one at a time, each within a
timer, with its address space capped (RLIMIT_AS) so a template that gets past the sandbox's
checks runs out of memory here, not in the server. It imports only the sandbox and the stdlib.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from firebell.incidents.sandbox import Sandbox, TemplateLimit, parse_error, render_text

# Answers: ("ok", text), ("invalid", message: the template's own fault), ("limit", message), and
# ("memory", message), after which the worker leaves (the parent starts a new one).


def _address_space() -> int:
    """The bytes this process maps now (its interpreter and Jinja2), from /proc."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _cap_memory(memory_mb: int) -> None:
    """Allow the worker `memory_mb` more than it maps after start-up, and no more."""
    limit = _address_space() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _run(env: Sandbox, request: dict[str, Any]) -> list[str]:
    source = str(request["source"])
    problem = parse_error(env, source)
    if problem is not None:
        prefix = "" if request["op"] == "check" else "the template does not parse: "
        return ["invalid", prefix + problem]
    if request.get("variables") is None:
        return ["ok", ""]
    try:
        return ["ok", render_text(env, source, request["variables"])]
    except (TemplateLimit, MemoryError):
        raise
    except Exception as exc:  # an edited template may fail in any way: say so
        return ["invalid", f"the template failed: {type(exc).__name__}: {exc}"]


def answer(env: Sandbox, request: dict[str, Any], seconds: float, memory_mb: int) -> list[str]:
    """The answer to one request, the timer running while the template does."""
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return _run(env, request)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except TemplateLimit as exc:
        return ["limit", str(exc)]
    except MemoryError:
        return ["memory", f"the template exceeded {memory_mb} MiB of memory"]


def serve(conn: Connection, max_output: int, seconds: float, memory_mb: int) -> None:
    env = Sandbox(max_output)

    def out_of_time(_signum: int, _frame: FrameType | None) -> None:
        raise TemplateLimit(f"the template exceeded {seconds:g} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the server: the server stops its workers
    _cap_memory(memory_mb)
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except EOFError:
            return
        reply = answer(env, request, seconds, memory_mb)
        conn.send_bytes(json.dumps(reply).encode())
        if reply[0] == "memory":
            return


if __name__ == "__main__":
    fd, max_output, seconds, memory_mb = sys.argv[1:5]
    serve(Connection(int(fd)), int(max_output), float(seconds), int(memory_mb))
