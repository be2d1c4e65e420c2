"""`firebell import`: another tool's incident or alert history, sent to a server's import API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, app, errors, out

FORMATS = ("pagerduty", "opsgenie", "firebell")


def _content_type(path: Path, text: str) -> str:
    if path.suffix.lower() in (".jsonl", ".ndjson") or text.lstrip("\ufeff \t\r\n").startswith("{"):
        return "application/x-ndjson"
    return "text/csv"


def _summary(found: dict[str, Any], path: Path) -> None:
    heading = "Dry run: nothing written" if found["dry_run"] else "Imported"
    table = Table(title=f"{heading}: {path.name} ({found['format']})", title_justify="left")
    table.add_column("")
    table.add_column("imported", justify="right")
    table.add_column("skipped (imported before)", justify="right")
    for kind in ("incidents", "alerts"):
        table.add_row(kind, str(found[kind]["imported"]), str(found[kind]["skipped"]))
    out.print(table)
    numbers = found["incident_numbers"]
    if numbers:
        out.print(f"incident numbers #{numbers[0]} to #{numbers[-1]}", markup=False, highlight=False)
    if found["services_created"]:
        out.print(f"services created: {', '.join(found['services_created'])}", markup=False, highlight=False)


@app.command("import")
def import_history(
    path: Annotated[Path, typer.Argument(help="the export: CSV, or JSON lines for the firebell format")],
    source: Annotated[str, typer.Option("--format", help="pagerduty, opsgenie or firebell", show_default=False)],
    zone: Annotated[str, typer.Option(help="the zone of times written without an offset")] = "UTC",
    service: Annotated[str, typer.Option(help="the service of records that name none")] = "",
    create_services: Annotated[bool, typer.Option("--create-services", help="create unknown services")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and count, write nothing")] = False,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Import incident or alert history with its original times (all or nothing; a second import of
    the same file changes nothing); nothing imported is paged."""
    with errors():
        if source not in FORMATS:
            raise ValueError(f"--format {source!r}: use pagerduty, opsgenie or firebell")
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
        params = {"format": source, "zone": zone, "create_services": create_services, "dry_run": dry_run}
        if service:
            params["service"] = service
        kind = _content_type(path, body[:64].decode("utf-8", errors="replace"))
        found = Api(url, token).request(
            "POST", "/api/v1/import", params=params, content=body, headers={"content-type": kind}
        )
    if as_json:
        print(json.dumps(found))
        return
    _summary(found, path)
