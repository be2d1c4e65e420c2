"""The service catalog from the command line, through a server's API: `catalog import` and `catalog
export` exchange Backstage catalog-info.yaml files, and `service show` prints one service's card."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from firebell.catalog.backstage_yaml import MEDIA_TYPE, dump_documents, load_documents
from firebell.cli.client import Api, ApiError
from firebell.cli.main import JsonOpt, TokenOpt, UrlOpt, app, err, errors, out, service_app
from firebell.kernel.errors import ValidationFailed

catalog_app = typer.Typer(
    help="The service catalog as Backstage catalog-info.yaml: import and export (through a server's API).",
    no_args_is_help=True,
)
app.add_typer(catalog_app, name="catalog")

_DOCUMENT = re.compile(r"\bdocuments\.(\d+)")


def _say(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _read(path: Path) -> list[object]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"cannot read {path}: not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return load_documents(text)
    except ValidationFailed as exc:
        raise ValueError(f"{path}: {exc.message.removeprefix('file: ')}") from None


class _Files:
    """Where each document of the files sent together came from, to name it in messages."""

    def __init__(self, paths: list[Path]) -> None:
        self.documents: list[object] = []
        self.origin: list[tuple[Path, int]] = []
        for path in paths:
            found = _read(path)
            self.documents += found
            self.origin += [(path, k) for k in range(len(found))]

    def name(self, text: str) -> str:
        """'HTTP 422: documents.7.spec.owner: ...' as 'HTTP 422: b.yaml: documents.2.spec.owner: ...'."""
        found = _DOCUMENT.search(text)
        if found is None or int(found[1]) >= len(self.origin):
            return text
        path, k = self.origin[int(found[1])]
        return f"{text[: found.start()]}{path}: documents.{k}{text[found.end() :]}"


@catalog_app.command("import")
def import_files(
    paths: Annotated[list[Path], typer.Argument(help="catalog-info.yaml files", show_default=False)],
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Create or update a service for each Backstage Component in the files, all in one go (idempotent)."""
    with errors():
        files = _Files(paths)
        body = dump_documents(files.documents).encode()
        try:
            found = Api(url, token).request(
                "POST", "/api/v1/catalog/backstage", content=body, headers={"content-type": MEDIA_TYPE}
            )
        except ApiError as exc:
            raise ApiError(files.name(str(exc))) from None
    if as_json:
        print(json.dumps(found))
        return
    for verb in ("created", "updated"):
        for name in found[verb]:
            _say(f"{verb} {name}")
    for note in found["warnings"]:
        err.print(
            f"warning: {files.name(note['field'])}: {note['message']}", markup=False, highlight=False, soft_wrap=True
        )
    counts = ", ".join(f"{len(found[k])} {k}" for k in ("created", "updated", "unchanged"))
    _say(f"{counts} (services)")


@catalog_app.command("export")
def export_file(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write to this file (default: print)")] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
) -> None:
    """Write every service as a Backstage Component (catalog-info.yaml, one document each)."""
    with errors():
        text = Api(url, token).text("/api/v1/catalog/backstage")
        if output is None:
            print(text, end="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot write {output}: {exc.strerror or exc}") from None
    _say(f"wrote {text.count('kind: Component')} service(s) to {output}")


def _lines(found: dict[str, Any]) -> list[str]:
    policy = found["escalation_policy"] or "none: nobody is paged"
    runbook = found["runbook"]
    book = f"{runbook['title']} ({runbook['state']}) {runbook['url']}" if runbook["id"] else runbook["state"]
    if not runbook["id"] and found["runbook_url"]:
        book = f"{found['runbook_url']} (not stored in Firebell)"
    deps = [*found["dependencies"], *(f"{ref} (external)" for ref in found["external_dependencies"])]
    lines = [
        f"{found['name']}: {found['tier_label']}",
        *([found["description"]] if found["description"] else []),
        f"Owner: {found['owner_team'] or '—'}",
        f"Lifecycle: {found['lifecycle']}" + (f" · System: {found['system']}" if found["system"] else ""),
        f"Escalation policy: {policy}",
        f"Runbook: {book}",
        "SLOs:" + ("" if found["slos"] else " none"),
        *(f"  {s['label']}: {s['text']}" for s in found["slos"]),
        *([f"SLIs: {', '.join(s['name'] for s in found['slis'])}"] if found["slis"] else []),
        "Dashboards:" + ("" if found["dashboards"] else " none"),
        *(f"  {d['title'] or d['url']}: {d['url']}" for d in found["dashboards"]),
        f"Depends on: {', '.join(deps) or 'nothing'}",
        f"Depended on by: {', '.join(found['dependents']) or 'nothing'}",
    ]
    for incident in found["open_incidents"]:
        lines.append(f"Open incident #{incident['number']} {incident['sev']} {incident['status']}: {incident['title']}")
    return lines


@service_app.command("show")
def show_service(
    name: str,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """One service's catalog card: owner, tier, SLOs, dashboards, runbook, dependencies and dependents (API)."""
    with errors():
        found = Api(url, token).request("GET", f"/api/v1/services/{quote(name, safe='')}")
    if as_json:
        print(json.dumps(found))
        return
    for line in _lines(found):
        _say(line)
