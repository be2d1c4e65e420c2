"""Benchmark of durable alert ingest: Firebell (SQLite, PostgreSQL) against Prometheus Alertmanager.

Runs wrk against each target for each scenario and concurrency, prints a markdown table and writes
the full results as JSON to bench/results/. See bench/README.md for what is measured and why.

    .venv/bin/python bench/ingest.py                  # full run (several minutes)
    .venv/bin/python bench/ingest.py --quick          # 3-second, single-repeat smoke run
    .venv/bin/python bench/ingest.py --only sqlite,alertmanager --duration 20 --repeats 5
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = ("sqlite", "postgres", "alertmanager")
TARGET_NAMES = {"sqlite": "Firebell SQLite", "postgres": "Firebell PostgreSQL", "alertmanager": "Alertmanager"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- scenarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    alerts_per_request: int
    # How Firebell receives it: "alertmanager" (webhook v4) or "pagerduty" (Events v2).
    firebell_api: str
    # Whether Alertmanager runs it too; else the ratio compares with Alertmanager's `compare_with`.
    alertmanager: bool
    compare_with: str
    description: str


SCENARIOS = {
    "single": Scenario(
        "single",
        1,
        "alertmanager",
        True,
        "single",
        "one alert per request (Firebell: Alertmanager webhook with one alert; Alertmanager: a one-alert list)",
    ),
    "batch100": Scenario(
        "batch100",
        100,
        "alertmanager",
        True,
        "batch100",
        "100 alerts per request (Firebell: Alertmanager webhook with 100 alerts; Alertmanager: a 100-alert list)",
    ),
    "single-pd": Scenario(
        "single-pd",
        1,
        "pagerduty",
        False,
        "single",
        "one PagerDuty Events v2 trigger per request (Firebell only; compared with Alertmanager 'single')",
    ),
}


# --- wrk scripts -------------------------------------------------------------------------------

# Every alert gets a key made of a run prefix, the wrk thread number and a per-thread counter, so
# every alert sent in the whole benchmark is new and is inserted (never deduplicated).
LUA_COMMON = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local function next_id()
  counter = counter + 1
  return PREFIX .. "-" .. tid .. "-" .. counter
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
"""

LUA_FIREBELL_AM = r"""
local ALERT = '{"status":"firing","labels":{"alertname":"BenchAlert","instance":"%s","job":"bench",'
  .. '"severity":"critical"},"annotations":{"summary":"Bench alert %s is firing"},'
  .. '"startsAt":"STARTS","endsAt":"0001-01-01T00:00:00Z",'
  .. '"generatorURL":"http://prometheus.bench/graph?g0.expr=up","fingerprint":"%s"}'
local HEAD = '{"version":"4","groupKey":"{}:{alertname=\\"BenchAlert\\"}","status":"firing",'
  .. '"receiver":"firebell","groupLabels":{"alertname":"BenchAlert"},'
  .. '"commonLabels":{"alertname":"BenchAlert","job":"bench","severity":"critical"},'
  .. '"commonAnnotations":{},"externalURL":"http://alertmanager.bench","alerts":['
function request()
  local parts = {}
  for i = 1, N do
    local id = next_id()
    parts[i] = string.format(ALERT, id, id, id)
  end
  return wrk.format(nil, PATH, nil, HEAD .. table.concat(parts, ",") .. "]}")
end
"""

LUA_FIREBELL_PD = r"""
local EVENT = '{"routing_key":"ROUTING_KEY","event_action":"trigger","dedup_key":"%s",'
  .. '"payload":{"summary":"Bench alert %s is firing","source":"bench-host","severity":"critical",'
  .. '"component":"bench"}}'
function request()
  local id = next_id()
  return wrk.format(nil, PATH, nil, string.format(EVENT, id, id))
end
"""

LUA_ALERTMANAGER = r"""
local ALERT = '{"labels":{"alertname":"BenchAlert","instance":"%s","job":"bench","severity":"critical"},'
  .. '"annotations":{"summary":"Bench alert %s is firing"},"startsAt":"STARTS",'
  .. '"generatorURL":"http://prometheus.bench/graph?g0.expr=up"}'
function request()
  local parts = {}
  for i = 1, N do
    local id = next_id()
    parts[i] = string.format(ALERT, id, id)
  end
  return wrk.format(nil, PATH, nil, "[" .. table.concat(parts, ",") .. "]")
end
"""


def lua_script(kind: str, *, path: str, n: int, prefix: str, starts: str, routing_key: str = "") -> str:
    body = {"firebell-am": LUA_FIREBELL_AM, "firebell-pd": LUA_FIREBELL_PD, "alertmanager": LUA_ALERTMANAGER}[kind]
    header = f'local PREFIX = "{prefix}"\nlocal PATH = "{path}"\nlocal N = {n}\n'
    return (header + LUA_COMMON + body).replace("STARTS", starts).replace("ROUTING_KEY", routing_key)


# --- wrk output --------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_s: float
    non_2xx: int
    socket_errors: dict[str, int]
    # None when no request completed (wrk then prints zeros).
    p50_ms: float | None
    p75_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx


def parse_wrk(output: str) -> WrkResult:
    def grab(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match

    pct = {p: _ms(grab(rf"^\s+{p}%\s+(\S+)").group(1)) for p in (50, 75, 90, 99)}
    done = grab(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m|h)")
    non = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True)) if sock else {}
    requests = int(done.group(1))
    latency = requests > 0
    return WrkResult(
        requests=requests,
        seconds=_ms(done.group(2) + done.group(3)) / 1000.0,
        requests_per_s=float(grab(r"^Requests/sec:\s+([\d.]+)").group(1)),
        non_2xx=int(non.group(1)) if non else 0,
        socket_errors=errors,
        p50_ms=pct[50] if latency else None,
        p75_ms=pct[75] if latency else None,
        p90_ms=pct[90] if latency else None,
        p99_ms=pct[99] if latency else None,
        max_ms=_ms(grab(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)").group(1)) if latency else None,
    )


# --- steady rate (open loop) ------------------------------------------------------------------
#
# wrk is a closed-loop generator: a connection sends its next request only once the last one is
# answered, so a slow server slows the load down and its queueing hides from the latency figures.
# With --rate the requests are sent on a fixed schedule instead (request i at start + i / rate),
# whatever the server does, and each latency runs from the request's *scheduled* send time to the
# end of its answer: a server (or a generator) that falls behind shows it in full. Requests go over
# keep-alive HTTP/1.1 connections written by hand on asyncio streams, as many at once as are in
# flight, up to --concurrency (then a request waits for a connection; its wait counts too).

Body = Callable[[int], bytes]


def _am_alert(key: str, starts: str, *, webhook: bool) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": {"alertname": "BenchAlert", "instance": key, "job": "bench", "severity": "critical"},
        "annotations": {"summary": f"Bench alert {key} is firing"},
        "startsAt": starts,
        "generatorURL": "http://prometheus.bench/graph?g0.expr=up",
    }
    if webhook:
        alert.update({"status": "firing", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": key})
    return alert


def firebell_am_body(prefix: str, n: int, starts: str) -> Body:
    """The same Alertmanager webhook as the wrk script sends, for request number i."""

    def body(i: int) -> bytes:
        alerts = [_am_alert(f"{prefix}-{i}-{j}", starts, webhook=True) for j in range(n)]
        return json.dumps(
            {
                "version": "4",
                "groupKey": '{}:{alertname="BenchAlert"}',
                "status": "firing",
                "receiver": "firebell",
                "groupLabels": {"alertname": "BenchAlert"},
                "commonLabels": {"alertname": "BenchAlert", "job": "bench", "severity": "critical"},
                "commonAnnotations": {},
                "externalURL": "http://alertmanager.bench",
                "alerts": alerts,
            }
        ).encode()

    return body


def firebell_pd_body(prefix: str, routing_key: str) -> Body:
    def body(i: int) -> bytes:
        key = f"{prefix}-{i}"
        payload = {"summary": f"Bench alert {key} is firing", "source": "bench-host", "severity": "critical"}
        event = {"routing_key": routing_key, "event_action": "trigger", "dedup_key": key, "payload": payload}
        event["payload"]["component"] = "bench"
        return json.dumps(event).encode()

    return body


def alertmanager_body(prefix: str, n: int, starts: str) -> Body:
    def body(i: int) -> bytes:
        return json.dumps([_am_alert(f"{prefix}-{i}-{j}", starts, webhook=False) for j in range(n)]).encode()

    return body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, whether the connection stays open) of one HTTP/1.1 answer, its body read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip().lower() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") != "close"


@dataclass
class OpenLoopResult:
    scheduled: int
    latencies_ms: list[float]  # one per request, answered or not (an unanswered one counts its timeout)
    non_2xx: int
    errors: dict[str, int]
    seconds: float
    max_lag_ms: float  # how late the generator itself sent a request, at worst


async def open_loop(
    base_url: str, path: str, body: Body, *, rate: float, seconds: float, connections: int, timeout_s: float
) -> OpenLoopResult:
    host, port = base_url.removeprefix("http://").split(":")
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: "
    loop = asyncio.get_running_loop()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(connections)
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "timeout": 0}
    non_2xx = 0
    max_lag = 0.0

    async def one(i: int, due: float) -> None:
        nonlocal non_2xx
        data = body(i)
        request = (head + f"{len(data)}\r\n\r\n").encode() + data
        async with slots:
            try:
                reader, writer = idle.pop() if idle else await asyncio.open_connection(host, int(port))
            except OSError:
                errors["connect"] += 1
                latencies.append(timeout_s * 1000)
                return
            try:
                writer.write(request)
                status, keep = await asyncio.wait_for(_read_answer(reader), timeout_s)
            except TimeoutError:
                errors["timeout"] += 1
                latencies.append(timeout_s * 1000)
                writer.close()
                return
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors["read"] += 1
                latencies.append(timeout_s * 1000)
                writer.close()
                return
        latencies.append((loop.time() - due) * 1000)
        if not 200 <= status < 300:
            non_2xx += 1
        if keep:
            idle.append((reader, writer))
        else:
            writer.close()

    count = max(1, round(rate * seconds))
    start = loop.time() + 0.05
    tasks = []
    for i in range(count):
        due = start + i / rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            max_lag = max(max_lag, -wait)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    for _reader, writer in idle:
        writer.close()
    return OpenLoopResult(count, latencies, non_2xx, errors, elapsed, max_lag * 1000)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_open_loop(
    base_url: str, path: str, body: Body, *, rate: float, seconds: int, connections: int, timeout_s: int
) -> tuple[WrkResult, str]:
    """One steady-rate run, reported in wrk's terms (latency percentiles from scheduled send times)."""
    done = asyncio.run(
        open_loop(base_url, path, body, rate=rate, seconds=seconds, connections=connections, timeout_s=timeout_s)
    )
    lat = done.latencies_ms
    answered = done.scheduled - sum(done.errors.values())
    result = WrkResult(
        requests=answered,
        seconds=done.seconds,
        requests_per_s=answered / done.seconds if done.seconds else 0.0,
        non_2xx=done.non_2xx,
        socket_errors=dict(done.errors),
        p50_ms=percentile(lat, 0.50),
        p75_ms=percentile(lat, 0.75),
        p90_ms=percentile(lat, 0.90),
        p99_ms=percentile(lat, 0.99),
        max_ms=max(lat) if lat else None,
    )
    summary = (
        f"open loop: {done.scheduled} requests at {rate:g}/s over {done.seconds:.1f} s; "
        f"latency from the scheduled send: p50 {_num(result.p50_ms, 2)} ms, p99 {_num(result.p99_ms, 2)} ms, "
        f"max {_num(result.max_ms, 2)} ms; non-2xx {done.non_2xx}, errors {done.errors}; "
        f"generator late by up to {done.max_lag_ms:.1f} ms"
    )
    return result, summary


# --- CPU accounting ----------------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of every local process named postgres (backends, WAL writer, checkpointer)."""
    out: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
        except OSError:
            continue
        out[int(entry.name)] = proc_cpu_seconds(int(entry.name))
    return out


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return total - idle, total


@dataclass
class CpuSample:
    wall: float
    server: float
    postgres: dict[int, float]
    machine: tuple[int, int]
    children: float


def cpu_sample(server_pid: int | None, with_postgres: bool) -> CpuSample:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)  # the open-loop generator runs in this process
    return CpuSample(
        wall=time.monotonic(),
        server=proc_cpu_seconds(server_pid) if server_pid else 0.0,
        postgres=postgres_cpu() if with_postgres else {},
        machine=machine_ticks(),
        children=usage.ru_utime + usage.ru_stime + own.ru_utime + own.ru_stime,
    )


def cpu_percent(before: CpuSample, after: CpuSample) -> dict[str, float | None]:
    """Percent of one core for the server, PostgreSQL and wrk; machine busy as percent of all cores."""
    wall = after.wall - before.wall
    pg = sum(after.postgres.values()) - sum(v for pid, v in before.postgres.items() if pid in after.postgres)
    busy = after.machine[0] - before.machine[0]
    total = after.machine[1] - before.machine[1]
    server = 100 * (after.server - before.server) / wall
    # wrk is the only child reaped during a measurement, so the children's rusage delta is wrk's; with
    # --rate the generator is this process itself (which otherwise only waits for wrk).
    wrk = 100 * (after.children - before.children) / wall
    machine = 100 * busy / total if total else None
    # What everything else on the machine used, in the same units (percent of one core).
    other = machine * (os.cpu_count() or 1) - server - 100 * pg / wall - wrk if machine is not None else None
    return {
        "server": round(server, 1),
        "postgres": round(100 * pg / wall, 1) if after.postgres else None,
        "wrk": round(wrk, 1),
        "other": round(max(other, 0.0), 1) if other is not None else None,
        "machine_busy": round(machine, 1) if machine is not None else None,
    }


# --- processes ---------------------------------------------------------------------------------

_started: list[subprocess.Popen[bytes]] = []
_pg_databases: list[str] = []
_pg_admin_url = ""


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    if proc in _started:
        _started.remove(proc)


def cleanup() -> None:
    for proc in list(_started):
        with contextlib.suppress(Exception):
            stop_process(proc)
    for name in list(_pg_databases):
        with contextlib.suppress(Exception):
            drop_pg_database(name)


def _on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float) -> Any:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only local servers are queried, not {url}")
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - a local http:// URL, checked above


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{tail(log)}")
        try:
            with http_get(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout:.0f}s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def ensure_tool(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if found:
        return found
    print(f"{binary} not found: installing Debian package {package} with apt-get", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-q", package],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which(binary)
    if not found:
        raise SystemExit(f"{package} installed but {binary} is still not on PATH")
    return found


def firebell_bin() -> str:
    beside = Path(sys.executable).parent / "firebell"
    if beside.exists():
        return str(beside)
    found = shutil.which("firebell")
    if not found:
        raise SystemExit("the firebell command is not installed (pip install -e . in the venv)")
    return found


# --- PostgreSQL databases ----------------------------------------------------------------------


def pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def create_pg_database(name: str) -> None:
    with pg_connect(_pg_admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _pg_databases.append(name)


def pg_settings() -> dict[str, str]:
    """Server settings that decide what a commit costs and how plans evolve during a run."""
    names = ("server_version", "fsync", "synchronous_commit", "wal_sync_method", "shared_buffers", "autovacuum")
    with pg_connect(_pg_admin_url) as conn:
        rows = conn.execute("select name, setting from pg_settings where name = any(%s)", (list(names),)).fetchall()
    return {str(name): str(value) for name, value in rows}


def drop_pg_database(name: str) -> None:
    with pg_connect(_pg_admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if name in _pg_databases:
        _pg_databases.remove(name)


# --- history -----------------------------------------------------------------------------------

# Written straight into the database before the server starts: the bench service's past alerts over
# the last 30 days, one in HISTORY_OPEN_EVERY still open (triggered), the rest resolved; none in an
# incident. Intake then looks its keys up among all of them, as it would after months of use.
HISTORY_OPEN_EVERY = 10
HISTORY_SPAN_S = 30 * 86_400

_HISTORY_COLUMNS = (
    "id, service_id, integration_id, raw_payload_id, source, dedup_key, status, severity, summary, origin, "
    "group_key, labels, details, links, disposition, count, first_seen_at, last_seen_at, name, verdict_by"
)


def _history_select(postgres: bool, n: int) -> str:
    """SELECT of the n history rows, numbered g = 1..n (its parameters: service id, integration id)."""
    mark = "%s" if postgres else "?"
    ago = f"(g * {HISTORY_SPAN_S // max(n, 1) or 1})"
    if postgres:
        stamp = f"now() - {ago} * interval '1 second'"
        key, rows = "'h' || lpad(g::text, 25, '0')", f"generate_series(1, {n}) AS s(g)"
    else:
        stamp = f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || {ago} || ' seconds')"
        key, rows = "'h' || substr('0000000000000000000000000' || g, -25)", "s"
    modulo = "%%" if postgres else "%"  # psycopg takes a lone % for a placeholder
    status = f"CASE WHEN g {modulo} {HISTORY_OPEN_EVERY} = 0 THEN 'triggered' ELSE 'resolved' END"
    return (
        f"SELECT {key}, {mark}, {mark}, '', 'alertmanager', 'history-' || g, {status}, 'critical', "
        "'History alert ' || g, '', 'history', '{}', '{}', '[]', 'log_only', 1, "
        f"{stamp}, {stamp}, 'HistoryAlert', '' FROM {rows}"
    )


def load_history(url: str, n: int) -> float:
    """Insert n past alerts of the bench service straight into the database; the seconds it took."""
    started = time.monotonic()
    find = "SELECT s.id, i.id FROM services s JOIN integrations i ON i.service_id = s.id WHERE s.name = 'bench'"
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=60)
        try:
            ids = conn.execute(find).fetchone()
            recursive = f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) "
            conn.execute(f"{recursive}INSERT INTO alerts ({_HISTORY_COLUMNS}) {_history_select(False, n)}", ids)
            conn.commit()
        finally:
            conn.close()
    else:
        with pg_connect(url) as conn:
            ids = conn.execute(find).fetchone()
            conn.execute(f"INSERT INTO alerts ({_HISTORY_COLUMNS}) {_history_select(True, n)}", ids)
            # A history this size would long since have been analyzed by autovacuum.
            conn.execute("ANALYZE alerts")
    return time.monotonic() - started


# --- targets -----------------------------------------------------------------------------------


class Target:
    """A server under test: started fresh (with a fresh database) for each cell, stopped after it."""

    key = ""

    def __init__(self, workdir: Path, tag: str) -> None:
        self.workdir = workdir
        self.tag = tag
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{tag}.log"
        self.base_url = ""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def _spawn(self, cmd: list[str], env: dict[str, str] | None, port: int, ready_path: str) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _started.append(self.proc)
        self.base_url = f"http://127.0.0.1:{port}"
        wait_http(self.base_url + ready_path, self.proc, self.log)

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"{TARGET_NAMES[self.key]} exited with status {self.proc.returncode}; last log lines:\n{tail(self.log)}"
            )

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def wrk_script(self, scenario: Scenario, prefix: str, starts: str) -> tuple[str, str]:
        raise NotImplementedError

    def payload(self, scenario: Scenario, prefix: str, starts: str) -> tuple[str, Body]:
        """The path and request bodies of the open-loop generator (the same as the wrk script's)."""
        raise NotImplementedError

    def counts(self) -> tuple[int, int] | None:
        return None

    def batch_stats(self) -> tuple[float, float] | None:
        return None


class FirebellTarget(Target):
    def __init__(self, key: str, workdir: Path, tag: str, pg_base: str, history: int = 0) -> None:
        super().__init__(workdir, tag)
        self.key = key
        self.history = history
        self.pg_base = pg_base.rstrip("/")
        self.url = ""
        self.db_name = ""
        self.db_path: Path | None = None
        self.am_key = ""
        self.pd_key = ""

    def start(self) -> None:
        if self.key == "sqlite":
            self.db_path = self.workdir / f"{self.tag}.db"
            self.url = f"sqlite:///{self.db_path}"
        else:
            self.db_name = f"bench_{self.tag}_{uuid.uuid4().hex[:8]}"
            create_pg_database(self.db_name)
            self.url = f"{self.pg_base}/{self.db_name}"
        port = free_port()
        # The load comes from one integration key, far over the per-key intake limit: measured without it.
        env = {
            **os.environ,
            "FIREBELL_DATABASE_URL": self.url,
            "FIREBELL_PORT": str(port),
            "FIREBELL_LIMITS__INTAKE_PER_SECOND": "0",
        }
        fb = firebell_bin()

        def admin(*args: str) -> str:
            done = subprocess.run([fb, *args], env=env, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise RuntimeError(f"firebell {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
            return done.stdout.strip().splitlines()[-1].strip()

        admin("db", "upgrade")
        # Every alert joins the one open incident, as in the runs before grouping modes: the PagerDuty
        # events' summaries differ, so under the default mode each would open an incident of its own.
        admin("service", "create", "bench", "--grouping", "service")
        self.am_key = admin("integration", "create", "--service", "bench", "--kind", "alertmanager")
        self.pd_key = admin("integration", "create", "--service", "bench", "--kind", "pagerduty")
        if self.history:
            took = load_history(self.url, self.history)
            print(f"  history: {self.history:,} alerts written in {took:.1f} s", flush=True)
        self._spawn([fb, "serve"], env, port, "/healthz")

    def stop(self) -> None:
        super().stop()
        if self.db_name:
            drop_pg_database(self.db_name)
            self.db_name = ""
        if self.db_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.db_path) + suffix).unlink(missing_ok=True)
            self.db_path = None

    def counts(self) -> tuple[int, int]:
        """(rows, sum of count) in the alerts table, read straight from the database."""
        query = "select count(*), coalesce(sum(count), 0) from alerts"
        if self.key == "sqlite":
            conn = sqlite3.connect(str(self.db_path), timeout=30)
            try:
                rows, total = conn.execute(query).fetchone()
            finally:
                conn.close()
        else:
            with pg_connect(self.url) as conn:
                rows, total = conn.execute(query).fetchone()
        return int(rows), int(total)

    def batch_stats(self) -> tuple[float, float] | None:
        """(sum, count) of the group-commit batch-size histogram, from /metrics."""
        try:
            with http_get(self.base_url + "/metrics", timeout=30) as response:
                text = response.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None
        values = dict(re.findall(r"^firebell_ingest_batch_size_(sum|count) (\S+)$", text, re.MULTILINE))
        if "sum" not in values or "count" not in values:
            return None
        return float(values["sum"]), float(values["count"])

    def wrk_script(self, scenario: Scenario, prefix: str, starts: str) -> tuple[str, str]:
        if scenario.firebell_api == "pagerduty":
            path = "/v2/enqueue"
            return path, lua_script(
                "firebell-pd", path=path, n=1, prefix=prefix, starts=starts, routing_key=self.pd_key
            )
        path = f"/integrations/alertmanager/{self.am_key}"
        return path, lua_script("firebell-am", path=path, n=scenario.alerts_per_request, prefix=prefix, starts=starts)

    def payload(self, scenario: Scenario, prefix: str, starts: str) -> tuple[str, Body]:
        if scenario.firebell_api == "pagerduty":
            return "/v2/enqueue", firebell_pd_body(prefix, self.pd_key)
        return f"/integrations/alertmanager/{self.am_key}", firebell_am_body(
            prefix, scenario.alerts_per_request, starts
        )


class AlertmanagerTarget(Target):
    key = "alertmanager"

    def __init__(self, binary: str, workdir: Path, tag: str) -> None:
        super().__init__(workdir, tag)
        self.binary = binary

    def start(self) -> None:
        storage = self.workdir / f"{self.tag}-storage"
        storage.mkdir()
        config = self.workdir / f"{self.tag}.yml"
        config.write_text("route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n")
        port = free_port()
        cmd = [
            self.binary,
            f"--config.file={config}",
            f"--storage.path={storage}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]
        self._spawn(cmd, None, port, "/-/ready")

    def wrk_script(self, scenario: Scenario, prefix: str, starts: str) -> tuple[str, str]:
        path = "/api/v2/alerts"
        return path, lua_script("alertmanager", path=path, n=scenario.alerts_per_request, prefix=prefix, starts=starts)

    def payload(self, scenario: Scenario, prefix: str, starts: str) -> tuple[str, Body]:
        return "/api/v2/alerts", alertmanager_body(prefix, scenario.alerts_per_request, starts)


# --- running -----------------------------------------------------------------------------------


@dataclass
class Cell:
    scenario: str
    concurrency: int
    target: str
    alerts_per_request: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    warmup: dict[str, Any] | None = None
    median: dict[str, float | None] = field(default_factory=dict)
    durability: dict[str, Any] | None = None
    error: str | None = None


def run_wrk(
    wrk: str, url: str, script: Path, *, threads: int, connections: int, seconds: int, timeout_s: int
) -> tuple[WrkResult, str]:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout_s + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse_wrk(done.stdout), done.stdout


def drain(target: Target, quiet_s: float, limit_s: float = 120.0) -> None:
    """Wait until the alerts table stops growing for `quiet_s`: requests wrk gave up on at the end of a
    run are still committed by the server, and must not be counted in the next run's window."""
    if target.counts() is None:
        return
    last = target.counts()
    changed = time.monotonic()
    deadline = changed + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = target.counts()
        if now != last:
            last, changed = now, time.monotonic()
        elif time.monotonic() - changed >= quiet_s:
            return


def measure(
    target: Target, scenario: Scenario, concurrency: int, args: argparse.Namespace, wrk: str, script: Path, seconds: int
) -> dict[str, Any]:
    """One wrk run, with CPU, group-commit and database counters sampled around it."""
    with_pg = target.key == "postgres"
    rows_before = target.counts()
    batches_before = target.batch_stats()
    before = cpu_sample(target.pid, with_pg)
    try:
        if args.rate:
            path, body = target.payload(scenario, script.stem, args.starts)
            result, wrk_output = run_open_loop(
                target.base_url,
                path,
                body,
                rate=args.rate / scenario.alerts_per_request,
                seconds=seconds,
                connections=concurrency,
                timeout_s=args.timeout,
            )
        else:
            path, lua = target.wrk_script(scenario, script.stem, args.starts)
            script.write_text(lua)
            result, wrk_output = run_wrk(
                wrk,
                target.base_url + path,
                script,
                threads=args.threads,
                connections=concurrency,
                seconds=seconds,
                timeout_s=args.timeout,
            )
    except RuntimeError:
        target.check_alive()  # a dead server explains a failed wrk better than wrk does
        raise
    after = cpu_sample(target.pid, with_pg)
    rows_after = target.counts()
    batches_after = target.batch_stats()
    target.check_alive()
    row: dict[str, Any] = {
        **asdict(result),
        "alerts_per_s": result.requests_per_s * result.ok / result.requests * scenario.alerts_per_request
        if result.requests
        else 0.0,
        "cpu_percent": cpu_percent(before, after),
        "wrk_output": wrk_output,
    }
    if rows_before is not None and rows_after is not None:
        row["db_alerts_per_s"] = (rows_after[0] - rows_before[0]) / (after.wall - before.wall)
    if batches_before and batches_after:
        commits = batches_after[1] - batches_before[1]
        row["commits"] = commits
        if commits:
            row["avg_commit_batch"] = round((batches_after[0] - batches_before[0]) / commits, 1)
    return row


def run_cell(
    target: Target,
    scenario: Scenario,
    concurrency: int,
    args: argparse.Namespace,
    wrk: str,
    cell_no: int,
    attempt: int = 0,
) -> Cell:
    cell = Cell(scenario.name, concurrency, target.key, scenario.alerts_per_request)
    ok_alerts = 0  # alerts in 2xx responses across warm-up and measured runs
    label = f"{scenario.name} c={concurrency} {TARGET_NAMES[target.key]}"
    target.start()
    try:
        for run_no in range(args.repeats + 1):
            warm = run_no == 0
            seconds = args.warmup if warm else args.duration
            script = target.workdir / f"c{cell_no}a{attempt}r{run_no}.lua"  # its name prefixes every alert key
            row = measure(target, scenario, concurrency, args, wrk, script, seconds)
            ok_alerts += row["requests"] - row["non_2xx"]
            # Let the commits of requests wrk abandoned at the end land before the next window opens.
            commit_interval = seconds / row["commits"] if row.get("commits") else float(seconds)
            drain(target, quiet_s=min(30.0, max(1.0, 2 * commit_interval)))
            if warm:
                cell.warmup = row
                continue
            cell.runs.append(row)
            cpu = row["cpu_percent"]
            db_rate = f", {row['db_alerts_per_s']:,.0f} alerts/s committed" if "db_alerts_per_s" in row else ""
            print(
                f"  {label} run {run_no}/{args.repeats}: {row['alerts_per_s']:,.0f} alerts/s answered{db_rate}, "
                f"{row['requests']} requests, p50 {_num(row['p50_ms'], 2)} ms, p99 {_num(row['p99_ms'], 2)} ms, "
                f"non-2xx {row['non_2xx']}, socket errors {sum(row['socket_errors'].values())}, "
                f"server CPU {cpu['server']}%, machine busy {cpu['machine_busy']}%",
                flush=True,
            )
        ok_alerts *= scenario.alerts_per_request
        counts = target.counts()
        if counts is not None:
            rows, total = counts
            cell.durability = {
                "alerts_2xx": ok_alerts,
                "rows": rows,
                "sum_count": total,
                "uncounted_rows": rows - ok_alerts,
                "ok": rows >= ok_alerts,
            }
            verdict = "OK" if rows >= ok_alerts else "FAILED"
            print(
                f"  durability {label}: {rows:,} alerts in the database, sum(count) {total:,}, "
                f"{ok_alerts:,} alerts in 2xx responses -> {verdict}",
                flush=True,
            )
    finally:
        target.stop()
    for metric in ("alerts_per_s", "db_alerts_per_s", "requests_per_s", "p50_ms", "p99_ms"):
        values = [r[metric] for r in cell.runs if r.get(metric) is not None]
        cell.median[metric] = statistics.median(values) if values else None
    cell.median["errors"] = sum(r["non_2xx"] + sum(r["socket_errors"].values()) for r in cell.runs)
    cell.median["alerts_per_s_min"] = min(r["alerts_per_s"] for r in cell.runs)
    cell.median["alerts_per_s_max"] = max(r["alerts_per_s"] for r in cell.runs)
    for part in ("server", "postgres", "wrk", "other", "machine_busy"):
        values = [r["cpu_percent"][part] for r in cell.runs if r["cpu_percent"].get(part) is not None]
        if values:
            cell.median[f"cpu_{part}"] = statistics.median(values)
    batches = [r["avg_commit_batch"] for r in cell.runs if "avg_commit_batch" in r]
    if batches:
        cell.median["avg_commit_batch"] = statistics.median(batches)
    return cell


# --- report ------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _durability(cell: Cell) -> str:
    d = cell.durability
    if d is None:
        return "—"
    if d["ok"]:
        return f"OK: {d['rows']:,} ≥ {d['alerts_2xx']:,}"
    return f"FAILED: {d['rows']:,} < {d['alerts_2xx']:,}"


def render(cells: list[Cell]) -> str:
    by = {(c.scenario, c.concurrency, c.target): c for c in cells}
    lines = [
        "| Scenario | Conc. | Target | alerts/s (median) | range (min–max) | p50 ms | p99 ms | × Alertmanager "
        "| committed alerts/s (DB) |",
        "|---|---:|---|---:|---|---:|---:|---:|---:|",
    ]
    for cell in cells:
        name = f"| {cell.scenario} | {cell.concurrency} | {TARGET_NAMES[cell.target]} "
        if cell.error:
            lines.append(name + f"| failed: {cell.error.splitlines()[0][:60]} | | | | | |")
            continue
        m = cell.median
        peer = by.get((SCENARIOS[cell.scenario].compare_with, cell.concurrency, "alertmanager"))
        ratio = "—"
        mine, theirs = m.get("alerts_per_s"), peer.median.get("alerts_per_s") if peer is not None else None
        if cell.target != "alertmanager" and mine is not None and theirs:
            ratio = f"{mine / theirs:.2f}"
        lines.append(
            name + f"| {_num(m['alerts_per_s'])} | {_num(m['alerts_per_s_min'])}–{_num(m['alerts_per_s_max'])} "
            f"| {_num(m['p50_ms'], 2)} | {_num(m['p99_ms'], 2)} | {ratio} | {_num(m.get('db_alerts_per_s'))} |"
        )
    lines += [
        "",
        "| Scenario | Conc. | Target | server CPU % | PostgreSQL CPU % | load generator CPU % | other processes CPU % "
        "| machine busy % | submissions/commit | errors | durability: rows in DB ≥ alerts in 2xx |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for cell in cells:
        if cell.error:
            continue
        m = cell.median
        lines.append(
            f"| {cell.scenario} | {cell.concurrency} | {TARGET_NAMES[cell.target]} | {_num(m.get('cpu_server'))} "
            f"| {_num(m.get('cpu_postgres'))} | {_num(m.get('cpu_wrk'))} | {_num(m.get('cpu_other'))} "
            f"| {_num(m.get('cpu_machine_busy'))} | {_num(m.get('avg_commit_batch'), 1)} "
            f"| {_num(m.get('errors'))} | {_durability(cell)} |"
        )
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(), "python": platform.python_version()}


def fsync_probe(directory: Path, rounds: int = 200) -> dict[str, float]:
    """Latency of fdatasync after a 4 KiB append in `directory`: the floor under one durable commit."""
    path = directory / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    try:
        for _ in range(rounds):
            os.write(fd, b"x" * 4096)
            start = time.perf_counter()
            os.fdatasync(fd)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    times.sort()
    return {"p50_ms": round(times[len(times) // 2], 2), "p99_ms": round(times[int(len(times) * 0.99)], 2)}


def source_digest() -> str:
    """A digest of every file under src/: tells whether the code changed while the benchmark ran
    (each cell starts a new server, which loads the code as it is at that moment)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
            with contextlib.suppress(OSError):
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def source_state() -> dict[str, Any]:
    """The commit benchmarked, whether src/ had uncommitted changes, and a digest of src/."""
    state: dict[str, Any] = {"src_digest": source_digest()}
    with contextlib.suppress(Exception):
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        state["commit"] = head.stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        state["src_modified"] = bool(dirty.stdout.strip())
    return state


def tool_version(cmd: list[str]) -> str:
    with contextlib.suppress(Exception):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    return ""


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark durable alert ingest (Firebell vs Alertmanager).")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per repeat (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per cell (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="measured repeats per cell; median taken (default 3)")
    parser.add_argument("--only", default=",".join(TARGETS), help="targets: sqlite,postgres,alertmanager")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"scenarios: {','.join(SCENARIOS)}")
    parser.add_argument(
        "--concurrency",
        default=None,
        help="wrk connections, comma-separated (default 16,64); with --rate, the most connections open at once "
        "(default 512)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="alerts per second sent on a fixed schedule (open loop) instead of wrk; latency from scheduled send",
    )
    parser.add_argument(
        "--history", type=int, default=0, help="alerts written into each Firebell database before it starts"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk per-request timeout in seconds (default 10)")
    parser.add_argument("--retries", type=int, default=1, help="retries of a failed cell (default 1)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 s, one repeat, 1 s warm-up")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database; a fresh database is made per cell",
    )
    parser.add_argument("--pg-admin-db", default="test", help="database to connect to for CREATE/DROP DATABASE")
    parser.add_argument(
        "--output", type=Path, default=None, help="JSON file (default bench/results/ingest-<time>.json)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.repeats, args.warmup = 3, 1, 1
    args.targets = [t.strip() for t in args.only.split(",") if t.strip()]
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if args.concurrency is None:
        args.concurrency = "512" if args.rate else "16,64"
    args.concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    for t in args.targets:
        if t not in TARGETS:
            parser.error(f"unknown target {t!r}; choose from {', '.join(TARGETS)}")
    for s in args.scenario_list:
        if s not in SCENARIOS:
            parser.error(f"unknown scenario {s!r}; choose from {', '.join(SCENARIOS)}")
    if args.repeats < 1 or args.duration < 1 or args.warmup < 1:
        parser.error("--duration, --warmup and --repeats must be at least 1")
    if args.rate < 0 or args.history < 0:
        parser.error("--rate and --history cannot be negative")
    if any(c < args.threads for c in args.concurrencies):
        parser.error("each concurrency must be at least --threads")
    return args


def _load_words(args: argparse.Namespace) -> str:
    load = f"open loop at {args.rate:g} alerts/s" if args.rate else f"wrk -t{args.threads}"
    return load + (f", {args.history:,} alerts of history" if args.history else "")


def main(argv: list[str] | None = None) -> int:
    global _pg_admin_url
    args = parse_args(argv)
    _pg_admin_url = f"{args.pg_url.rstrip('/')}/{args.pg_admin_db}"
    atexit.register(cleanup)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)

    wrk = "" if args.rate else ensure_tool("wrk", "wrk")
    am_bin = ensure_tool("prometheus-alertmanager", "prometheus-alertmanager") if "alertmanager" in args.targets else ""
    postgres: dict[str, str] = {}
    if "postgres" in args.targets:
        try:
            postgres = pg_settings()
        except Exception as exc:
            raise SystemExit(
                f"cannot reach PostgreSQL at {_pg_admin_url}: {exc} (or leave it out with --only)"
            ) from exc
        print("PostgreSQL: " + ", ".join(f"{k}={v}" for k, v in sorted(postgres.items())), flush=True)

    started = datetime.now(UTC)
    source = source_state()
    args.starts = started.strftime("%Y-%m-%dT%H:%M:%SZ")  # startsAt of every alert sent
    workdir = Path(tempfile.mkdtemp(prefix="firebell-bench-"))
    scenarios = [SCENARIOS[s] for s in args.scenario_list]
    plan = [
        (scenario, conc, target)
        for scenario in scenarios
        for conc in args.concurrencies
        for target in args.targets
        if target != "alertmanager" or scenario.alertmanager
    ]
    per_cell = args.warmup + args.repeats * args.duration
    fsync = fsync_probe(workdir)
    print(f"fdatasync of a 4 KiB append in {workdir}: p50 {fsync['p50_ms']} ms, p99 {fsync['p99_ms']} ms", flush=True)
    print(
        f"{len(plan)} cells × ({args.warmup} s warm-up + {args.repeats} × {args.duration} s) ≈ "
        f"{len(plan) * (per_cell + 4) / 60:.1f} min; work dir {workdir}",
        flush=True,
    )

    cells: list[Cell] = []
    try:
        for number, (scenario, conc, key) in enumerate(plan, start=1):
            print(f"[{number}/{len(plan)}] {scenario.name}, concurrency {conc}, {TARGET_NAMES[key]}", flush=True)
            for attempt in range(args.retries + 1):
                tag = f"c{number}a{attempt}_{key}"
                target: Target = (
                    AlertmanagerTarget(am_bin, workdir, tag)
                    if key == "alertmanager"
                    else FirebellTarget(key, workdir, tag, args.pg_url, args.history)
                )
                try:
                    cells.append(run_cell(target, scenario, conc, args, wrk, number, attempt))
                    break
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
                    print(f"  failed: {exc}", file=sys.stderr, flush=True)
                    if attempt == args.retries:
                        cells.append(Cell(scenario.name, conc, key, scenario.alerts_per_request, error=str(exc)))
                    else:
                        print("  retrying the cell with a fresh server and database", file=sys.stderr, flush=True)
    except BaseException:
        cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        cleanup()

    table = render(cells)
    source["src_digest_at_end"] = source_digest()
    if source["src_digest_at_end"] != source["src_digest"]:
        print(
            "\nwarning: files under src/ changed during the run, so cells may have measured different code",
            file=sys.stderr,
        )
    finished = datetime.now(UTC)
    print()
    print(
        f"Ingest benchmark, {finished:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
        f"{args.repeats} × {args.duration} s per cell after {args.warmup} s warm-up, {_load_words(args)}; "
        f"medians. fdatasync p50 {fsync['p50_ms']} ms. Code: {source.get('commit', '?')[:10]}"
        f"{' + uncommitted changes in src/' if source.get('src_modified') else ''} (src digest {source['src_digest']})."
    )
    print()
    print(table)
    failed_durability = [c for c in cells if c.durability and not c.durability["ok"]]

    RESULTS.mkdir(parents=True, exist_ok=True)
    output = args.output or RESULTS / f"ingest-{started:%Y%m%d-%H%M%S}.json"
    document = {
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "machine": {**machine_info(), "fdatasync": fsync},
        "firebell": source,
        "postgresql": postgres,
        "tools": {
            "wrk": tool_version([wrk, "--version"]),
            "alertmanager": tool_version([am_bin, "--version"]) if am_bin else "",
        },
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "repeats": args.repeats,
            "threads": args.threads,
            "rate_alerts_per_s": args.rate or None,
            "history_alerts": args.history,
            "concurrency": args.concurrencies,
            "targets": args.targets,
            "scenarios": {s.name: s.description for s in scenarios},
        },
        "cells": [asdict(c) for c in cells],
        "table_markdown": table,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nJSON: {output}")
    if any(c.error for c in cells):
        print(f"server logs kept in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if failed_durability:
        print(f"durability check FAILED for {len(failed_durability)} cell(s)", file=sys.stderr)
        return 1
    return 1 if any(c.error for c in cells) else 0


if __name__ == "__main__":
    sys.exit(main())
