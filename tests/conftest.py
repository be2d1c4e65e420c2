"""Shared fixtures: a fresh database on SQLite and on PostgreSQL, an app, a running server."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

# The CLI's settings file (which `serve --demo` writes) goes to a directory of this run, never the
# user's own, so one test's demo token cannot answer for another's missing one.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="firebell-test-config-")
atexit.register(shutil.rmtree, os.environ["XDG_CONFIG_HOME"], True)

# Property tests: in CI the same examples every run (a failure there is a real one, and repeats),
# and no example database; on a workstation, fresh examples each run.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

PG_ADMIN_URL = os.environ.get("FIREBELL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FIREBELL = Path(sys.executable).parent / "firebell"


REPORTS: list[str] = []  # figures a test puts on record (the crash test's counts)
FIGURES: list[str] = []  # what the summary prints: gathered from the test reports, so that with
# pytest-xdist the workers' figures reach the process that prints


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    while REPORTS:
        report.user_properties.append(("figure", REPORTS.pop(0)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    FIGURES.extend(str(value) for key, value in report.user_properties if key == "figure")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures tests put on record are printed at the end of every run."""
    if FIGURES:
        terminalreporter.section("figures")
        for line in dict.fromkeys(FIGURES):
            terminalreporter.write_line(line)


def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {type(exc).__name__}"
    return None


def need_peer(reason: str | None) -> None:
    """Skip when a peer is missing, except in CI, where every peer test must run."""
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"peer missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database; PostgreSQL ones get a unique name and are dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'firebell.db'}"
        return
    need_peer(_pg_available())
    name = f"fb_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The tests' HTTP receivers listen on loopback, which outbound webhooks may not reach by default.
LOOPBACK_ALLOWED = {"FIREBELL_OUTBOUND__ALLOW": "127.0.0.0/8"}


def cli(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**LOOPBACK_ALLOWED, **os.environ, "FIREBELL_DATABASE_URL": database_url}
    result = subprocess.run([str(FIREBELL), *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"firebell {' '.join(args)} failed: {result.stderr}")
    return result


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    database_url: str, log: Path, *extra: str, env: dict[str, str] | None = None, verify: ssl.SSLContext | None = None
) -> Server:
    """A running `firebell serve`; with `verify` (trusting its certificate) it is asked over HTTPS."""
    port = free_port()
    full_env = {
        **LOOPBACK_ALLOWED,
        **os.environ,
        "FIREBELL_DATABASE_URL": database_url,
        "FIREBELL_PORT": str(port),
        **(env or {}),
    }
    handle = log.open("ab")
    process = subprocess.Popen([str(FIREBELL), "serve", *extra], env=full_env, stdout=handle, stderr=subprocess.STDOUT)
    url = f"{'https' if verify else 'http'}://127.0.0.1:{port}"
    return wait_ready(Server(url, database_url, process, log), verify)


def wait_ready(server: Server, verify: ssl.SSLContext | None = None) -> Server:
    """The server once it answers /readyz (60 s at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited early: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1, verify=verify or True).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.process.kill()
    raise AssertionError(f"server did not become ready: {server.log.read_text()[-2000:]}")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    cli(database_url, "db", "upgrade")
    running = start_server(database_url, tmp_path / "server.log")
    try:
        yield running
    finally:
        running.stop()
