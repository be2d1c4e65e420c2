"""The live-update stream against a real server: an incident's page hears of changes to that incident
(and is told once for a burst of them), not of changes to other incidents; the lists hear of all."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import Server, cli, last_line
from tests.web_login import log_in

PASSWORD = "watcher-pass-123"


@contextmanager
def _listen(server: Server, cookie: str, query: str) -> Iterator[list[float]]:
    """The arrival times of `changed` events on /ui/stream`query`, while the block runs."""
    events: list[float] = []
    connected = threading.Event()
    stop = threading.Event()

    def read() -> None:
        try:
            listen()
        except httpx.HTTPError:
            if not stop.is_set():
                raise  # the server is stopped once the test is done with it

    def listen() -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=30)) as client,
            client.stream("GET", f"{server.url}/ui/stream{query}", cookies={"firebell_session": cookie}) as answer,
        ):
            for line in answer.iter_lines():
                if line.startswith(": connected"):
                    connected.set()
                if line.startswith("event: changed"):
                    events.append(time.monotonic())
                if stop.is_set():
                    return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert connected.wait(10)
    try:
        yield events
    finally:
        stop.set()


def _alert(server: Server, key: str, dedup: str) -> None:
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": dedup, "source": "s", "severity": "error"},
    }
    assert httpx.post(f"{server.url}/v2/enqueue", json=event).status_code == 202


def test_an_incident_page_hears_only_of_its_incident(server: Server) -> None:
    url = server.database_url
    cli(url, "service", "create", "web", "--grouping-window", "0")
    cli(url, "service", "create", "db", "--grouping-window", "0")
    web = last_line(cli(url, "integration", "create", "--service", "web", "--kind", "pagerduty"))
    db = last_line(cli(url, "integration", "create", "--service", "db", "--kind", "pagerduty"))
    cli(url, "user", "create", "watcher@example.com", "--role", "viewer", "--password", PASSWORD)
    token = last_line(cli(url, "token", "create", "--name", "t", "--scope", "read"))
    _alert(server, web, "web-1")
    _alert(server, db, "db-1")
    auth = {"authorization": f"Bearer {token}"}
    alerts = {a["dedup_key"]: a["incident_id"] for a in httpx.get(f"{server.url}/api/v1/alerts", headers=auth).json()}
    with httpx.Client(base_url=server.url) as browser:
        login = log_in(browser, "watcher@example.com", PASSWORD)
    cookie = login.cookies["firebell_session"]
    time.sleep(1.5)  # past the change watch's look at what these made

    with (
        _listen(server, cookie, f"?incident={alerts['web-1']}") as page,
        _listen(server, cookie, "") as board,
    ):
        _alert(server, db, "db-1")  # a repeat: the db incident changes
        time.sleep(2.5)  # past the change watch's next look too
        assert page == []
        assert board  # the lists hear of it
        for _ in range(5):  # a burst of repeats on the page's own incident
            _alert(server, web, "web-1")
        deadline = time.monotonic() + 10
        while not page and time.monotonic() < deadline:
            time.sleep(0.1)
        assert page, "the incident's page was not told its incident changed"
        time.sleep(2.5)
        # Coalesced: the burst (and the change watch noticing it) is at most a few refreshes, never five.
        assert len(page) <= 3
