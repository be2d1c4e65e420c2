"""Benchmark of alert intake under attack: a flood of password logins, and thousands of half-open connections.

Against a real `firebell serve` (SQLite by default, or `--database-url` for PostgreSQL), alert intake
(PagerDuty Events v2, one alert a request, `--gap` apart) is timed in three phases:

* **idle**: nothing else;
* **login flood**: `--flooders` clients (in a process of their own, so that their work does not delay
  the intake timer's) post the login form as fast as they are answered, each time
  with a new random email and, through a trusted proxy's X-Forwarded-For, a new random address (a
  botnet: no per-address or per-email limit applies, only the bound on password hashing);
* **half-open**: `--half-open` connections that sent part of a request's headers and nothing more,
  held throughout (the server's header deadline is set past the phase, so none is closed early);
* **both at once**: the login flood again while those connections are still held.

It prints intake's p50/p99 in each phase and its ratio to idle (the target: p99 within 2x idle),
and the login answers by status.

    .venv/bin/python bench/login_flood.py                     # SQLite, 400 alerts a phase
    .venv/bin/python bench/login_flood.py --quick             # 100 alerts a phase, 500 half-open
    .venv/bin/python bench/login_flood.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fb_bench
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from escalation import FIREBELL, LOOPBACK, free_port, pct

TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


class Server:
    """`firebell serve` on a free port, behind (as it is told) a trusted proxy at 127.0.0.1."""

    def __init__(self, database_url: str, workdir: Path, header_timeout: float) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "FIREBELL_DATABASE_URL": database_url,
            "FIREBELL_PORT": str(self.port),
            "FIREBELL_TRUSTED_PROXIES": "127.0.0.1",
            "FIREBELL_HTTP__HEADER_TIMEOUT_SECONDS": str(header_timeout),
            **LOOPBACK,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(FIREBELL), *args], env=self.env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise SystemExit(f"firebell {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def start(self) -> None:
        log = (self.workdir / "server.log").open("ab")
        self.proc = subprocess.Popen([str(FIREBELL), "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as answer:  # noqa: S310 - local
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"the server did not start; see {self.workdir}/server.log")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def intake(server: Server, key: str, count: int, gap: float) -> list[float]:
    """`count` alerts, one a request, `gap` seconds apart: each answer's latency in seconds."""
    took = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for n in range(count):
            event = {"routing_key": key, "event_action": "trigger", "dedup_key": f"bench-{n % 50}"}
            event["payload"] = {"summary": "disk full", "source": "db1", "severity": "error"}
            began = time.perf_counter()
            answer = client.post("/v2/enqueue", content=json.dumps(event))
            took.append(time.perf_counter() - began)
            if answer.status_code != 202:
                raise SystemExit(f"intake answered {answer.status_code}: {answer.text[:200]}")
            time.sleep(gap)
    return took


def flood(url: str, stop: Any, answers: Counter[int], took: dict[int, list[float]]) -> None:
    """Log in as fast as answered: a new random email and address each time."""
    with httpx.Client(base_url=url, timeout=60) as browser:
        found = TOKEN.search(browser.get("/login").text)
        token = found.group(1) if found else ""  # (a server without a CSRF token on its login form)
        while not stop.is_set():
            address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
            form = {"email": f"{secrets.token_hex(6)}@example.com", "password": "guess-123", "csrf_token": token}
            began = time.perf_counter()
            try:
                status = browser.post("/login", data=form, headers={"x-forwarded-for": address}).status_code
            except httpx.HTTPError:
                status = 0
            answers[status] += 1
            took.setdefault(status, []).append(time.perf_counter() - began)


def flooders(url: str, count: int, stop: Any, out: Any) -> None:
    """`count` flooding clients, in a process of their own: their work never delays the intake timer's."""
    answers: Counter[int] = Counter()
    took: dict[int, list[float]] = {}
    threads = [threading.Thread(target=flood, args=(url, stop, answers, took)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put({status: f"{n} (p50 {pct(took[status], 0.5) * 1000:.0f} ms)" for status, n in sorted(answers.items())})


def half_open(server: Server, count: int) -> list[socket.socket]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 512:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(b"POST /v2/enqueue HTTP/1.1\r\nhost: x\r\ncontent-type: applic")  # never finished
        held.append(sock)
    return held


def figures(took: list[float]) -> dict[str, float]:
    return {"p50_ms": pct(took, 0.50) * 1000, "p99_ms": pct(took, 0.99) * 1000, "max_ms": max(took) * 1000}


def flooded(server: Server, key: str, args: argparse.Namespace) -> tuple[dict[str, float], Any]:
    """Intake's figures while `args.flooders` clients flood the login form, and the login answers."""
    forked = multiprocessing.get_context("fork")
    stop, out = forked.Event(), forked.Queue()
    flooding = forked.Process(target=flooders, args=(server.url, args.flooders, stop, out))
    flooding.start()
    try:
        time.sleep(1.0)  # the flood under way
        timed = figures(intake(server, key, args.alerts, args.gap))
    finally:
        stop.set()
        logins = out.get(timeout=120)
        flooding.join()
    return timed, logins


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    database_url = args.database_url or f"sqlite:///{workdir / 'login-flood.db'}"
    server = Server(database_url, workdir, header_timeout=300)
    server.cli("db", "upgrade")
    server.cli("service", "create", "bench", "--grouping-window", "0")
    key = server.cli("integration", "create", "--service", "bench", "--kind", "pagerduty")
    server.start()
    results: dict[str, Any] = {}
    try:
        intake(server, key, 20, 0)  # warm-up, not counted
        results["idle"] = figures(intake(server, key, args.alerts, args.gap))
        results["login flood"], results["logins"] = flooded(server, key, args)
        held = half_open(server, args.half_open)
        try:
            results["half-open"] = figures(intake(server, key, args.alerts, args.gap))
            results["both"], results["logins, both"] = flooded(server, key, args)
        finally:
            for sock in held:
                sock.close()
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: a new SQLite file (PostgreSQL: an empty database)")
    parser.add_argument("--alerts", type=int, default=400, help="alerts timed in each phase")
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between alerts")
    parser.add_argument("--flooders", type=int, default=1, help="clients posting the login form meanwhile")
    parser.add_argument("--half-open", type=int, default=4000, help="half-open connections held meanwhile")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.alerts, args.half_open = 100, 500
    workdir = Path(tempfile.mkdtemp(prefix="firebell-bench-login-"))
    print(f"work directory {workdir}; {os.cpu_count()} CPUs; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    try:
        results = run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    idle = results["idle"]
    print()
    print(f"login answers during the flood ({args.flooders} clients): {results['logins']}")
    print(f"login answers during the flood with the connections held: {results['logins, both']}")
    print()
    print("| phase | intake p50 | p99 | max | p99 / idle p99 |")
    print("|---|---:|---:|---:|---:|")
    labels = {"half-open": f"half-open ({args.half_open} held)", "both": "login flood and half-open at once"}
    for phase in ("idle", "login flood", "half-open", "both"):
        r = results[phase]
        label = labels.get(phase, phase)
        print(
            f"| {label} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['max_ms']:.1f} ms | "
            f"{r['p99_ms'] / idle['p99_ms']:.2f}x |"
        )


if __name__ == "__main__":
    main()
