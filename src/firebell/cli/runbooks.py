"""Runbooks from the command line: `lint` checks markdown files against the runbook creation checklist
offline (no server, no database), so a service's repository can run it in CI; `import`, `list` and
`coverage` go through a server's API."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from firebell.cli.client import Api
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, _emit, app, err, errors, fail, out
from firebell.runbooks.checklist import DEFAULT_STALE_AFTER_DAYS, LintContext, Status
from firebell.runbooks.lint import Report, lint
from firebell.runbooks.model import parse

runbook_app = typer.Typer(
    help="Runbooks: lint files offline; import, list and measure coverage through a server's API.",
    no_args_is_help=True,
)
app.add_typer(runbook_app, name="runbook")

_MARK = {Status.PASS: "pass", Status.WARN: "WARN", Status.FAIL: "FAIL"}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"cannot read {path}: not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None


def _verdict(report: Report) -> str:
    warned = f" ({report.warnings} warning{'s' if report.warnings != 1 else ''})" if report.warnings else ""
    if report.passed:
        return f"passes all 12 checklist items{warned}"
    items = ", ".join(map(str, report.failed_items))
    return f"fails checklist item{'s' if len(report.failed_items) > 1 else ''} {items}{warned}"


def _as_json(path: Path, report: Report) -> dict[str, Any]:
    return {
        "path": str(path),
        "passed": report.passed,
        "stale": report.stale,
        "reviewed_on": report.reviewed_on.isoformat() if report.reviewed_on else None,
        "failed_items": report.failed_items,
        "findings": [
            {"item": f.item, "name": f.name, "status": f.status.value, "message": f.message, "line": f.line}
            for f in report.findings
        ],
    }


@runbook_app.command("lint")
def lint_files(
    paths: Annotated[list[Path], typer.Argument(help="markdown runbooks, e.g. RUNBOOK.md", show_default=False)],
    stale_after: Annotated[
        int, typer.Option("--stale-after", min=1, max=3650, help="days after which the last review is stale")
    ] = DEFAULT_STALE_AFTER_DAYS,
    as_json: JsonOpt = False,
) -> None:
    """Check runbooks against the creation checklist, offline. Exit 1 when any fails, 2 when a file cannot be read."""
    texts: list[tuple[Path, str]] = []
    for path in paths:
        try:
            texts.append((path, _read(path)))
        except ValueError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    context = LintContext(today=date.today(), stale_after_days=stale_after)  # noqa: DTZ011 (the reader's day)
    reports = [(path, lint(parse(text), context)) for path, text in texts]
    if as_json:
        sys.stdout.write(json.dumps([_as_json(p, r) for p, r in reports], indent=2) + "\n")
    else:
        for path, report in reports:
            out.print(f"{path}: {_verdict(report)}", markup=False, highlight=False)
            for f in report.findings:
                where = f"{path}:{f.line}" if f.line else str(path)
                item = f"{f.item} {f.name}" if f.item else f.name
                out.print(f"  {_MARK[f.status]}  {where}: [{item}] {f.message}", markup=False, highlight=False)
    if any(not report.passed for _path, report in reports):
        raise typer.Exit(1)


@runbook_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="the markdown runbook", show_default=False)],
    service: Annotated[str | None, typer.Option(help="the catalog service it is for (its runbook is replaced)")] = None,
    team: Annotated[str | None, typer.Option(help="without a service: the team whose admins may change it")] = None,
    title: Annotated[str | None, typer.Option(help="default: the document's first heading")] = None,
    source: Annotated[str | None, typer.Option(help="where it lives, e.g. a repository URL; default: PATH")] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Upload a runbook: it replaces the service's runbook (or the one imported from the same path), else is added."""
    with errors():
        body = {"body": _read(path), "source_path": source or path.as_posix(), "service": service, "title": title}
        if team is not None:
            body["team"] = team
        row = Api(url, token).request("POST", "/api/v1/runbooks/import", json=body)
    if as_json:
        print(json.dumps(row))
        return
    verdict = "passes the checklist" if row["passed"] else f"fails items {', '.join(map(str, row['failed_items']))}"
    for_service = f" for {row['service']}" if row["service"] else ""
    action = "added" if row["created"] else "updated"
    out.print(f"{action} “{row['title']}”{for_service}: {verdict}", markup=False, highlight=False)
    for finding in row["lint"]["findings"]:
        if finding["status"] == "fail":
            err.print(f"  FAIL item {finding['item']}: {finding['message']}", markup=False, highlight=False)
    print(row["id"])


@runbook_app.command("list")
def list_runbooks(url: UrlOpt = "http://127.0.0.1:8080", token: TokenOpt = "", as_json: JsonOpt = False) -> None:
    """Runbooks on the server, with their checklist verdict and review date."""
    with errors():
        rows = Api(url, token).request("GET", "/api/v1/runbooks")
    for row in rows:
        row["checklist"] = "pass" if row["passed"] else "fails " + ", ".join(map(str, row["failed_items"]))
        row["reviewed"] = (row["last_reviewed_at"] or "never")[:10] + (" (stale)" if row["stale"] else "")
    columns = [("title", "Title"), ("service", "Service"), ("checklist", "Checklist"), ("reviewed", "Reviewed")]
    _emit(rows, as_json, [*columns, ("id", "Id")], "Runbooks")


@runbook_app.command("coverage")
def coverage(
    fail_under: Annotated[
        float | None, typer.Option(min=0, max=100, help="exit 1 when coverage is below this percentage")
    ] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """How many services have a runbook reviewed within the review period, and which do not."""
    with errors():
        found = Api(url, token).request("GET", "/api/v1/runbooks/coverage")
    if as_json:
        print(json.dumps(found))
    else:
        percent = "—" if found["percent"] is None else f"{found['percent']}%"
        out.print(
            f"coverage {percent}: {found['covered']} of {found['total']} services have a runbook reviewed within "
            f"{found['stale_after_days']} days; {found['passing']} pass every checklist item",
            markup=False,
            highlight=False,
        )
        if found["lacking"]:
            _emit(found["lacking"], False, [("service", "Service"), ("state", "Runbook")], "Services lacking one")
    if fail_under is not None and (found["percent"] or 0.0) < fail_under:
        raise fail(f"coverage {found['percent']}% is under {fail_under}%")
