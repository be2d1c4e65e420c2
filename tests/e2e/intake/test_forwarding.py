"""A parallel run where Firebell forwards: senders point at Firebell alone, and every body an
integration accepts is sent on to the old tool as received, so both page until the cutover.

The old tools are stand-ins built from the vendors' API references (tests/e2e/intake/old_tools.py).
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.conftest import Server, cli, free_port, last_line, start_server
from tests.e2e.intake.old_tools import old_tool, wait_until

PD_ROUTING_KEY = "R0123456789ABCDEF0123456789ABCDE"
GENIE_KEY = "eb243592-faa2-4ba2-a551-1afdf565c889"


def _scalar(database_url: str, sql: str) -> object:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def _integration(server: Server, token: str) -> dict[str, object]:
    listed = httpx.get(f"{server.url}/api/v1/integrations", headers={"authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()
    assert isinstance(row, dict)
    return row


def _metric(server: Server, outcome: str) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    line = f'firebell_forwards_total{{outcome="{outcome}"}} '
    found = [float(x.split(" ")[-1]) for x in text.splitlines() if x.startswith(line)]
    return found[0] if found else 0.0


def test_pagerduty_events_are_forwarded_through_an_outage_a_crash_and_a_switch_off(
    database_url: str, tmp_path: Path
) -> None:
    db = database_url
    cli(db, "db", "upgrade")
    cli(db, "service", "create", "payments", "--grouping-window", "0")
    cli(db, "integration", "create", "--service", "payments", "--kind", "pagerduty", "--key", PD_ROUTING_KEY)
    token = last_line(cli(db, "token", "create", "--name", "ci", "--scope", "admin"))
    port = free_port()  # the old tool is down: nothing listens here yet
    target = f"http://127.0.0.1:{port}/v2/enqueue"
    bad = cli(db, "integration", "forward", "--service", "payments", "--integration", "payments pagerduty", "--to",
              "ftp://old.example.com", check=False)  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1
    assert "forward_to" in bad.stderr
    cli(db, "integration", "forward", "--service", "payments", "--integration", "payments pagerduty", "--to", target)

    server = start_server(db, tmp_path / "server.log")
    event = {
        "routing_key": PD_ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "card-auth",
        "payload": {"summary": "Card authorisations failing", "source": "gw-1", "severity": "critical"},
    }
    raw = json.dumps(event, separators=(",", ":")).encode()
    started = time.monotonic()
    answer = httpx.post(f"{server.url}/v2/enqueue", content=raw, headers={"content-type": "application/json"})
    took = time.monotonic() - started
    assert answer.status_code == 202, answer.text
    assert took < 2.0  # the old tool being down does not hold up intake
    # Intake keeps answering fast while forwards to the dead tool are retried.
    for n in range(5):
        quick = time.monotonic()
        more = {**event, "dedup_key": f"other-{n}", "event_action": "trigger"}
        assert httpx.post(f"{server.url}/v2/enqueue", json=more).status_code == 202
        assert time.monotonic() - quick < 2.0
    wait_until(lambda: "ConnectError" in str(_integration(server, token)["forward_status"]), 20, "a refused forward")
    assert int(str(_integration(server, token)["forward_failures"])) >= 1
    assert _metric(server, "retry") >= 1

    # A crash loses neither the alerts answered 202 nor their forwards.
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    pending = _scalar(db, "select count(*) from forwards where status = 'pending'")
    assert pending == 6
    with old_tool("pagerduty", port) as tool:
        tool.next_statuses = [500, 429]
        restarted = start_server(db, tmp_path / "server2.log")
        try:
            wait_until(lambda: len(tool.answered(202)) == 6, 60, "every forward delivered")
            time.sleep(2.5)  # a second or two more: nothing is sent twice
            delivered = tool.answered(202)
            assert len(tool.requests) == 8  # two refused (500, 429), then one each
            assert [r.status for r in tool.requests[:2]] == [500, 429]
            assert tool.requests[0].body == tool.requests[1].body == delivered[0].body == raw  # the same bytes
            assert [json.loads(r.body)["dedup_key"] for r in delivered] == [
                "card-auth",
                *(f"other-{n}" for n in range(5)),
            ]  # in the order Firebell accepted them
            assert all(r.path == "/v2/enqueue" for r in delivered)
            assert all(r.headers["content-type"] == "application/json" for r in delivered)
            assert _scalar(db, "select count(*) from forwards") == 0
            assert _scalar(db, "select count(*) from alerts") == 6  # stored in Firebell too
            shown = _integration(restarted, token)
            assert (shown["forward_to"], shown["forward_failures"]) == (target, 0)
            assert str(shown["forward_status"]).startswith("HTTP 202")
            assert _metric(restarted, "sent") == 6
            assert _metric(restarted, "retry") == 2

            # The switch: off, and what arrives next is Firebell's alone.
            cli(db, "integration", "forward", "--service", "payments", "--integration", "payments pagerduty", "--off")
            late = {**event, "dedup_key": "after-cutover"}
            assert httpx.post(f"{restarted.url}/v2/enqueue", json=late).status_code == 202
            time.sleep(2.5)
            assert len(tool.requests) == 8
            assert _scalar(db, "select count(*) from alerts where dedup_key = 'after-cutover'") == 1
            assert _integration(restarted, token)["forward_to"] is None
        finally:
            restarted.stop()


def test_opsgenie_requests_keep_their_path_and_key(server: Server) -> None:
    db = server.database_url
    cli(db, "service", "create", "search")
    port = free_port()
    target = f"http://127.0.0.1:{port}/v2/alerts"
    made = cli(db, "integration", "create", "--service", "search", "--kind", "opsgenie", "--key", GENIE_KEY,
               "--forward-to", target)  # fmt: skip
    assert last_line(made) == GENIE_KEY
    genie = {"authorization": f"GenieKey {GENIE_KEY}", "content-type": "application/json"}
    create = json.dumps({"message": "Search latency high", "alias": "search-latency", "priority": "P2"}).encode()
    ack = json.dumps({"user": "ana", "note": "looking"}).encode()
    with old_tool("opsgenie", port) as tool, httpx.Client(base_url=server.url) as http:
        assert http.post("/v2/alerts", content=create, headers=genie).status_code == 202
        acked = http.post("/v2/alerts/search-latency/acknowledge?identifierType=alias", content=ack, headers=genie)
        assert acked.status_code == 202, acked.text
        wait_until(lambda: len(tool.answered(202)) == 2, 30, "both Opsgenie requests forwarded")
    first, second = tool.requests
    assert (first.path, first.body, first.headers["authorization"]) == ("/v2/alerts", create, f"GenieKey {GENIE_KEY}")
    assert (second.path, second.body) == ("/v2/alerts/search-latency/acknowledge?identifierType=alias", ack)
    assert second.headers["authorization"] == f"GenieKey {GENIE_KEY}"
