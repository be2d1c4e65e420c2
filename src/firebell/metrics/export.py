"""Scorecards and reports as flat rows, for CSV and spreadsheets. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SCORECARD_COLUMNS = (
    "metric",
    "title",
    "sev",
    "count",
    "value",
    "mean",
    "median",
    "p90",
    "unit",
    "target",
    "verdict",
    "period_from",
    "period_to",
    "scope",
)


def scorecard_rows(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: each response time overall and per severity, then the other metrics."""
    base = {
        "period_from": card["period"]["from"],
        "period_to": card["period"]["to"],
        "scope": card["scope"]["label"],
    }
    rows: list[dict[str, Any]] = []
    for figure in card["metrics"]:
        common = {"metric": figure["metric"], "title": figure["title"], "unit": figure["unit"], **base}
        if "overall" in figure:
            overall = figure["overall"]
            rows.append(
                {**common, "sev": "all", "value": overall["mean"], **_stat(overall), "verdict": figure["verdict"]}
            )
            for row in figure["by_sev"]:
                rows.append(
                    {
                        **common,
                        "sev": row["sev"],
                        "value": row["mean"],
                        **_stat(row),
                        "target": row["target"],
                        "verdict": row["verdict"],
                    }
                )
        else:
            count = next((figure[k] for k in ("incidents", "alerts", "due", "services") if k in figure), None)
            rows.append(
                {
                    **common,
                    "sev": "all",
                    "count": count,
                    "value": figure["value"],
                    "target": figure["target"],
                    "verdict": figure["verdict"],
                }
            )
    return rows


def _stat(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"count": row["count"], "mean": row["mean"], "median": row["median"], "p90": row["p90"]}


def report_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every table of a report, one row per entry, tagged with the table's name in `section`
    (nested tables such as a team's members are left to the JSON)."""
    rows: list[dict[str, Any]] = []
    for section, value in report.items():
        if not isinstance(value, list):
            continue
        for entry in value:
            if isinstance(entry, Mapping):
                rows.append({"section": section, **{k: _flat(v) for k, v in entry.items() if not _nested(v)}})
    return rows


def _nested(value: Any) -> bool:
    return isinstance(value, list) or (isinstance(value, Mapping) and "count" not in value)


def _flat(value: Any) -> Any:
    if isinstance(value, Mapping):  # a distribution: keep its mean
        return value.get("mean")
    return value


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None) -> str:
    names = list(columns) if columns is not None else list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in names})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    text = str(value)
    # A cell a spreadsheet would run as a formula is written as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else value


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
