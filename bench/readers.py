"""Benchmark of many readers of one incident: what they get, and what paging and intake get meanwhile.

A big incident draws a crowd: people keep its page open, scripts poll the API. Against a real
`firebell serve` (SQLite and PostgreSQL) and a local HTTP receiver standing in for a webhook consumer:

* **readers**: N concurrent clients, in processes of their own (4), each reading the incident again as
  soon as it has its answer (after the Retry-After of a 503), half the web page with a logged-in
  session, half the API with a token; their answers (200, or 503 with Retry-After when the web share
  is full) and latency p50/p99;
* **level-2 lateness meanwhile**: open incidents whose level-2 escalation falls due while they read
  (written straight into the database before the server starts); each page's arrival at the
  receiver minus the instant the policy said to page (`page.due_at` in the payload);
* **intake meanwhile**: alerts posted one at a time (PagerDuty Events v2) into the incident being
  read, 20 a second; each answer's latency, p50/p99.

    .venv/bin/python bench/readers.py                  # 100 readers for 30 s, 60 pages due
    .venv/bin/python bench/readers.py --quick          # 50 readers for 10 s, 20 pages due
    .venv/bin/python bench/readers.py --only sqlite --readers 200 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from escalation import Firebell, Receiver, database, pct

PASSWORD = "bench-reader-pass"  # noqa: S105 - the benchmark's own user
LEAD = 20.0  # seconds from planting the timers to the first one due (the server starts meanwhile)


def setup(firebell: Firebell, receiver: Receiver) -> tuple[str, str]:
    """A service whose alerts pile into one incident, a two-level policy whose level 2 pages a
    webhook, a reader with a password and a read token. Returns (integration key, token)."""
    firebell.cli("db", "upgrade")
    firebell.cli("service", "create", "api", "--grouping", "service", "--grouping-window", "1h")
    firebell.cli("service", "create", "pages", "--grouping-window", "0")
    key = firebell.cli("integration", "create", "--service", "api", "--kind", "pagerduty")
    config = firebell.workdir / f"{firebell.name}.yaml"
    config.write_text(
        "users:\n"
        "  - {name: Sam, handle: sam, email: sam@example.com}\n"
        "  - {name: Pat, handle: pat, email: pat@example.com,\n"
        f"     contact_methods: [{{type: webhook, address: '{receiver.url}'}}]}}\n"
        "escalation_policies:\n"
        "  - {name: two, levels: [{targets: [sam], timeout: 1m}, {targets: [pat], timeout: 1h}]}\n"
        "services:\n  - {name: pages, escalation_policy: two}\n"
    )
    firebell.cli("apply", "-f", str(config))
    firebell.cli("user", "create", "reader@example.com", "--role", "viewer", "--password", PASSWORD)
    token = firebell.cli("token", "create", "--name", "readers", "--scope", "read")
    return key, token


def plant_level_two(database_url: str, count: int, first_due: datetime, spread: float) -> None:
    """`count` open incidents whose level 1 was paged a minute before their level 2 falls due, evenly
    over `spread` seconds from `first_due`."""
    import sqlalchemy as sa

    from firebell.infra.db import make_engine
    from firebell.kernel.ids import new_id

    engine = make_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"

    def when(value: datetime) -> datetime:
        return value.replace(tzinfo=None) if sqlite else value  # SQLite keeps UTC without its zone

    with engine.begin() as conn:
        service_id, policy_id = conn.execute(
            sa.text("select id, escalation_policy_id from services where name = 'pages'")
        ).one()
        incidents, escalations = [], []
        for n in range(count):
            due = first_due + timedelta(seconds=spread * n / count)
            incident_id = new_id()
            incidents.append(
                {"id": incident_id, "number": 1000 + n, "title": f"level two {n}", "service": service_id,
                 "group": f"two-{n}", "opened": when(due - timedelta(minutes=1))}
            )  # fmt: skip
            escalations.append(
                {"id": new_id(), "incident": incident_id, "policy": policy_id,
                 "started": when(due - timedelta(minutes=1)), "due": when(due)}
            )  # fmt: skip
        conn.execute(
            sa.text(
                "insert into incidents (id, number, title, status, sev, service_id, group_key, opened_at) "
                "values (:id, :number, :title, 'detected', 'SEV-2', :service, :group, :opened)"
            ),
            incidents,
        )
        conn.execute(
            sa.text(
                "insert into escalations (id, incident_id, policy_id, state, started_at, steps_taken, next_due_at) "
                "values (:id, :incident, :policy, 'active', :started, 1, :due)"
            ),
            escalations,
        )
    engine.dispose()


# --- the three kinds of client -----------------------------------------------------------------

Read = tuple[str, int, float]  # (kind, status, seconds)


async def _read(base: str, ref: str, cookie: str, token: str, readers: int, until: float) -> list[Read]:
    import httpx

    reads: list[Read] = []
    # Idle connections are dropped before the server would close them (5 s): no request races a close.
    limits = httpx.Limits(max_connections=readers, max_keepalive_connections=readers, keepalive_expiry=3)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def reader(kind: str) -> None:
            path = f"/incidents/{ref}" if kind == "page" else f"/api/v1/incidents/{ref}"
            headers = {"authorization": f"Bearer {token}"} if kind == "api" else {}
            cookies = {"firebell_session": cookie} if kind == "page" else {}
            while time.monotonic() < until:
                started = time.monotonic()
                retry = ""
                try:
                    answer = await client.get(path, headers=headers, cookies=cookies)
                    status, retry = answer.status_code, answer.headers.get("retry-after", "")
                except httpx.HTTPError:
                    status = 0  # no answer
                reads.append((kind, status, time.monotonic() - started))
                if status == 503 and retry.isdigit():
                    await asyncio.sleep(int(retry))  # as a well-behaved client (and the busy page) does

        await asyncio.gather(*(reader("page" if n % 2 else "api") for n in range(readers)))
    return reads


def read_in_a_process(base: str, ref: str, cookie: str, token: str, readers: int, until: float) -> list[Read]:
    """The readers in a process of their own, so that their share of an interpreter does not count
    against the intake timings taken in this one."""
    return asyncio.run(_read(base, ref, cookie, token, readers, until))


def send_alerts(base: str, key: str, until: float, latencies: list[tuple[int, float]]) -> None:
    import httpx

    with httpx.Client(base_url=base, timeout=60) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            event = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": f"storm-{n}",
                "payload": {"summary": f"storm {n}", "source": "bench", "severity": "error"},
            }
            started = time.monotonic()
            status = client.post("/v2/enqueue", json=event).status_code
            latencies.append((status, time.monotonic() - started))
            time.sleep(0.05)


# --- one run -----------------------------------------------------------------------------------


def run(
    database_url: str, workdir: Path, name: str, readers: int, seconds: float, pages: int, processes: int = 4
) -> dict[str, Any]:
    import httpx

    receiver = Receiver()
    firebell = Firebell(database_url, workdir, f"{name}-readers")
    key, token = setup(firebell, receiver)
    first_due = datetime.now(UTC) + timedelta(seconds=LEAD)
    spread = max(1.0, seconds - 4)
    plant_level_two(database_url, pages, first_due, spread)
    os.environ["FIREBELL_LIMITS__API_PER_SECOND"] = "0"  # one token for every script reader
    firebell.start()
    intake: list[tuple[int, float]] = []
    try:
        with httpx.Client(base_url=firebell.url, timeout=60) as client:
            first = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": "storm-0",
                "payload": {"summary": "the big one", "source": "bench", "severity": "critical"},
            }
            if client.post("/v2/enqueue", json=first).status_code != 202:
                raise SystemExit("the first alert was refused")
            form = client.get("/login").text  # the form's CSRF token, with its cookie kept by the client
            found = re.search(r'name="csrf_token" value="([^"]*)"', form)
            csrf = found.group(1) if found else ""
            form_data = {"email": "reader@example.com", "password": PASSWORD, "csrf_token": csrf}
            login = client.post("/login", data=form_data)
            if login.status_code != 303:
                raise SystemExit(f"could not log in: {login.status_code}")
            cookie = login.cookies["firebell_session"]
            ref = str(
                client.get("/api/v1/alerts", headers={"authorization": f"Bearer {token}"}).json()[0]["incident_id"]
            )
        wait = (first_due - datetime.now(UTC)).total_seconds() - 2
        if wait < 0:
            raise SystemExit("the server took too long to start: the pages fell due before the readers came")
        time.sleep(wait)
        until = time.monotonic() + seconds
        sender = threading.Thread(target=send_alerts, args=(firebell.url, key, until, intake))
        sender.start()
        # Readers in several processes: one process of a hundred clients spends more time in its own
        # HTTP parsing than the server does answering, and its own queue would be counted as waiting.
        shares = [readers // processes + (1 if n < readers % processes else 0) for n in range(processes)]
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            running = [pool.submit(read_in_a_process, firebell.url, ref, cookie, token, n, until) for n in shares]
            reads = [read for each in running for read in each.result()]
        sender.join()
        deadline = time.monotonic() + 30
        while receiver.count() < pages and time.monotonic() < deadline:
            time.sleep(0.2)
        served = served_within(httpx.get(f"{firebell.url}/metrics", timeout=30).text)
    finally:
        firebell.stop()
        os.environ.pop("FIREBELL_LIMITS__API_PER_SECOND", None)
    arrivals = receiver.take()
    late = [at - datetime.fromisoformat(body["page"]["due_at"]).timestamp() for at, body in arrivals]
    read_ms = [s * 1000 for _k, _status, s in reads]
    intake_ms = [s * 1000 for _status, s in intake]
    return {
        "readers": readers,
        "reads": len(reads),
        "statuses": dict(Counter(status for _k, status, _s in reads)),
        "read_p50_ms": statistics.median(read_ms),
        "read_p99_ms": pct(read_ms, 0.99),
        "pages_due": pages,
        "paged": len(arrivals),
        "late_p50_ms": statistics.median(late) * 1000 if late else float("nan"),
        "late_max_ms": max(late) * 1000 if late else float("nan"),
        "intake": len(intake_ms),
        "intake_refused": sum(1 for status, _s in intake if status != 202),
        "intake_p50_ms": statistics.median(intake_ms),
        "intake_p99_ms": pct(intake_ms, 0.99),
        "served": served,
    }


READ_ROUTES = ('route="/incidents/{ref}"', 'route="/api/v1/incidents/{ref}"')


def served_within(metrics: str) -> dict[str, float]:
    """From the server's own request histogram: how many incident reads it served (after their turn
    came), and the share it served within 10, 50 and 250 ms, which tells the server's work from the
    waiting and from the readers' own process."""
    counts: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("firebell_http_request_duration_seconds_bucket") and any(r in line for r in READ_ROUTES):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            counts[bound] = counts.get(bound, 0.0) + float(line.rsplit(" ", 1)[1])
    total = counts.get("+Inf", 0.0)
    return {"reads": total} | {
        f"within_{le}": counts.get(le, 0.0) / total if total else 0.0 for le in ("0.01", "0.05", "0.25")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="sqlite,postgres")
    parser.add_argument("--readers", type=int, default=100, help="concurrent readers of the incident")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long they read")
    parser.add_argument("--pages", type=int, default=60, help="level-2 pages falling due while they read")
    parser.add_argument("--processes", type=int, default=4, help="processes the readers are spread over")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.readers, args.seconds, args.pages = 50, 10.0, 20
    workdir = Path(tempfile.mkdtemp(prefix="firebell-bench-readers-"))
    print(f"work directory {workdir}; {os.cpu_count()} CPUs; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    results: dict[str, dict[str, Any]] = {}
    try:
        for target in args.only.split(","):
            url, drop = database(target, workdir, "readers")
            try:
                results[target] = run(url, workdir, target, args.readers, args.seconds, args.pages, args.processes)
            finally:
                drop()
            print(f"{target}: {results[target]}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(
        "| database | readers | reads | answers | read p50 | p99 | level-2 paged | late p50 | late max "
        "| alerts (refused) | intake p50 | p99 | served in ≤ 10 / 50 / 250 ms |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for target, r in results.items():
        answers = ", ".join(f"{status or 'none'}: {count}" for status, count in sorted(r["statuses"].items()))
        print(
            f"| {target} | {r['readers']} | {r['reads']:,} | {answers} | {r['read_p50_ms']:.0f} ms | "
            f"{r['read_p99_ms']:.0f} ms | {r['paged']}/{r['pages_due']} | {r['late_p50_ms']:.0f} ms | "
            f"{r['late_max_ms']:.0f} ms | {r['intake']} ({r['intake_refused']}) | {r['intake_p50_ms']:.0f} ms | "
            f"{r['intake_p99_ms']:.0f} ms | {r['served']['within_0.01']:.0%} / {r['served']['within_0.05']:.0%} / "
            f"{r['served']['within_0.25']:.0%} |"
        )


if __name__ == "__main__":
    main()
