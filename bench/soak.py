"""Soak test: a steady stream of alerts for half an hour, with escalations and notifications, against a
real `firebell serve`. Does Firebell hold its pace, its latency and its memory over time?

The load, paced to a fixed rate: new alerts (each opens an incident whose policy pages a webhook at
once and again a minute later), repeats of open alerts (deduplicated), and resolutions of alerts
opened a while ago, so open incidents level off instead of piling up; a responder acknowledges
some incidents through the API before their second page. A local HTTP receiver stands in for the
person's webhook. Reported every five minutes and at the end: alerts accepted a second, intake
latency (p50, p99), the time from alert to first page (p99), pages sent, the server's resident memory.

    .venv/bin/python bench/soak.py                          # 30 minutes at 25 alerts a second, SQLite
    .venv/bin/python bench/soak.py --db postgres --minutes 30
    .venv/bin/python bench/soak.py --minutes 2 --rate 10    # a quick look
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from escalation import Firebell, Receiver, database, pct

ROOT = Path(__file__).resolve().parent.parent
WINDOW = 300.0  # seconds per report line


@dataclass
class Sample:
    at: float  # monotonic, when sent
    latency_ms: float
    status: int | str


@dataclass
class Soak:
    samples: list[Sample] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)  # dedup key -> time.time() it was sent
    open_keys: deque[tuple[float, str]] = field(default_factory=deque)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (monotonic, MB)
    acks: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def setup(firebell: Firebell, receiver: Receiver) -> tuple[str, str]:
    firebell.cli("db", "upgrade")
    firebell.cli("service", "create", "soak", "--grouping-window", "0")
    key = firebell.cli("integration", "create", "--service", "soak", "--kind", "pagerduty")
    token = firebell.cli("token", "create", "--name", "soak", "--scope", "respond")
    config = firebell.workdir / "soak.yaml"
    people = [
        f"  - {{name: {name.title()}, handle: {name}, email: {name}@example.com,\n"
        f"     contact_methods: [{{type: webhook, address: '{receiver.url}/{name}'}}]}}\n"
        for name in ("pat", "sam")
    ]
    config.write_text(
        "users:\n" + "".join(people) + "escalation_policies:\n"
        "  - {name: soak, levels: [{targets: [pat], timeout: 1m}, {targets: [sam], timeout: 1h}]}\n"
        "services:\n  - {name: soak, escalation_policy: soak}\n"
    )
    firebell.cli("apply", "-f", str(config))
    return key, token


def run(database_url: str, workdir: Path, minutes: float, rate: float, seed: int) -> dict[str, Any]:
    receiver = Receiver()
    firebell = Firebell(database_url, workdir, "soak")
    key, token = setup(firebell, receiver)
    firebell.start()
    if firebell.proc is None:
        raise SystemExit("the server did not start")
    pid = firebell.proc.pid
    state = Soak()
    rng = random.Random(seed)
    stop = threading.Event()
    client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=32))
    api = httpx.Client(base_url=firebell.url, headers={"authorization": f"Bearer {token}"}, timeout=30)

    def post(event: dict[str, Any]) -> None:
        began = time.monotonic()
        try:
            status: int | str = client.post(f"{firebell.url}/v2/enqueue", json=event).status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        with state.lock:
            state.samples.append(Sample(began, (time.monotonic() - began) * 1000, status))

    def next_event(now: float) -> dict[str, Any]:
        with state.lock:
            old = state.open_keys and now - state.open_keys[0][0] > 30
            roll = rng.random()
            if old and roll < 0.35:
                _, dedup = state.open_keys.popleft()
                action = "resolve"
            elif state.open_keys and roll < 0.60:
                dedup = state.open_keys[rng.randrange(len(state.open_keys))][1]
                action = "trigger"
            else:
                dedup = uuid.uuid4().hex
                state.open_keys.append((now, dedup))
                state.sent_at[dedup] = time.time()
                action = "trigger"
        payload = {"summary": f"soak {dedup}", "source": "soak", "severity": "error"}
        return {"routing_key": key, "event_action": action, "dedup_key": dedup, "payload": payload}

    def acknowledger() -> None:
        """A responder acknowledges every third incident within seconds; the others page again a
        minute later unless their alert resolves first."""
        while not stop.wait(5):
            try:
                rows = api.get("/api/v1/incidents", params={"status": "detected", "limit": 500}).json()
            except (httpx.HTTPError, ValueError):
                continue
            for row in rows:
                if stop.is_set() or int(row["number"]) % 3:
                    continue
                if api.post(f"/api/v1/incidents/{row['number']}/acknowledge").status_code == 200:
                    state.acks += 1

    def sampler() -> None:
        while not stop.is_set():
            state.rss.append((time.monotonic(), rss_mb(pid)))
            stop.wait(10)

    threads = [threading.Thread(target=acknowledger, daemon=True), threading.Thread(target=sampler, daemon=True)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    end = started + minutes * 60
    interval = 1 / rate
    sent = 0
    with ThreadPoolExecutor(max_workers=16) as pool:
        next_at = started
        while (now := time.monotonic()) < end:
            if now < next_at:
                time.sleep(min(next_at - now, 0.05))
                continue
            pool.submit(post, next_event(now))
            sent += 1
            next_at += interval
            if now - next_at > 5:  # fallen far behind (a paused machine): do not burst to catch up
                next_at = now
            if sent % int(rate * WINDOW) == 0:
                print(f"  {(now - started) / 60:5.1f} min: {sent} sent, RSS {rss_mb(pid):.0f} MB", flush=True)
    stop.set()
    time.sleep(3)  # the last pages
    firebell.stop()
    client.close()
    api.close()
    return summarize(state, receiver, started, minutes, rate)


def summarize(state: Soak, receiver: Receiver, started: float, minutes: float, rate: float) -> dict[str, Any]:
    arrivals = receiver.take()
    first_page: dict[str, float] = {}
    pages_by_window: dict[int, int] = {}
    offset = time.time() - time.monotonic()
    for arrived, payload in arrivals:
        title = str(payload.get("incident", {}).get("title", ""))
        dedup = title.removeprefix("soak ")
        first_page.setdefault(dedup, arrived)
        window = int((arrived - offset - started) // WINDOW)
        pages_by_window[window] = pages_by_window.get(window, 0) + 1
    page_ms = {k: (t - state.sent_at[k]) * 1000 for k, t in first_page.items() if k in state.sent_at}
    page_window: dict[int, list[float]] = {}
    for k, ms in page_ms.items():
        page_window.setdefault(int((state.sent_at[k] - offset - started) // WINDOW), []).append(ms)
    windows = []
    for w in range(int(minutes * 60 // WINDOW) + (1 if (minutes * 60) % WINDOW else 0)):
        mine = [s for s in state.samples if w * WINDOW <= s.at - started < (w + 1) * WINDOW]
        ok = [s.latency_ms for s in mine if s.status == 202]
        seconds = min(WINDOW, minutes * 60 - w * WINDOW)
        rss = [mb for t, mb in state.rss if w * WINDOW <= t - started < (w + 1) * WINDOW]
        windows.append(
            {
                "minutes": f"{w * WINDOW / 60:.0f}-{(w * WINDOW + seconds) / 60:.0f}",
                "accepted_per_s": round(len(ok) / seconds, 1),
                "errors": len(mine) - len(ok),
                "intake_p50_ms": round(pct(ok, 0.5), 1) if ok else None,
                "intake_p99_ms": round(pct(ok, 0.99), 1) if ok else None,
                "page_p99_ms": round(pct(page_window.get(w, []), 0.99), 1) if page_window.get(w) else None,
                "pages": pages_by_window.get(w, 0),
                "rss_mb": round(statistics.median(rss), 1) if rss else None,
            }
        )
    ok_all = [s.latency_ms for s in state.samples if s.status == 202]
    warm = [mb for t, mb in state.rss if 60 <= t - started < 120] or [mb for _t, mb in state.rss[:3]]
    last = [mb for t, mb in state.rss if t - started >= minutes * 60 - 60] or [mb for _t, mb in state.rss[-3:]]
    return {
        "minutes": minutes,
        "target_rate": rate,
        "sent": len(state.samples),
        "accepted": len(ok_all),
        "errors": {str(k): v for k, v in _count(s.status for s in state.samples if s.status != 202).items()},
        "accepted_per_s": round(len(ok_all) / (minutes * 60), 1),
        "intake_p50_ms": round(pct(ok_all, 0.5), 1) if ok_all else None,
        "intake_p99_ms": round(pct(ok_all, 0.99), 1) if ok_all else None,
        "incidents_paged": len(page_ms),
        "pages": len(arrivals),
        "acknowledged": state.acks,
        "page_p50_ms": round(pct(list(page_ms.values()), 0.5), 1) if page_ms else None,
        "page_p99_ms": round(pct(list(page_ms.values()), 0.99), 1) if page_ms else None,
        "rss_start_mb": round(statistics.median(warm), 1) if warm else None,
        "rss_end_mb": round(statistics.median(last), 1) if last else None,
        "rss_max_mb": round(max((mb for _t, mb in state.rss), default=0.0), 1),
        "windows": windows,
    }


def _count(items: Any) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def print_report(target: str, result: dict[str, Any]) -> None:
    print(f"\n{target}: {result['minutes']} min at {result['target_rate']} alerts/s")
    print("| minutes | accepted/s | errors | intake p50 ms | intake p99 ms | first page p99 ms | pages | RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for w in result["windows"]:
        print(
            f"| {w['minutes']} | {w['accepted_per_s']} | {w['errors']} | {w['intake_p50_ms']} | "
            f"{w['intake_p99_ms']} | {w['page_p99_ms']} | {w['pages']} | {w['rss_mb']} |"
        )
    growth = None
    if result["rss_start_mb"] and result["rss_end_mb"]:
        growth = (result["rss_end_mb"] - result["rss_start_mb"]) / result["rss_start_mb"] * 100
    print(
        f"all: {result['sent']} sent, {result['accepted']} accepted ({result['accepted_per_s']}/s), errors "
        f"{result['errors'] or 'none'}; intake p50 {result['intake_p50_ms']} ms, p99 {result['intake_p99_ms']} ms; "
        f"{result['incidents_paged']} incidents paged, {result['pages']} pages, {result['acknowledged']} acknowledged; "
        f"alert to first page p50 {result['page_p50_ms']} ms, p99 {result['page_p99_ms']} ms; RSS "
        f"{result['rss_start_mb']} MB after the first minute, {result['rss_end_mb']} MB in the last "
        f"({'' if growth is None else f'{growth:+.1f} %'}), max {result['rss_max_mb']} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=25, help="alerts a second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fb-soak-"))
    url, drop = database("sqlite" if args.db == "sqlite" else "postgres", workdir, "soak")
    print(f"soak on {args.db} for {args.minutes} min at {args.rate} alerts/s (work in {workdir})", flush=True)
    try:
        result = run(url, workdir, args.minutes, args.rate, args.seed)
    finally:
        drop()
    print_report(args.db, result)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = args.output or ROOT / "bench" / "results" / f"soak-{args.db}-{stamp}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2))
    print(f"results: {output}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
