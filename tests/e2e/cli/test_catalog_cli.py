"""`firebell catalog import/export` and `firebell service show` through a running server: files are
sent together, messages name the file and its document, and bad input is one line and exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import Server, cli, last_line
from tests.e2e.cli.test_cli import responder
from tests.integration.test_catalog import POLICY as ONCALL
from tests.unit.catalog.test_backstage import CATALOG_INFO

POLICY = (
    ONCALL.replace("checkout-primary", "artists-primary")
    + """\
services:
  - name: payments-db
    tier: 1
    owner_team: Payments Team
    slos:
      - {kind: availability, target: 99.99%}
    dashboards:
      - {title: Database Performance, url: "https://grafana.example.com/d/db-perf"}
"""
)


def files(tmp_path: Path) -> tuple[Path, Path]:
    """The documented catalog split in two files: the web component in one, the rest in the other."""
    web, *rest = CATALOG_INFO.split("---\n")
    first, second = tmp_path / "web.yaml", tmp_path / "others.yaml"
    first.write_text(web.replace("    - resource:default/artists-db\n", "    - component:payments-db\n"))
    second.write_text("---\n".join(rest))
    return first, second


def one_error_line(result: object) -> str:
    assert result.returncode == 1  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    return str(lines[0])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_export_and_show_through_the_server(server: Server, tmp_path: Path) -> None:
    cli(server.database_url, "service", "create", "payments-db")
    (tmp_path / "oncall.yaml").write_text(POLICY)
    cli(server.database_url, "apply", "-f", str(tmp_path / "oncall.yaml"))
    token = last_line(cli(server.database_url, "token", "create", "--name", "ci", "--scope", "admin"))
    web, others = files(tmp_path)

    imported = responder(server, token, "catalog", "import", str(web), str(others))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        "created artist-web",
        "created artist-lookup",
        "2 created, 0 updated, 0 unchanged (services)",
    ]
    assert f"warning: {web}: documents.0.metadata.links.2.url: skipped: only http(s) links become dashboards" in (
        imported.stderr
    )
    assert f"warning: {others}: documents.0.kind: skipped a Group" in imported.stderr
    again = responder(server, token, "catalog", "import", str(web), str(others))
    assert again.stdout.splitlines()[-1] == "0 created, 0 updated, 2 unchanged (services)"

    shown = responder(server, token, "service", "show", "artist-web")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "artist-web: Tier 1 - Business Critical"
    for line in (
        "Owner: artist-relations-team",
        "Escalation policy: artists-primary",
        "Runbook: https://wiki.example-org.com/artist-web/runbook (not stored in Firebell)",
        "  Availability: 99.9% (30-day rolling)",
        "  Admin Dashboard: https://admin.example-org.com",
        "Depends on: artist-lookup, payments-db",
        "Depended on by: nothing",
    ):
        assert line in lines, shown.stdout
    db = responder(server, token, "service", "show", "payments-db").stdout.splitlines()
    assert "Depended on by: artist-web" in db
    assert "  Availability: 99.99% (30-day rolling)" in db

    out = tmp_path / "exported.yaml"
    exported = responder(server, token, "catalog", "export", "-o", str(out))
    assert exported.stdout.strip() == f"wrote 3 service(s) to {out}"
    entities = list(yaml.safe_load_all(out.read_text()))
    assert [e["metadata"]["name"] for e in entities] == ["artist-lookup", "artist-web", "payments-db"]
    printed = responder(server, token, "catalog", "export")
    assert printed.stdout == out.read_text()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_input_is_one_line_naming_the_file(server: Server, tmp_path: Path) -> None:
    token = last_line(cli(server.database_url, "token", "create", "--name", "ci", "--scope", "admin"))
    web, others = files(tmp_path)
    others.write_text(others.read_text().replace("  owner: group:default/artist-relations-team\n", ""))
    refused = responder(server, token, "catalog", "import", str(web), str(others))
    assert one_error_line(refused) == (f"error: HTTP 422: {others}: documents.2.spec.owner: must be a non-empty string")
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: Component\nmetadata: name: x\n")
    assert one_error_line(responder(server, token, "catalog", "import", str(broken))) == (
        f"error: {broken}: not valid YAML at line 2: mapping values are not allowed here"
    )
    missing = responder(server, token, "catalog", "import", str(tmp_path / "missing.yaml"))
    assert one_error_line(missing) == f"error: cannot read {tmp_path / 'missing.yaml'}: No such file or directory"
    assert one_error_line(responder(server, token, "service", "show", "nope")) == (
        "error: HTTP 404: no service named nope"
    )
    reader = last_line(cli(server.database_url, "token", "create", "--name", "ro", "--scope", "read"))
    assert "HTTP 403" in one_error_line(responder(server, reader, "catalog", "import", str(web)))
    assert responder(server, reader, "catalog", "export").returncode == 0
