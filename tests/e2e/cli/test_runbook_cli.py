"""`firebell runbook`: `lint` runs offline (no server, no database), as a service repository's CI runs
it; `import`, `list` and `coverage` go through a running server."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import FIREBELL, Server, cli, last_line
from tests.e2e.cli.test_cli import responder

FIXTURES = Path(__file__).resolve().parents[2] / "unit" / "runbooks" / "fixtures"


def offline(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command with nothing to talk to: an unreachable server and database."""
    env = {
        **os.environ,
        "FIREBELL_URL": "http://127.0.0.1:9",
        "FIREBELL_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none",
    }
    return subprocess.run([str(FIREBELL), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def ledger(tmp_path: Path, reviewed: date) -> Path:
    path = tmp_path / "RUNBOOK.md"
    path.write_text((FIXTURES / "ledger.md").read_text().replace("2026-02-02", reviewed.isoformat()))
    return path


def test_lint_passes_a_complete_runbook_and_fails_an_incomplete_one(tmp_path: Path) -> None:
    good = ledger(tmp_path, date.today() - timedelta(days=10))
    passed = offline("runbook", "lint", good.name, cwd=tmp_path)
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout.splitlines()[0] == "RUNBOOK.md: passes all 12 checklist items"
    assert "  pass  RUNBOOK.md:11: [1 Service overview and criticality defined]" in passed.stdout

    bad = tmp_path / "latency.md"
    bad.write_text((FIXTURES / "checkout-high-latency.md").read_text())
    failed = offline("runbook", "lint", good.name, bad.name, cwd=tmp_path)
    assert failed.returncode == 1
    assert "latency.md: fails checklist items 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12 (4 warnings)" in failed.stdout
    assert (
        "  FAIL  latency.md:7: [5 Monitoring dashboards linked] a dashboard is mentioned at line 7 "
        "but no dashboard URL is given"
    ) in failed.stdout
    as_json = json.loads(offline("runbook", "lint", "--json", good.name, bad.name, cwd=tmp_path).stdout)
    assert [(r["path"], r["passed"], r["failed_items"]) for r in as_json] == [
        ("RUNBOOK.md", True, []),
        ("latency.md", False, [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]),
    ]


def test_lint_stale_after_and_unreadable_files(tmp_path: Path) -> None:
    good = ledger(tmp_path, date.today() - timedelta(days=40))
    assert offline("runbook", "lint", good.name, cwd=tmp_path).returncode == 0
    stale = offline("runbook", "lint", "--stale-after", "30", good.name, cwd=tmp_path)
    assert stale.returncode == 1
    assert "RUNBOOK.md: fails checklist item 11" in stale.stdout
    missing = offline("runbook", "lint", good.name, "missing.md", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == ["error: cannot read missing.md: No such file or directory"]
    assert missing.stdout == ""
    (tmp_path / "binary.md").write_bytes(b"\xff\xfe\x00runbook")
    unreadable = offline("runbook", "lint", "binary.md", cwd=tmp_path)
    assert unreadable.returncode == 2
    assert unreadable.stderr.strip() == "error: cannot read binary.md: not UTF-8 text"
    assert offline("runbook", "lint", "--stale-after", "0", good.name, cwd=tmp_path).returncode == 2  # usage


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_list_and_coverage_through_the_server(server: Server, tmp_path: Path) -> None:
    cli(server.database_url, "service", "create", "ledger")
    cli(server.database_url, "service", "create", "orders")
    # Runbooks are written by admins of their team (ledger has none: an admin token, as CI would hold).
    token = last_line(cli(server.database_url, "token", "create", "--name", "ci", "--scope", "admin"))
    path = ledger(tmp_path, date.today() - timedelta(days=3))
    added = responder(server, token, "runbook", "import", str(path), "--service", "ledger")
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines()[0] == "added “Ledger Runbook” for ledger: passes the checklist"
    runbook_id = last_line(added)
    again = responder(server, token, "runbook", "import", str(path), "--service", "ledger")
    assert again.stdout.splitlines()[0].startswith("updated “Ledger Runbook”")
    assert last_line(again) == runbook_id
    rows = json.loads(responder(server, token, "runbook", "list", "--json").stdout)
    assert [(r["id"], r["service"], r["passed"]) for r in rows] == [(runbook_id, "ledger", True)]
    covered = responder(server, token, "runbook", "coverage")
    assert covered.stdout.splitlines()[0] == (
        "coverage 50.0%: 1 of 2 services have a runbook reviewed within 90 days; 1 pass every checklist item"
    )
    assert "orders" in covered.stdout
    short = responder(server, token, "runbook", "coverage", "--fail-under", "75")
    assert short.returncode == 1
    assert short.stderr.strip() == "error: coverage 50.0% is under 75.0%"
    unknown = responder(server, token, "runbook", "import", str(path), "--service", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: HTTP 422: service: no service named 'nope'"
