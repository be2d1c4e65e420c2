"""`firebell export`: the on-call configuration as YAML that `firebell apply -f` reads back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from firebell.cli.main import _admin, app, fail, out


def export_yaml(conn: Any) -> str:
    import yaml

    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
    from firebell.oncall.export import export
    from firebell.oncall.repo import SqlOncallRepo

    data = export(
        oncall=SqlOncallRepo(conn),
        identity=SqlIdentityRepo(conn),
        services=SqlCatalogRepo(conn),
        severities=SqlSeverityTargetsRepo(conn),
    )
    header = "# Firebell on-call configuration, exported; apply with: firebell apply -f FILE\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


@app.command("export")
def export_config(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write to this file, not stdout")] = None,
) -> None:
    """Write users, teams, schedules, escalation policies, service bindings and severity targets as YAML (admin)."""
    text = _admin(lambda conn, _now: export_yaml(conn))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    out.print(f"wrote {output}", markup=False, highlight=False)
