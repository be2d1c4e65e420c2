"""`firebell service update`: change how a service's alerts join incidents, on the configured database."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer

from firebell.alerts.grouping import window_text
from firebell.cli.main import CLI_GROUPING, GroupByOpt, GroupingOpt, _admin, out, service_app


@service_app.command("update")
def service_update(
    name: str,
    grouping: GroupingOpt = None,
    grouping_window: Annotated[
        str | None, typer.Option(help="how long after an incident opens alerts may join it: 5m, 90s, 0 = off")
    ] = None,
    group_by: GroupByOpt = None,
) -> None:
    """Change a service's grouping; what is not given is left as is (--group-by alone means labels)."""
    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.catalog.service import apply_grouping
    from firebell.kernel.errors import NotFound

    def run(conn: Any, _now: Any) -> tuple[list[str], dict[str, Any]]:
        repo = SqlCatalogRepo(conn)
        row = repo.service_by_name(name)
        if row is None:
            raise NotFound(f"no service named {name}")
        changed = apply_grouping(
            repo=repo, row=row, mode=grouping, by_labels=group_by, window=grouping_window, fields=CLI_GROUPING
        )
        return changed, repo.service_by_name(name) or row

    changed, row = _admin(run)
    if not changed:
        out.print(f"service {name}: nothing changed", markup=False, highlight=False)
        return
    out.print(f"updated service {name}: grouping {_grouping_text(row)}", markup=False, highlight=False)


def _grouping_text(row: dict[str, Any]) -> str:
    seconds = int(row["grouping_window_seconds"])
    window = f"within {window_text(timedelta(seconds=seconds))}" if seconds else "with no time window"
    labels = f" by {', '.join(row['group_by_labels'])}" if row["grouping_mode"] == "labels" else ""
    return f"{row['grouping_mode']}{labels} {window}"
