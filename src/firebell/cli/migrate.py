"""`firebell migrate opsgenie|pagerduty|grafana-oncall`: another tool's on-call set-up as a file for
`firebell apply -f`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from firebell.cli.main import app, errors, fail, out

if TYPE_CHECKING:
    from firebell.migrate.common import Migration
    from firebell.migrate.http import JsonReader

R = TypeVar("R", bound="JsonReader")
S = TypeVar("S")

migrate_app = typer.Typer(
    help="Move from another on-call tool: its set-up as a file for firebell apply -f.", no_args_is_help=True
)
app.add_typer(migrate_app, name="migrate")


@migrate_app.command("opsgenie")
def migrate_opsgenie(
    out_file: Annotated[Path, typer.Option("--out", help="the YAML file to write, for firebell apply -f")],
    api_url: Annotated[str, typer.Option(help="Opsgenie's API (EU accounts: https://api.eu.opsgenie.com)")] = (
        "https://api.opsgenie.com"
    ),
    api_key: Annotated[
        str, typer.Option(envvar="OPSGENIE_API_KEY", help="an API key with read and configuration access")
    ] = "",
    from_dir: Annotated[
        Path | None, typer.Option(help="read a configuration backup (OpsGenieBackups/) instead of the API")
    ] = None,
    report_file: Annotated[Path | None, typer.Option("--report", help="also write the report to this file")] = None,
    dry_run: Annotated[bool, typer.Option(help="print what the file would declare; write nothing")] = False,
) -> None:
    """Carry users, teams, schedules (rotations, restrictions, overrides) and escalations over from Opsgenie."""
    from firebell.migrate.opsgenie import translate
    from firebell.migrate.opsgenie_dir import read_backup
    from firebell.migrate.opsgenie_http import OpsgenieReader, read_account

    if (from_dir is None) == (not api_key):
        raise fail("give --from-dir DIR or --api-key KEY (or OPSGENIE_API_KEY), one of them")
    with errors():
        if from_dir is not None:
            try:
                source = read_backup(from_dir)
            except FileNotFoundError as exc:
                raise fail(str(exc)) from None
        else:
            source = _read("Opsgenie", api_url, OpsgenieReader.connect(api_url, api_key), read_account)
        _write(translate(source), "Opsgenie", out_file, report_file, dry_run=dry_run)


@migrate_app.command("pagerduty")
def migrate_pagerduty(
    out_file: Annotated[Path, typer.Option("--out", help="the YAML file to write, for firebell apply -f")],
    token: Annotated[str, typer.Option(envvar="PAGERDUTY_TOKEN", help="a REST API key (read-only is enough)")] = "",
    api_url: Annotated[str, typer.Option(help="PagerDuty's REST API")] = "https://api.pagerduty.com",
    from_dir: Annotated[
        Path | None,
        typer.Option(
            help="read saved API answers instead: a folder of users.json, teams.json, schedules.json, "
            "escalation_policies.json, services.json, maintenance_windows.json, members/<team id>.json "
            "and overrides/<schedule id>.json"
        ),
    ] = None,
    report_file: Annotated[Path | None, typer.Option("--report", help="also write the report to this file")] = None,
    dry_run: Annotated[bool, typer.Option(help="print what the file would declare; write nothing")] = False,
) -> None:
    """Carry users, teams, schedules (layers, restrictions, overrides), escalation policies and services'
    Events API v2 keys over from PagerDuty."""
    from firebell.migrate.pagerduty import translate
    from firebell.migrate.pagerduty_http import PagerDutyReader, read_account, read_folder

    if (from_dir is None) == (not token):
        raise fail("give --from-dir DIR or --token TOKEN (or PAGERDUTY_TOKEN), one of them")
    with errors():
        if from_dir is not None:
            source = _saved(from_dir, read_folder)
        else:
            source = _read("PagerDuty", api_url, PagerDutyReader.connect(api_url, token), read_account)
        _write(translate(source), "PagerDuty", out_file, report_file, dry_run=dry_run)


@migrate_app.command("grafana-oncall")
def migrate_grafana_oncall(
    out_file: Annotated[Path, typer.Option("--out", help="the YAML file to write, for firebell apply -f")],
    api_url: Annotated[
        str,
        typer.Option(
            help="the OnCall API's base URL: https://oncall-prod-....grafana.net/oncall (Cloud) or "
            "http://localhost:8080 (OSS); paths under /api/v1/ follow it"
        ),
    ] = "",
    token: Annotated[
        str, typer.Option(envvar="GRAFANA_ONCALL_TOKEN", help="an OnCall API token (Authorization header)")
    ] = "",
    from_dir: Annotated[
        Path | None,
        typer.Option(
            help="read saved API answers instead: a folder of users.json, personal_notification_rules.json, "
            "teams.json, schedules.json, on_call_shifts.json, escalation_chains.json, escalation_policies.json, "
            "integrations.json and routes.json, each a list or a page ({results: [...]}); a missing file is "
            "an empty list"
        ),
    ] = None,
    report_file: Annotated[Path | None, typer.Option("--report", help="also write the report to this file")] = None,
    dry_run: Annotated[bool, typer.Option(help="print what the file would declare; write nothing")] = False,
) -> None:
    """Carry users, notification rules, teams, schedules (rotations, restrictions, overrides), escalation
    chains and integrations (services with their keys) over from Grafana OnCall."""
    from firebell.migrate.grafana_oncall import translate
    from firebell.migrate.grafana_oncall_http import GrafanaOnCallReader, read_account, read_folder

    if from_dir is None and not (api_url and token):
        raise fail("give --api-url URL and --token TOKEN (or GRAFANA_ONCALL_TOKEN), or --from-dir DIR")
    with errors():
        if from_dir is not None:
            source = _saved(from_dir, read_folder)
        else:
            source = _read("Grafana OnCall", api_url, GrafanaOnCallReader.connect(api_url, token), read_account)
        _write(translate(source), "Grafana OnCall", out_file, report_file, dry_run=dry_run)


def _saved(folder: Path, read: Callable[[Path], S]) -> S:
    """What `read` makes of a folder of saved answers; a missing folder or a bad file is the one-line error."""
    try:
        return read(folder)
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None


def _read(vendor: str, api_url: str, reader: R, read: Callable[[R], S]) -> S:
    """What `read` gets through `reader`; a call that failed is the one-line error."""
    from firebell.migrate.http import ReadFailed

    try:
        return read(reader)
    except ReadFailed as exc:
        raise fail(f"reading {vendor} at {api_url}: {exc}") from None
    finally:
        reader.close()


def _write(migration: Migration, vendor: str, out_file: Path, report_file: Path | None, *, dry_run: bool) -> None:
    """Check the file as apply would, then write it (or print the plan) and the report."""
    from firebell.kernel.errors import ValidationFailed
    from firebell.migrate.output import plan, render, report, summary
    from firebell.oncall.config_file import load

    text = render(migration, vendor)
    try:
        load(text, str(out_file))  # what is written, apply reads
    except ValidationFailed as exc:
        raise fail(f"the migrated file would be refused by firebell apply: {exc.message}") from None
    written = report(migration, vendor)
    if dry_run:
        out.print(f"would write {out_file}: {summary(migration)}", markup=False, highlight=False)
        for line in plan(migration):
            out.print(f"  {line}", markup=False, highlight=False)
    else:
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {out_file}: {exc.strerror}") from None
        out.print(f"wrote {out_file}: {summary(migration)}", markup=False, highlight=False)
    if report_file is not None:
        try:
            report_file.write_text(written, encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {report_file}: {exc.strerror}") from None
    out.print(written.rstrip("\n"), markup=False, highlight=False)
