"""Stand-ins for the tools a team leaves, answering as their published API references describe.

PagerDuty Events API v2 (POST /v2/enqueue): 202 with `{status: "success", message: "Event
processed", dedup_key}`; 429 when events arrive too fast; 5xx when PagerDuty itself fails.
Opsgenie Alert API (POST /v2/alerts, /v2/alerts/{identifier}/acknowledge and /close, with
`Authorization: GenieKey <key>`): 202 with `{result: "Request will be processed", took, requestId}`;
429 when rate limited. Each stand-in can be told how to answer the next requests (500, 429, ...),
and keeps every request it got, answered or not.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the stand-in answered


@dataclass
class OldTool:
    vendor: str  # "pagerduty" or "opsgenie"
    port: int
    next_statuses: list[int] = field(default_factory=list)  # answers for the next requests, then 202
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, status: int) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.status == status]

    def reply(self, status: int, body: bytes) -> dict[str, Any]:
        if self.vendor == "pagerduty":
            if status == 202:
                return {"status": "success", "message": "Event processed", "dedup_key": json.loads(body)["dedup_key"]}
            if status == 429:
                return {"status": "throttle event", "message": "Requests for this service are arriving too quickly."}
            return {"status": "error", "message": "Internal error"}
        took = 0.01
        if status == 202:
            return {"result": "Request will be processed", "took": took, "requestId": str(uuid.uuid4())}
        return {"message": "Too many requests" if status == 429 else "Internal error", "took": took}


@contextmanager
def old_tool(vendor: str, port: int) -> Iterator[OldTool]:
    """The stand-in listening on 127.0.0.1:`port` until the block ends."""
    tool = OldTool(vendor, port)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with tool.lock:
                status = tool.next_statuses.pop(0) if tool.next_statuses else 202
                headers = {k.lower(): v for k, v in self.headers.items()}
                tool.requests.append(Request("POST", self.path, headers, body, status))
            answer = json.dumps(tool.reply(status, body)).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tool
    finally:
        server.shutdown()
        server.server_close()


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
