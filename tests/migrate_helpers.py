"""What the tests of `firebell migrate` share: running the command, and asking who is on call."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

from tests.conftest import FIREBELL, Server, cli, last_line

Expected = Mapping[str, Mapping[str, str | None]]  # schedule -> instant -> handle (None: nobody)


def run_migrate(
    vendor: str, secret_env: str, *args: str, secret: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`firebell migrate <vendor> ARGS`, with the vendor's secret in the environment only if given."""
    env = {k: v for k, v in os.environ.items() if k != secret_env}
    if secret is not None:
        env[secret_env] = secret
    return subprocess.run(
        [str(FIREBELL), "migrate", vendor, *args], env=env, capture_output=True, text=True, timeout=120
    )


def on_call(server: Server, token: str, expected: Expected) -> dict[tuple[str, str], str | None]:
    """Who the server says is on call at each of `expected`'s instants, keyed like `flat(expected)`."""
    seen = {}
    with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {token}"}) as api:
        for schedule, instants in expected.items():
            for at in instants:
                found = api.get(f"/api/v1/schedules/{schedule}/oncall", params={"at": at})
                assert found.status_code == 200, found.text
                seen[(schedule, at)] = found.json()["handle"]
    return seen


def written_report(result: subprocess.CompletedProcess[str], out: Path, report_file: Path, summary: str) -> str:
    """The report of a run that wrote `out`: it succeeded, said what it wrote, and printed the report."""
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}: {summary}")
    text = report_file.read_text()
    assert text in result.stdout
    return text


def planned(result: subprocess.CompletedProcess[str], out: Path) -> str:
    """What a `--dry-run` printed: it succeeded and wrote nothing."""
    assert result.returncode == 0, result.stderr
    assert not out.exists()
    return result.stdout


def applied_creating(server: Server, out: Path, services: list[str]) -> str:
    """`firebell apply -f out` on a Firebell without `services`: what the apply printed, which names each
    service as created; applying again changes nothing."""
    applied = cli(server.database_url, "apply", "-f", str(out))
    for name in services:
        assert f"created service {name}" in applied.stdout
    assert last_line(cli(server.database_url, "apply", "-f", str(out))) == "nothing to change"
    return applied.stdout


def flat(expected: Expected) -> dict[tuple[str, str], str | None]:
    return {(schedule, at): who for schedule, instants in expected.items() for at, who in instants.items()}


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command printed (it must exit 1 and print one line)."""
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A loopback HTTP server for `handler` in a thread, for the duration; gives its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


Answer = tuple[int, Any, Mapping[str, str]]  # status, JSON body, headers


def json_handler(
    requests: list[str], respond: Callable[[BaseHTTPRequestHandler, SplitResult], Answer]
) -> type[BaseHTTPRequestHandler]:
    """A handler answering every GET with `respond(request, its split URL)` as JSON, keeping each
    request's path and query in `requests`."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            requests.append(self.path)
            status, body, headers = respond(self, split)
            reply(self, status, json.dumps(body).encode(), "application/json", headers)

    return Handler


def reply(
    handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str, headers: Mapping[str, str]
) -> None:
    """Answer a stand-in's request: the status, the vendor's headers, the JSON body."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(payload)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload)


def landed(server: Server) -> list[tuple[str, str, str]]:
    """(service, summary, disposition) of every alert stored, oldest first."""
    import sqlalchemy as sa

    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            query = (
                "select s.name, a.summary, a.disposition from alerts a join services s on s.id = a.service_id "
                "order by a.first_seen_at, a.summary"
            )
            return [(str(r[0]), str(r[1]), str(r[2])) for r in conn.execute(sa.text(query))]
    finally:
        engine.dispose()


def maintenance_windows(server: Server) -> list[tuple[str, str]]:
    """(service, reason) of every maintenance window stored."""
    import sqlalchemy as sa

    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            query = "select s.name, m.reason from maintenance_windows m join services s on s.id = m.service_id"
            return sorted((str(r[0]), str(r[1])) for r in conn.execute(sa.text(query)))
    finally:
        engine.dispose()
