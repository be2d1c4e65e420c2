"""A big incident, a busy machine: 100 people and scripts read one incident page at once (the web page
with a logged-in session, and the API with a token) while level-2 pages fall due and alerts keep
arriving. Readers have a pool of their own: each is answered (200, or 503 with Retry-After at once
when their pool is full, never a 30 s wait), and neither paging nor intake nor /healthz waits for them.

Expected: more readers than the web share serves at once (the CPUs but one), so each waits its
turn up to 0.5 s and then gets 503 with Retry-After, which the readers honour as clients should;
every one of the 100 readers is answered, every answer is a 200 or such a 503, and at least a fifth
of all answers are 200s (about 70 % on a quiet machine). While they read, an acknowledgement (a
write, with turns of its own) is answered within a second. Level-2 pages reach their webhook under a
second after they were due, intake answers within 100 ms (p99), /healthz within 0.5 s.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from firebell.infra.db import make_engine
from firebell.kernel.ids import new_id
from tests.conftest import REPORTS, cli, last_line, start_server
from tests.e2e.peers import HttpSink, http_sink
from tests.web_login import log_in

READERS = 100  # half the web page with a session, half the API with a token
PROCESSES = 4  # the readers are spread over
PAGES = 20  # level-2 pages falling due while they read
SPREAD = 6.0  # seconds over which the pages fall due
LEAD = 25.0  # seconds from planting the timers to the first one due (the server starts meanwhile)
PASSWORD = "reader-pass-123"


def _setup(database_url: str, tmp_path: Path, sink: HttpSink) -> tuple[str, str, str]:
    """A grouped service alerts pile into, a two-level policy paging webhooks, a reader with a
    password and a read token, a responder's token. Returns (integration key, token, responder's token)."""
    cli(database_url, "db", "upgrade")
    cli(database_url, "service", "create", "api", "--grouping", "service", "--grouping-window", "1h")
    cli(database_url, "service", "create", "pages", "--grouping-window", "0")
    key = last_line(cli(database_url, "integration", "create", "--service", "api", "--kind", "pagerduty"))
    config = tmp_path / "oncall.yaml"
    config.write_text(
        "users:\n"
        "  - {name: Sam, handle: sam, email: sam@example.com,\n"
        f"     contact_methods: [{{type: webhook, address: '{sink.url}/level1'}}]}}\n"
        "  - {name: Pat, handle: pat, email: pat@example.com,\n"
        f"     contact_methods: [{{type: webhook, address: '{sink.url}/level2'}}]}}\n"
        "escalation_policies:\n"
        "  - {name: two, levels: [{targets: [sam], timeout: 1m}, {targets: [pat], timeout: 1h}]}\n"
        "services:\n  - {name: pages, escalation_policy: two}\n"
    )
    cli(database_url, "apply", "-f", str(config))
    cli(database_url, "user", "create", "reader@example.com", "--role", "viewer", "--password", PASSWORD)
    token = last_line(cli(database_url, "token", "create", "--name", "readers", "--scope", "read"))
    responder = last_line(cli(database_url, "token", "create", "--name", "responder"))
    return key, token, responder


def _acknowledge(base: str, token: str, ref: str, after: float, answers: Answers) -> None:
    """A responder acknowledges the incident the crowd reads, `after` seconds into their reading."""
    time.sleep(after)
    with httpx.Client(base_url=base, timeout=30) as client:
        started = time.monotonic()
        answer = client.post(
            f"/api/v1/incidents/{ref}/status",
            json={"status": "acknowledged"},
            headers={"authorization": f"Bearer {token}"},
        )
        with answers.lock:
            answers.ack = (answer.status_code, time.monotonic() - started)


def _plant_level_two(database_url: str, first_due: datetime) -> None:
    """PAGES open incidents whose level 1 was paged a minute before their level 2 falls due, spread
    over SPREAD seconds from `first_due` (written before the server starts, as bench/escalation.py does)."""
    engine = make_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"

    def when(value: datetime) -> datetime:
        return value.replace(tzinfo=None) if sqlite else value  # SQLite keeps UTC without its zone

    with engine.begin() as conn:
        service_id, policy_id = conn.execute(
            sa.text("select id, escalation_policy_id from services where name = 'pages'")
        ).one()
        for n in range(PAGES):
            due = first_due + timedelta(seconds=SPREAD * n / PAGES)
            incident_id = new_id()
            conn.execute(
                sa.text(
                    "insert into incidents (id, number, title, status, sev, service_id, group_key, opened_at) "
                    "values (:id, :number, :title, 'detected', 'SEV-2', :service, :group, :opened)"
                ),
                {
                    "id": incident_id,
                    "number": 1000 + n,
                    "title": f"level two {n}",
                    "service": service_id,
                    "group": f"two-{n}",
                    "opened": when(due - timedelta(minutes=1)),
                },
            )
            conn.execute(
                sa.text(
                    "insert into escalations (id, incident_id, policy_id, state, started_at, steps_taken, next_due_at) "
                    "values (:id, :incident, :policy, 'active', :started, 1, :due)"
                ),
                {
                    "id": new_id(),
                    "incident": incident_id,
                    "policy": policy_id,
                    "started": when(due - timedelta(minutes=1)),
                    "due": when(due),
                },
            )
    engine.dispose()


Read = tuple[int, str, int, float, str]  # (reader, kind, status, seconds, Retry-After)


@dataclass
class Answers:
    lock: threading.Lock = field(default_factory=threading.Lock)
    reads: list[Read] = field(default_factory=list)
    intake: list[tuple[int, float]] = field(default_factory=list)
    health: list[tuple[int, float]] = field(default_factory=list)
    ack: tuple[int, float] = (0, 0.0)


async def _readers(
    base: str, ref: str, cookie: str, token: str, until: float, numbers: range
) -> tuple[list[Read], list[str]]:
    reads: list[Read] = []
    errors: list[str] = []
    # Idle connections are dropped before the server would close them (5 s), so no request races a close.
    limits = httpx.Limits(max_connections=len(numbers), max_keepalive_connections=len(numbers), keepalive_expiry=3)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def read(reader: int, kind: str) -> None:
            path = f"/incidents/{ref}" if kind == "page" else f"/api/v1/incidents/{ref}"
            headers = {"authorization": f"Bearer {token}"} if kind == "api" else {}
            cookies = {"firebell_session": cookie} if kind == "page" else {}
            while time.monotonic() < until:
                started = time.monotonic()
                try:
                    answer = await client.get(path, headers=headers, cookies=cookies)
                except httpx.HTTPError as exc:
                    errors.append(f"{kind}: {type(exc).__name__} {exc}")
                    continue
                elapsed = time.monotonic() - started
                retry = answer.headers.get("retry-after", "")
                reads.append((reader, kind, answer.status_code, elapsed, retry))
                if answer.status_code == 503 and retry.isdigit():
                    await asyncio.sleep(int(retry))  # as a well-behaved client does

        await asyncio.gather(*(read(n, "page" if n % 2 else "api") for n in numbers))
    return reads, errors


def read_in_a_process(
    base: str, ref: str, cookie: str, token: str, until: float, numbers: range
) -> tuple[list[Read], list[str]]:
    """Some of the readers, in a process of their own: the test's intake and health timings must not
    wait for the readers' share of this process's interpreter, and one process of a hundred clients
    would spend more time parsing answers than the server takes to give them."""
    return asyncio.run(_readers(base, ref, cookie, token, until, numbers))


def _send_alerts(base: str, key: str, until: float, answers: Answers) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            event = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": f"storm-{n}",
                "payload": {"summary": f"storm {n}", "source": "storm", "severity": "error"},
            }
            started = time.monotonic()
            status = client.post("/v2/enqueue", json=event).status_code
            with answers.lock:
                answers.intake.append((status, time.monotonic() - started))
            time.sleep(0.05)


def _probe_health(base: str, until: float, answers: Answers) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        while time.monotonic() < until:
            started = time.monotonic()
            status = client.get("/healthz").status_code
            with answers.lock:
                answers.health.append((status, time.monotonic() - started))
            time.sleep(0.25)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.mark.timeout(300)
def test_a_hundred_readers_of_an_incident_hold_up_neither_pages_nor_intake(database_url: str, tmp_path: Path) -> None:
    with http_sink() as sink:
        key, token, responder = _setup(database_url, tmp_path, sink)
        first_due = datetime.now(UTC) + timedelta(seconds=LEAD)
        _plant_level_two(database_url, first_due)
        env = {"FIREBELL_LIMITS__API_PER_SECOND": "0", "FIREBELL_LIMITS__INTAKE_PER_SECOND": "0"}
        server = start_server(database_url, tmp_path / "server.log", env=env)
        answers = Answers()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                first = client.post(
                    "/v2/enqueue",
                    json={
                        "routing_key": key,
                        "event_action": "trigger",
                        "dedup_key": "storm-0",
                        "payload": {"summary": "the big one", "source": "storm", "severity": "critical"},
                    },
                )
                assert first.status_code == 202, first.text
                login = log_in(client, "reader@example.com", PASSWORD)
                assert login.status_code == 303, login.text
                cookie = login.cookies["firebell_session"]
                alerts = client.get("/api/v1/alerts", headers={"authorization": f"Bearer {token}"}).json()
                ref = str(alerts[0]["incident_id"])
            # Read from shortly before the first page is due until shortly after the last.
            wait = (first_due - datetime.now(UTC)).total_seconds() - 3
            assert wait > 0, "the server took too long to start: the pages fell due before the readers came"
            time.sleep(wait)
            until = time.monotonic() + 3 + SPREAD + 2
            background = [
                threading.Thread(target=_send_alerts, args=(server.url, key, until, answers)),
                threading.Thread(target=_probe_health, args=(server.url, until, answers)),
                threading.Thread(target=_acknowledge, args=(server.url, responder, ref, 6, answers)),
            ]
            for thread in background:
                thread.start()
            spawn = multiprocessing.get_context("spawn")
            groups = [range(n, READERS, PROCESSES) for n in range(PROCESSES)]
            with ProcessPoolExecutor(PROCESSES, mp_context=spawn) as readers:
                running = [
                    readers.submit(read_in_a_process, server.url, ref, cookie, token, until, numbers)
                    for numbers in groups
                ]
                errors = []
                for each in running:
                    reads, failed = each.result(timeout=120)
                    answers.reads += reads
                    errors += failed
            for thread in background:
                thread.join(timeout=60)
            deadline = time.monotonic() + 15
            while len(sink.on("/level2")) < PAGES and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            server.stop()
        pages = sink.on("/level2")
    late = [page.at - datetime.fromisoformat(page.json()["page"]["due_at"]).timestamp() for page in pages]
    statuses: dict[tuple[str, int], int] = {}
    for _reader, kind, status, _seconds, _retry in answers.reads:
        statuses[kind, status] = statuses.get((kind, status), 0) + 1
    read_seconds = [seconds for *_, seconds, _retry in answers.reads]
    intake_ms = [seconds * 1000 for _s, seconds in answers.intake]
    health_ms = [seconds * 1000 for _s, seconds in answers.health]
    REPORTS.append(
        f"faults, {READERS} readers of one incident ({database_url.split(':')[0]}): answers {statuses}, "
        f"read p50 {statistics.median(read_seconds):.2f} s p99 {_p(read_seconds, 0.99):.2f} s; "
        f"level-2 pages {len(pages)}/{PAGES}, late max {max(late, default=-1):.2f} s; "
        f"intake {len(intake_ms)} p99 {_p(intake_ms, 0.99):.0f} ms; /healthz max {max(health_ms):.0f} ms; "
        f"acknowledgement {answers.ack[0]} in {answers.ack[1]:.2f} s"
    )
    assert errors == []
    for reader, kind, status, seconds, retry in answers.reads:
        assert status in (200, 503), (reader, kind, status)
        if status == 503:  # the readers' share was taken: said once its 0.5 s wait ran out, with when to retry
            assert retry, "a 503 without Retry-After"
            # Never the pool's old 30 s; the margin over 0.5 s is the loaded machine's scheduling of
            # the readers' own process, which this clock includes.
            assert seconds < 10, f"a 503 after {seconds:.1f} s"
    refused = [seconds for _r, _k, status, seconds, _retry in answers.reads if status == 503]
    # Told after the 0.5 s queue; the margin is the loaded machine's scheduling of the readers' process.
    assert not refused or statistics.median(refused) < 2.5
    # Writes have turns of their own: the acknowledgement does not queue behind the crowd.
    assert answers.ack[0] == 200, answers.ack
    assert answers.ack[1] < 1.0, f"the acknowledgement took {answers.ack[1]:.2f} s"
    answered = {reader for reader, *_ in answers.reads}
    assert answered == set(range(READERS)), f"readers never answered: {sorted(set(range(READERS)) - answered)}"
    # Most reads are served, not turned away: on a quiet machine about 70 % are 200s (bench/readers.py);
    # a loaded one serves fewer in the same time (44 % and 27 % seen on PostgreSQL in CI), never a token few.
    assert sum(1 for read in answers.reads if read[2] == 200) >= len(answers.reads) / 5
    # Every answer within the 0.5 s queue and the page's work (bench/readers.py measures p99 < 1 s on
    # a quiet machine; the margin here is for a loaded one).
    assert _p(read_seconds, 0.99) < 2.0, f"reads p99 {_p(read_seconds, 0.99):.2f} s"
    assert len(pages) == PAGES
    assert max(late) < 1.0, f"level-2 pages up to {max(late):.2f} s late"
    assert min(late) >= 0, "a page went out before it was due"
    assert all(status == 202 for status, _s in answers.intake)
    assert _p(intake_ms, 0.99) < 100
    assert all(status == 200 for status, _s in answers.health)
    assert max(health_ms) < 500
