"""The demo's whole paging loop, as a newcomer runs it: `firebell serve --demo --port P`, then one
`firebell alert send` from another folder with nothing but what the demo wrote, then the page is
sent (`firebell deliveries`) and reads in the demo's inbox page."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIREBELL, Server, free_port, wait_ready

SUMMARY = "Checkout is down (demo loop test)"


@dataclass
class Demo:
    url: str
    env: dict[str, str]  # what a CLI in another shell has: no Firebell variables, the same config home
    log: Path
    config: Path


def _clean_env(config_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREBELL_")}
    env["XDG_CONFIG_HOME"] = str(config_home)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    base = tmp_path_factory.mktemp("demo-loop")
    config_home = base / "config"
    port = free_port()
    env = {
        **_clean_env(config_home),
        "FIREBELL_DATABASE_URL": f"sqlite:///{base / 'demo.db'}",
        "FIREBELL_DEMO_HISTORY_WEEKS": "0",
    }
    log = base / "server.log"
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [str(FIREBELL), "serve", "--demo", "--port", str(port)],
            env=env,
            cwd=base,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", env["FIREBELL_DATABASE_URL"], process, log)
    try:
        wait_ready(server)
        yield Demo(server.url, _clean_env(config_home), log, config_home / "firebell" / "cli.toml")
    finally:
        server.stop()


def _firebell(demo: Demo, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(FIREBELL), *args], env=demo.env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"firebell {' '.join(args)}: {result.stderr}"
    return result


def _logged_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/login",
        data={"email": "demo@firebell.local", "password": "firebell-demo", "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text[:500]
    return client


def test_the_banner_prints_the_real_address_and_the_cli_settings(demo: Demo) -> None:
    banner = demo.log.read_text()
    assert f"log in at {demo.url}/login" in banner
    assert f"{demo.url}/demo/inbox" in banner
    assert "8080" not in banner
    exported = re.search(r"export FIREBELL_URL=(\S+) FIREBELL_TOKEN=(\S+)", banner)
    assert exported is not None
    assert exported.group(1) == demo.url
    assert stat.S_IMODE(demo.config.stat().st_mode) == 0o600
    assert f'url = "{demo.url}"' in demo.config.read_text()
    assert f'token = "{exported.group(2)}"' in demo.config.read_text()


def test_one_alert_pages_the_on_call_person_into_the_inbox(demo: Demo, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # no firebell.db here: only the settings file tells where
    elsewhere.mkdir()
    sent = _firebell(
        demo,
        elsewhere,
        "alert",
        "send",
        "--service",
        "checkout",
        "--severity",
        "critical",
        "--summary",
        SUMMARY,
        "--json",
    )
    [result] = json.loads(sent.stdout)
    assert result["outcome"] == "created"
    assert result["incident_id"]

    incident = number = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        incidents = json.loads(_firebell(demo, elsewhere, "incident", "list", "--json").stdout)
        incident = next((i for i in incidents if i["title"] == SUMMARY), None)
        if incident is not None:
            number = str(incident["number"])
            rows = json.loads(_firebell(demo, elsewhere, "deliveries", "--incident", number, "--json").stdout)
            if any(r["channel"] == "email" and r["status"] == "sent" for r in rows):
                break
        time.sleep(0.5)
    else:
        pytest.fail(f"no email page sent for {SUMMARY!r}: {incident}\n{demo.log.read_text()[-2000:]}")
    emailed = [r for r in rows if r["channel"] == "email" and r["status"] == "sent"]
    person = emailed[0]["person"]
    address = emailed[0]["address"]
    assert person
    assert address.endswith("@firebell.local")

    client = _logged_in(demo.url)
    page = client.get("/demo/inbox")
    assert page.status_code == 200
    assert 'href="/demo/inbox"' in page.text  # in the navigation
    rows_html = page.text[page.text.index('id="inbox-rows"') :]
    first = rows_html[: rows_html.index("</article>")]
    assert address in first  # the newest message first: the page to the person on call
    assert f"#{number} {SUMMARY}" in first
    assert f"{person}, you are paged" in first
    partial = client.get("/demo/inbox?partial=1", headers={"hx-request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert SUMMARY in partial.text


def test_the_inbox_page_needs_a_login(demo: Demo) -> None:
    answer = httpx.get(f"{demo.url}/demo/inbox", timeout=10)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_the_demo_status_page_has_components_to_publish_to(demo: Demo, tmp_path: Path) -> None:
    listed = json.loads(_firebell(demo, tmp_path, "status", "components", "--json").stdout)
    assert {c["name"] for c in listed} >= {"Checkout", "Search", "Notifications"}
    assert "Checkout" in httpx.get(f"{demo.url}/status", timeout=10).text


def test_version(tmp_path: Path) -> None:
    result = subprocess.run([str(FIREBELL), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert re.fullmatch(r"firebell \d+\.\d+\.\d+\S*", result.stdout.strip())
