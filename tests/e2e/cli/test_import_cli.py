"""`firebell import` through a running server: a Rich summary, the same file again changes nothing,
and a bad file is one line on stderr and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Server, cli, last_line
from tests.e2e.cli.test_catalog_cli import one_error_line
from tests.e2e.cli.test_cli import responder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "history"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_history_through_the_server(server: Server, tmp_path: Path) -> None:
    token = last_line(cli(server.database_url, "token", "create", "--name", "ci", "--scope", "admin"))
    pagerduty = str(FIXTURES / "pagerduty_incidents.csv")

    missing = responder(server, token, "import", pagerduty, "--format", "pagerduty")
    assert one_error_line(missing).startswith(
        "error: HTTP 422: no service named checkout (line 2), payments-db (line 3)"
    )

    dry = responder(server, token, "import", pagerduty, "--format", "pagerduty", "--create-services", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: nothing written" in dry.stdout
    made = responder(server, token, "import", pagerduty, "--format", "pagerduty", "--create-services")
    assert made.returncode == 0, made.stderr
    assert "Imported: pagerduty_incidents.csv (pagerduty)" in made.stdout
    assert "incident numbers #1 to #3" in made.stdout
    assert "services created: checkout, payments-db" in made.stdout
    again = responder(server, token, "import", pagerduty, "--format", "pagerduty", "--json")
    assert '"incidents": {"imported": 0, "skipped": 3}' in again.stdout

    history = str(FIXTURES / "firebell_history.jsonl")
    linked = responder(server, token, "import", history, "--format", "firebell", "--zone", "Europe/Berlin")
    assert linked.returncode == 0, linked.stderr
    shown = responder(server, token, "incident", "show", "4")
    assert shown.returncode == 0, shown.stderr
    assert "Checkout errors after deploy" in shown.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kind,id,service,title,opened_at\nincident,1,checkout,Down,2024-03-01T00:00:00Z\nalert,2,checkout,Up,nope\n"
    )
    assert one_error_line(responder(server, token, "import", str(bad), "--format", "firebell")) == (
        "error: HTTP 422: line 3, opened_at: 'nope' is not a time: use ISO 8601 (2024-03-31T02:30:00+02:00) "
        "or epoch seconds/milliseconds; nothing was imported"
    )
    assert one_error_line(responder(server, token, "import", str(bad), "--format", "splunk")).startswith(
        "error: --format 'splunk'"
    )
    assert one_error_line(responder(server, token, "import", str(tmp_path / "none.csv"), "--format", "firebell")) == (
        f"error: cannot read {tmp_path / 'none.csv'}: No such file or directory"
    )
    assert one_error_line(
        responder(server, token, "import", pagerduty, "--format", "pagerduty", "--zone", "Mars/Base")
    ).startswith("error: HTTP 422: zone: 'Mars/Base' is not a time zone")
