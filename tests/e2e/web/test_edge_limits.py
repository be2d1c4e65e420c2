"""The server's edge: uploads refused before they are read, a body limit on every endpoint, a
deadline for a request's headers; measured on a running `firebell serve`."""

from __future__ import annotations

import os
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.conftest import REPORTS, Server, cli, last_line, start_server

MIB = 1_048_576
UPLOAD = 200 * MIB


def _serve(database_url: str, tmp_path: Path, header_timeout: float, **more: str) -> tuple[Server, Path]:
    cli(database_url, "db", "upgrade")
    spool = tmp_path / "spool"
    spool.mkdir()
    env = {"TMPDIR": str(spool), "FIREBELL_HTTP__HEADER_TIMEOUT_SECONDS": str(header_timeout), **more}
    return start_server(database_url, tmp_path / "server.log", env=env), spool


@pytest.fixture
def edge(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    running, spool = _serve(database_url, tmp_path, 10)
    try:
        yield running, spool
    finally:
        running.stop()


def _rss_kib(server: Server) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _spooled(server: Server, spool: Path) -> set[str]:
    """The server's open files in `spool` (a temporary file is unlinked at once: only its descriptor shows)."""
    found = set()
    for fd in Path(f"/proc/{server.process.pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(spool)):
            found.add(target)
    return found


def _upload(
    server: Server, path: str, kind: bytes, spool: Path, size: int = UPLOAD
) -> tuple[bytes, int, float, set[str]]:
    """Stream a `size`-byte body without credentials until the server answers; return its answer,
    how many bytes were sent, how long it took and the temporary files the server held meanwhile."""
    spooled: set[str] = set()
    port = int(server.url.rsplit(":", 1)[1])
    began = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: {kind.decode()}\r\ncontent-length: {size}\r\n\r\n"
        sock.sendall(head.encode())
        sock.setblocking(False)
        # A multipart body opens a file part, so that a server reading it would spool the rest to a file.
        prelude = b'--x\r\ncontent-disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        chunk, sent, answer = prelude if b"multipart" in kind else b"", 0, b""
        while sent < size:
            try:
                answer += sock.recv(65536)
                if answer:
                    break
            except BlockingIOError:
                pass
            try:
                sent += sock.send(chunk[: size - sent])
                chunk = b"a" * 65536
                if sent % (64 * 65536) < 65536:
                    spooled |= _spooled(server, spool)
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:  # the server closed the connection
                break
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    return answer, sent, time.perf_counter() - began, spooled | _spooled(server, spool)


@pytest.mark.parametrize(
    ("path", "kind", "refusal"),
    [
        ("/api/v1/import?format=opsgenie", b"text/csv", b" 401 "),
        ("/import", b"multipart/form-data; boundary=x", b" 303 "),
    ],
)
def test_an_unauthenticated_upload_is_refused_before_it_is_read(
    edge: tuple[Server, Path], path: str, kind: bytes, refusal: bytes
) -> None:
    server, spool = edge
    _upload(
        server, path, kind, spool, 65536
    )  # the first request's one-off costs (imports, caches) are not the upload's
    before = _rss_kib(server)
    answer, sent, took, spooled = _upload(server, path, kind, spool)
    grown = _rss_kib(server) - before
    REPORTS.append(
        f"unauthenticated {UPLOAD // MIB} MiB upload to {path.split('?')[0]}: answered in {took * 1000:.0f} ms "
        f"after {sent // 1024} KiB sent, server RSS +{grown} KiB, temporary files {len(spooled)}"
    )
    assert refusal in answer.split(b"\r\n")[0], answer[:200]
    assert sent < 32 * MIB  # the rest was never read: the connection closed
    assert took < 5
    assert grown < 4 * 1024  # before authentication came first: +200 MiB (the API) or a 200 MiB file
    assert spooled == set()  # nothing spooled to a temporary file
    assert list(spool.iterdir()) == []


def test_an_oversize_body_to_an_ordinary_endpoint_gets_413_naming_the_limit(edge: tuple[Server, Path]) -> None:
    server, _ = edge
    body = b'{"title": "' + b"x" * (2 * MIB) + b'"}'
    r = httpx.post(f"{server.url}/api/v1/incidents", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    error = r.json()["error"]
    assert error["details"] == [{"field": "body", "limit": MIB}]
    assert str(MIB) in error["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once the limit is crossed
        yield b'{"title": "'
        for _ in range(40):
            yield b"x" * 65536

    r = httpx.post(f"{server.url}/api/v1/services", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["details"] == [{"field": "body", "limit": MIB}]


HELD = 3000


def _p99(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.99) - 1]


HEADER_TIMEOUT = 30.0  # long enough to hold every connection through the measurement


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""  # an answer (none is expected yet) leaves it open too
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def test_half_open_connections_are_closed_and_intake_answers_meanwhile(database_url: str, tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < HELD + 512:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, HELD + 1024), hard))
    server, _ = _serve(database_url, tmp_path, HEADER_TIMEOUT)
    held: list[socket.socket] = []
    try:
        cli(server.database_url, "service", "create", "web")
        key = last_line(cli(server.database_url, "integration", "create", "--service", "web", "--kind", "pagerduty"))
        port = int(server.url.rsplit(":", 1)[1])
        began = time.monotonic()
        for _ in range(HELD):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /v2/enqueue HTTP/1.1\r\nhost: x\r\ncontent-type: applic")  # never finished
            held.append(sock)
        intake, health = [], []
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for n in range(300):
                event = {"routing_key": key, "event_action": "trigger", "dedup_key": f"e{n % 20}"}
                event["payload"] = {"summary": "disk full", "source": "db1", "severity": "error"}
                t = time.perf_counter()
                assert client.post("/v2/enqueue", content=orjson.dumps(event)).status_code == 202
                intake.append(time.perf_counter() - t)
                t = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                health.append(time.perf_counter() - t)
        meanwhile = time.monotonic() - began
        open_throughout = sum(_still_open(sock) for sock in held)
        # The deadline closes every half-open connection, with 408.
        closed, answers = 0, set()
        for sock in held:
            sock.settimeout(max(0.1, began + HEADER_TIMEOUT + 15 - time.monotonic()))
            try:
                data = sock.recv(4096)
            except TimeoutError:
                continue
            closed += 1
            answers.add(data.split(b"\r\n")[0])
        REPORTS.append(
            f"{HELD} half-open connections held: intake p99 {_p99(intake) * 1000:.1f} ms, /healthz p99 "
            f"{_p99(health) * 1000:.1f} ms over 300 each, {open_throughout} still held after {meanwhile:.1f} s; "
            f"{closed} closed by the {HEADER_TIMEOUT:g} s header deadline, answers {sorted(answers)}"
        )
        assert open_throughout == HELD  # the measurement ran while all were held
        assert closed == HELD
        assert answers == {b"HTTP/1.1 408 Request Timeout"}
        assert _p99(intake) < 0.5
        assert _p99(health) < 0.5
    finally:
        for sock in held:
            sock.close()
        server.stop()


def test_a_connection_over_the_cap_gets_503_at_once(tmp_path: Path) -> None:
    # The cap does not depend on the database: SQLite only.
    server, _ = _serve(f"sqlite:///{tmp_path}/cap.db", tmp_path, 10, FIREBELL_HTTP__MAX_CONNECTIONS="20")
    port = int(server.url.rsplit(":", 1)[1])
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
    try:
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as extra:
            t = time.perf_counter()
            answer = extra.recv(4096)
            took = time.perf_counter() - t
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer
        assert b"too many connections" in answer
        assert took < 1
        assert all(_still_open(sock) for sock in held)  # the ones within the cap are untouched
    finally:
        for sock in held:
            sock.close()
    try:
        time.sleep(0.5)
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # room again once they closed
    finally:
        server.stop()
