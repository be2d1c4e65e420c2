"""A real Prometheus scrapes a running Firebell whose /metrics asks for a bearer token: the job that
sends the token is up and stores Firebell's series; the job without it, and the one with a wrong
token, are down with Firebell's 401."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Server, free_port, need_peer, start_server

PROMETHEUS = shutil.which("prometheus")
TOKEN = "scrape-9c41e0d7"


@contextmanager
def run_prometheus(tmp_path: Path, server: Server) -> Iterator[str]:
    target = server.url.removeprefix("http://")
    jobs = {"with-token": f"authorization: {{credentials: {TOKEN}}}", "wrong-token": "authorization: {credentials: x}"}
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        + "".join(
            f"  - job_name: {name}\n    {auth}\n    static_configs: [{{targets: ['{target}']}}]\n"
            for name, auth in jobs.items()
        )
        + f"  - job_name: no-token\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def _targets(url: str) -> dict[str, dict[str, Any]]:
    try:
        answer = httpx.get(f"{url}/api/v1/targets", timeout=2)
    except httpx.HTTPError:
        return {}
    return {t["labels"]["job"]: t for t in answer.json()["data"]["activeTargets"]} if answer.is_success else {}


def test_prometheus_scrapes_metrics_with_its_bearer_token_only(database_url: str, tmp_path: Path) -> None:
    need_peer(None if PROMETHEUS else "prometheus is not installed (apt-get install prometheus)")
    server = start_server(database_url, tmp_path / "server.log", env={"FIREBELL_METRICS__TOKEN": TOKEN})
    try:
        with run_prometheus(tmp_path, server) as url:
            deadline = time.monotonic() + 60
            targets = _targets(url)
            while time.monotonic() < deadline and (
                len(targets) < 3 or any(t["health"] == "unknown" for t in targets.values())
            ):
                time.sleep(0.5)
                targets = _targets(url)
            assert {job: t["health"] for job, t in targets.items()} == {
                "with-token": "up",
                "wrong-token": "down",
                "no-token": "down",
            }, targets
            assert "401" in targets["no-token"]["lastError"]
            assert "401" in targets["wrong-token"]["lastError"]
            answer = httpx.get(f"{url}/api/v1/query", params={"query": "firebell_ingest_queue_depth"}, timeout=5).json()
            jobs = {sample["metric"]["job"] for sample in answer["data"]["result"]}
            assert jobs == {"with-token"}, answer
    finally:
        server.stop()
