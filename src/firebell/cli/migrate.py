"""`firebell migrate opsgenie`: an Opsgenie account's on-call set-up as a file for `firebell apply -f`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from firebell.cli.main import app, errors, fail, out

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
    from firebell.kernel.errors import ValidationFailed
    from firebell.migrate.opsgenie import translate
    from firebell.migrate.opsgenie_dir import read_backup
    from firebell.migrate.opsgenie_http import OpsgenieReader, ReadFailed, read_account
    from firebell.migrate.output import plan, render, report, summary
    from firebell.oncall.config_file import load

    if (from_dir is None) == (not api_key):
        raise fail("give --from-dir DIR or --api-key KEY (or OPSGENIE_API_KEY), one of them")
    with errors():
        if from_dir is not None:
            try:
                source = read_backup(from_dir)
            except FileNotFoundError as exc:
                raise fail(str(exc)) from None
        else:
            reader = OpsgenieReader.connect(api_url, api_key)
            try:
                source = read_account(reader)
            except ReadFailed as exc:
                raise fail(f"reading Opsgenie at {api_url}: {exc}") from None
            finally:
                reader.close()
        migration = translate(source)
        text = render(migration, "Opsgenie")
        try:
            load(text, str(out_file))  # what is written, apply reads
        except ValidationFailed as exc:
            raise fail(f"the migrated file would be refused by firebell apply: {exc.message}") from None
        written = report(migration, "Opsgenie")
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
