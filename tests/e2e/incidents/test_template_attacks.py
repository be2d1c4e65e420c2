"""The attacks that once took a server from 1.2 GB to 4.3 GB or froze it for 32 s, sent to a running
`firebell serve`: each is refused with a 422 naming the template's body, the server's own memory
(VmRSS and its peak VmHWM, from /proc) stays put, and health checks and alert intake sent all the while keep answering
within half a second, also while the composer renders a template that loops for ever."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from firebell.incidents.repo import SqlIncidentRepo
from tests.conftest import REPORTS, Server, cli, last_line
from tests.web_login import log_in

NESTED_LOOPS = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
ATTACKS = {
    "percent width": "{{ '%1000000000s' % 'x' }}",
    "ljust": "{{ 'x'.ljust(1000000000) }}",
    "nested loops": NESTED_LOOPS,
    "big range": "{{ range(100000000)|list|length }}",
    "output flood": "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
    "memory flood": "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
}
STALL_LIMIT = 1.0  # seconds a health check or an alert may take while a hostile render runs (it was 23-32 s)
PASSWORD = "pw-123456"


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory now (VmRSS) or at its peak so far (VmHWM), from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


@contextmanager
def _probing(url: str, key: str) -> Iterator[list[float]]:
    """Health checks and PagerDuty-style alerts sent in turn every 50 ms; their answer times."""
    times: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=url, timeout=10) as http:
            n = 0
            while not stop.is_set():
                n += 1
                started = time.perf_counter()
                if n % 2:
                    assert http.get("/healthz").status_code == 200
                else:
                    event = {
                        "routing_key": key,
                        "event_action": "trigger",
                        "dedup_key": f"probe-{n}",
                        "payload": {"summary": f"probe {n}", "source": "probe", "severity": "warning"},
                    }
                    assert http.post("/v2/enqueue", json=event).status_code == 202
                times.append(time.perf_counter() - started)
                stop.wait(0.05)

    thread = threading.Thread(target=probe)
    thread.start()
    try:
        yield times
    finally:
        stop.set()
        thread.join()


def _during(url: str, key: str, attack: Callable[[], httpx.Response]) -> tuple[httpx.Response, float, float]:
    """(the attack's answer, how long it took, the slowest probe answer while it ran)."""
    with _probing(url, key) as times:
        time.sleep(0.2)
        started = time.perf_counter()
        answer = attack()
        took = time.perf_counter() - started
        time.sleep(0.2)
    assert len(times) >= 2, times
    return answer, took, max(times)


def _store_unchecked(database_url: str, source: str) -> None:
    """A template stored as one saved before the limits was: straight into the table."""
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        SqlIncidentRepo(conn).save_template("update.slack", source, datetime.now(UTC), "before-the-limits")
    engine.dispose()


def test_hostile_templates_neither_grow_the_server_nor_stall_intake(server: Server) -> None:
    db, url, pid = server.database_url, server.url, server.process.pid
    token = last_line(cli(db, "token", "create", "--name", "ic", "--scope", "respond"))
    cli(db, "service", "create", "checkout")
    key = last_line(cli(db, "integration", "create", "--service", "checkout", "--kind", "pagerduty"))
    cli(db, "user", "create", "ic@example.com", "--role", "responder", "--password", PASSWORD)
    api = httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=30)
    declared = api.post(
        "/api/v1/incidents", json={"title": "Checkout down", "severity": "SEV-2", "service": "checkout"}
    )
    number = declared.json()["number"]
    warm = api.post(f"/api/v1/incidents/{number}/communications/preview", json={"template": "update.slack"})
    assert warm.status_code == 200, warm.text
    web = httpx.Client(base_url=url, timeout=30)  # logged in first: a password check itself takes 64 MiB
    assert log_in(web, "ic@example.com", PASSWORD).status_code < 400
    before, peak_before = _rss_mb(pid), _rss_mb(pid, "VmHWM")
    for name, source in ATTACKS.items():
        answer, took, slowest = _during(
            url, key, lambda s=source: api.put("/api/v1/message-templates/update.slack", json={"body": s})
        )
        assert answer.status_code == 422, (name, answer.text)
        (detail,) = answer.json()["error"]["details"]
        assert detail["field"] == "body", (name, detail)
        assert detail["message"].startswith("the template exceeded"), (name, detail)
        assert slowest < STALL_LIMIT, f"{name}: a probe waited {slowest:.2f} s"
        REPORTS.append(f"template attack {name}: 422 in {took:.2f} s, slowest probe {slowest * 1000:.0f} ms")

    _store_unchecked(db, NESTED_LOOPS)
    page, took, slowest = _during(
        url, key, lambda: web.post(f"/incidents/{number}/compose", data={"template": "update.slack"})
    )
    assert page.status_code == 200
    assert "the template exceeded 2 s" in page.text
    assert took < 4, took
    assert slowest < STALL_LIMIT, f"a probe waited {slowest:.2f} s"
    REPORTS.append(f"composer with a looping template: {took:.2f} s, slowest probe {slowest * 1000:.0f} ms")

    after, peak = _rss_mb(pid), _rss_mb(pid, "VmHWM")
    REPORTS.append(
        f"server VmRSS {before:.0f} MB before the attacks, {after:.0f} MB after; "
        f"its peak (VmHWM) {peak_before:.0f} MB before, {peak:.0f} MB after"
    )
    assert after - before < 50, f"the server grew by {after - before:.0f} MB"
    assert peak - peak_before < 50, f"the server's peak grew by {peak - peak_before:.0f} MB"
