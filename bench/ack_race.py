"""Benchmark of the acknowledgement race: does a page ever arrive after the acknowledgement's 2xx?

Many open incidents whose level 2 falls due one after another (written straight into the database
before the server starts, like bench/escalation.py); each is acknowledged through the API right around
the instant its level 2 falls due (a few tens of milliseconds before or after), so the engine paging
level 2, the sender and the acknowledgement race each other. A local HTTP receiver stands in for the
people's webhooks and keeps when each page arrived.

Counted, per database:

* **late**: level-2 pages that arrived after the acknowledgement's 2xx for their incident (must be 0);
* **dishonest**: incidents whose timeline says level 2 was paged although none of its notifications
  went out and no entry says they were cancelled, or says they were cancelled although one went out
  (must be 0);
* how each race ended: level 2 reached before the acknowledgement, paged and then cancelled, or
  answered before level 2 was paged at all.

    .venv/bin/python bench/ack_race.py                      # 1,000 races on SQLite and PostgreSQL
    .venv/bin/python bench/ack_race.py --only sqlite --races 50 --spread 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from escalation import Firebell, Receiver, _dates, database

LEVEL_ONE = timedelta(minutes=5)  # level 1's timeout; the planted escalations have paged level 1


def setup(firebell: Firebell, receiver: Receiver) -> str:
    """Schema, a two-level policy paging two people's webhooks, and a token that may acknowledge."""
    firebell.cli("db", "upgrade")
    firebell.cli("service", "create", "race", "--grouping-window", "0")
    config = firebell.workdir / f"{firebell.name}.yaml"
    config.write_text(
        "users:\n"
        "  - {name: Pat, handle: pat, email: pat@example.com,\n"
        f"     contact_methods: [{{type: webhook, address: '{receiver.url}'}}]}}\n"
        "  - {name: Sam, handle: sam, email: sam@example.com,\n"
        f"     contact_methods: [{{type: webhook, address: '{receiver.url}'}}]}}\n"
        "escalation_policies:\n"
        "  - {name: race, levels: [{targets: [pat], timeout: 5m}, {targets: [sam], timeout: 1h}]}\n"
        "services:\n  - {name: race, escalation_policy: race}\n"
    )
    firebell.cli("apply", "-f", str(config))
    return firebell.cli("token", "create", "--name", "race", "--scope", "respond")


def plant(database_url: str, dues: list[datetime]) -> list[int]:
    """One open incident per instant, its escalation at level 2, due then; their numbers."""
    import sqlalchemy as sa

    from firebell.infra.db import make_engine
    from firebell.kernel.ids import new_id

    engine = make_engine(database_url)
    with engine.begin() as conn:
        service_id, policy_id = conn.execute(sa.text("select id, escalation_policy_id from services")).one()
        base = int(conn.execute(sa.text("select coalesce(max(number), 0) from incidents")).scalar_one())
        incidents, escalations = [], []
        for n, due in enumerate(dues):
            incident_id = new_id()
            started = due - LEVEL_ONE
            incidents.append(
                {
                    "id": incident_id,
                    "number": base + n + 1,
                    "title": f"race {n}",
                    "status": "detected",
                    "sev": "SEV-2",
                    "service_id": service_id,
                    "group_key": f"race-{n}",
                    "opened_at": started,
                }
            )
            escalations.append(
                {
                    "id": new_id(),
                    "incident_id": incident_id,
                    "policy_id": policy_id,
                    "state": "active",
                    "started_at": started,
                    "steps_taken": 1,
                    "next_due_at": due,
                }
            )
        columns = "id, number, title, status, sev, service_id, group_key, opened_at"
        values = ":id, :number, :title, :status, :sev, :service_id, :group_key, :opened_at"
        conn.execute(sa.text(f"insert into incidents ({columns}) values ({values})"), _dates(incidents, conn))
        columns = "id, incident_id, policy_id, state, started_at, steps_taken, next_due_at"
        values = ":id, :incident_id, :policy_id, :state, :started_at, :steps_taken, :next_due_at"
        conn.execute(sa.text(f"insert into escalations ({columns}) values ({values})"), _dates(escalations, conn))
    engine.dispose()
    return [int(row["number"]) for row in incidents]


def timelines(database_url: str) -> dict[int, dict[str, set[int]]]:
    """Per incident number: the levels its timeline says were paged, and those it says were cancelled,
    and the levels with a notification sent."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    found: dict[int, dict[str, set[int]]] = {}
    with engine.connect() as conn:
        events = conn.execute(
            sa.text(
                "select i.number, e.kind, e.data from incident_events e join incidents i on i.id = e.incident_id "
                "where e.kind in ('paged', 'page_cancelled')"
            )
        ).all()
        sent = conn.execute(
            sa.text(
                "select i.number, p.level from deliveries d join pages p on p.id = d.page_id "
                "join incidents i on i.id = d.incident_id where d.status = 'sent'"
            )
        ).all()
    engine.dispose()
    for number, kind, data in events:
        doc = json.loads(data) if isinstance(data, str) else (data or {})
        entry = found.setdefault(int(number), {"paged": set(), "page_cancelled": set(), "sent": set()})
        entry[str(kind)].add(int(doc.get("level", 0)))
    for number, level in sent:
        found.setdefault(int(number), {"paged": set(), "page_cancelled": set(), "sent": set()})["sent"].add(level)
    return found


def race(database_url: str, workdir: Path, name: str, races: int, spread: float, jitter: float) -> dict[str, Any]:
    receiver = Receiver()
    firebell = Firebell(database_url, workdir, name)
    token = setup(firebell, receiver)
    first = datetime.now(UTC) + timedelta(seconds=20)
    dues = [first + timedelta(seconds=spread * n / races) for n in range(races)]
    numbers = plant(database_url, dues)
    firebell.start()
    draw = random.Random(races)
    answered: dict[int, tuple[float, int]] = {}  # number -> (time of the 2xx, status)
    lock = threading.Lock()

    def acknowledge(client: Any, number: int, at: float) -> None:
        time.sleep(max(0.0, at - time.time()))
        response = client.post(f"{firebell.url}/api/v1/incidents/{number}/acknowledge")
        done = time.time()
        with lock:
            answered[number] = (done, response.status_code)

    import httpx

    try:
        if time.time() > dues[0].timestamp() - 1:
            raise SystemExit("the server took too long to start: the first races are already due")
        with (
            httpx.Client(timeout=30, headers={"authorization": f"Bearer {token}"}) as client,
            ThreadPoolExecutor(max_workers=16) as pool,
        ):
            for number, due in zip(numbers, dues, strict=True):
                pool.submit(acknowledge, client, number, due.timestamp() + draw.uniform(-jitter, jitter))
        time.sleep(2)  # a page sent after an acknowledgement would arrive by now
    finally:
        firebell.stop()
    arrivals: dict[int, list[float]] = {}
    for at, body in receiver.take():
        if body.get("event") == "page" and body["page"]["level"] == 2:
            arrivals.setdefault(int(body["incident"]["number"]), []).append(at)
    book = timelines(database_url)
    late = dishonest = reached = cancelled = unpaged = 0
    for number in numbers:
        acked_at, _status = answered.get(number, (0.0, 0))
        late += sum(1 for at in arrivals.get(number, []) if at > acked_at)
        entry = book.get(number, {"paged": set(), "page_cancelled": set(), "sent": set()})
        paged, dropped, sent = 2 in entry["paged"], 2 in entry["page_cancelled"], 2 in entry["sent"]
        went_out = sent or bool(arrivals.get(number))
        if (paged and not went_out and not dropped) or (dropped and went_out) or (went_out and not paged):
            dishonest += 1
        if went_out:
            reached += 1
        elif paged:
            cancelled += 1
        else:
            unpaged += 1
    statuses: dict[str, int] = {}
    for _at, status in answered.values():
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "races": races,
        "acknowledged": statuses,
        "late": late,
        "dishonest": dishonest,
        "reached_before_ack": reached,
        "paged_then_cancelled": cancelled,
        "answered_before_paging": unpaged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="sqlite,postgres")
    parser.add_argument("--races", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=100.0, help="seconds over which level 2 falls due")
    parser.add_argument("--jitter", type=float, default=0.08, help="acknowledge within ± this of the due time (s)")
    parser.add_argument("--json", default="", help="also write the results to this file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="firebell-bench-ack-race-"))
    print(f"work directory {workdir}; {os.cpu_count()} CPUs; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    results: dict[str, Any] = {}
    try:
        for target in args.only.split(","):
            url, drop = database(target, workdir, "race")
            try:
                results[target] = race(url, workdir, target, args.races, args.spread, args.jitter)
            finally:
                drop()
            print(f"{target}: {results[target]}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print()
    print("| database | races | ack 2xx | pages after the ack's 2xx | timeline dishonest | "
          "reached first | paged, then cancelled | answered before paging |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for target, r in results.items():
        ok = sum(n for status, n in r["acknowledged"].items() if status.startswith("2"))
        print(
            f"| {target} | {r['races']:,} | {ok:,} | {r['late']} | {r['dishonest']} | {r['reached_before_ack']:,} | "
            f"{r['paged_then_cancelled']:,} | {r['answered_before_paging']:,} |"
        )
    if any(r["late"] or r["dishonest"] for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
