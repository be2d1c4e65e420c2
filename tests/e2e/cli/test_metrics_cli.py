"""`firebell metrics` and `firebell report` through a running server, on the fixed history."""

from __future__ import annotations

import csv
import io
import json

from firebell.infra.db import make_engine
from tests.conftest import Server, cli, last_line
from tests.e2e.cli.test_cli import responder
from tests.integration import metrics_history as h

RANGE = ("--from", "2026-03-02", "--to", "2026-04-05")


def reader(server: Server) -> str:
    engine = make_engine(server.database_url)
    h.load(engine)
    engine.dispose()
    return last_line(cli(server.database_url, "token", "create", "--name", "lead", "--scope", "read"))


def test_metrics_and_reports_from_the_cli_and_bad_input(server: Server) -> None:
    token = reader(server)
    shown = responder(server, token, "metrics", *RANGE)
    assert shown.returncode == 0, shown.stderr
    assert "MTTA" in shown.stdout
    assert "11.4 min" in shown.stdout  # MTTA 684 s
    assert "missed" in shown.stdout
    assert "6 incidents opened, 1 still open, 1 resolved without an acknowledgement" in shown.stdout
    as_json = json.loads(responder(server, token, "metrics", *RANGE, "--team", "discovery", "--json").stdout)
    assert as_json["incidents"]["opened"] == 2
    as_csv = responder(server, token, "metrics", *RANGE, "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert next(r for r in rows if r["metric"] == "false_positives")["value"] == "30.0"
    weekly = responder(server, token, "report", "weekly", "--week", "2026-W10")
    assert weekly.returncode == 0, weekly.stderr
    assert "Tune or remove" in weekly.stdout
    assert "HighErrorRate" in weekly.stdout
    monthly = responder(server, token, "report", "monthly", "--month", "2026-03", "--format", "json")
    assert json.loads(monthly.stdout)["summary"]["opened"] == 6
    text = responder(server, token, "report", "monthly", "--month", "2026-03").stdout
    assert "Incident retrospective, March 2026" in text
    assert "higherrorrate" in text
    # Bad input: one line on stderr, exit status 1.
    for args, word in (
        (("metrics", "--from", "yesterday"), "from"),
        (("metrics", "--service", "nope"), "service"),
        (("report", "weekly", "--format", "xml"), "--format"),
        (("report", "monthly", "--month", "March"), "month"),
    ):
        result = responder(server, token, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert word in lines[0], (args, lines)
