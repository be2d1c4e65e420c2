"""An incident's timeline exported: a markdown table and a mermaid gantt chart.

Pure: takes the entries (time, kind, actor, message) in order and renders them. The gantt groups
entries into the playbook's sections (detection, response, mitigation, recovery); each entry runs
until the next one, and the opening, acknowledgement and resolution are milestones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    kind: str
    actor: str
    message: str


_SECTION_BY_KIND = {
    "opened": "Detection",
    "imported": "Detection",
    "declared": "Detection",
    "alert_fired": "Detection",
    "alert_joined": "Detection",
    "severity_changed": "Detection",
    "acknowledged": "Response",
    "paged": "Response",
    "role_assigned": "Response",
    "role_removed": "Response",
    "war_room": "Response",
    "reassigned": "Response",
    "communication_sent": "Response",
    "status_page_updated": "Response",
    "note": "Response",
    "checklist": "Response",
    "target_missed": "Response",
    "change": "Detection",
    "mitigation_chosen": "Mitigation",
    "mitigation_outcome": "Mitigation",
    "alert_resolved": "Recovery",
    "alerts_resolved": "Recovery",
    "escalation_ended": "Response",
    "notification_failed": "Response",
    "page_cancelled": "Response",
    "alert_verdict": "Response",
}

_STATUS_SECTION = {
    "acknowledged": "Response",
    "investigating": "Response",
    "identified": "Mitigation",
    "resolving": "Mitigation",
    "resolved": "Recovery",
    "closed": "Recovery",
}

_MILESTONES = {"opened", "declared", "acknowledged"}
SECTIONS = ("Detection", "Response", "Mitigation", "Recovery")


def section_of(entry: Entry) -> str:
    if entry.kind == "status_changed":
        target = entry.message.split("→")[-1].split("(")[0].strip()
        return _STATUS_SECTION.get(target, "Response")
    return _SECTION_BY_KIND.get(entry.kind, "Response")


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def markdown_table(entries: Sequence[Entry]) -> str:
    """The postmortem template's timeline table (all times UTC), with the actor of each entry."""
    lines = ["| Time (UTC) | Event | By |", "|---|---|---|"]
    for e in entries:
        lines.append(f"| {e.at:%Y-%m-%d %H:%M:%S} | {_cell(_label(e))} | {_cell(e.actor)} |")
    return "\n".join(lines) + "\n"


# Entries whose message does not say what happened by itself get a word in front.
_PREFIX = {"alert_fired": "Alert fired", "alert_resolved": "Alert resolved", "note": "Note", "status_changed": "State"}


def _label(entry: Entry) -> str:
    if not entry.message:
        return entry.kind.replace("_", " ")
    prefix = _PREFIX.get(entry.kind)
    return f"{prefix}: {entry.message}" if prefix else entry.message


def _mermaid_safe(text: str) -> str:
    # Mermaid reads ":" as the end of a task's name, and "#", ";" and "%%" as syntax.
    for bad, good in ((":", " -"), (";", ","), ("#", "no. "), ("%", " pct")):
        text = text.replace(bad, good)
    return " ".join(text.split())


def _task_name(entry: Entry) -> str:
    text = _mermaid_safe(entry.message or entry.kind.replace("_", " "))
    return text if len(text) <= 60 else text[:59] + "…"


def mermaid_gantt(entries: Sequence[Entry], title: str, end: datetime | None = None) -> str:
    """A gantt chart like the postmortem template's timeline visualization."""
    clean_title = _mermaid_safe(title) or "Incident timeline"
    lines = [
        "gantt",
        f"    title {clean_title}",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        "    axisFormat %H:%M",
    ]
    ordered = sorted(entries, key=lambda e: e.at)
    by_section: dict[str, list[str]] = {name: [] for name in SECTIONS}
    for i, entry in enumerate(ordered):
        stamp = f"{entry.at:%Y-%m-%d %H:%M:%S}"
        is_milestone = entry.kind in _MILESTONES or (
            entry.kind == "status_changed" and entry.message.split("(")[0].strip().endswith("resolved")
        )
        if is_milestone:
            task = f"{_task_name(entry)} :milestone, {stamp}, 0m"
        else:
            following = ordered[i + 1].at if i + 1 < len(ordered) else (end or entry.at)
            minutes = max(1, round((following - entry.at) / timedelta(minutes=1)))
            task = f"{_task_name(entry)} :{stamp}, {minutes}m"
        by_section[section_of(entry)].append(f"    {task}")
    for name in SECTIONS:
        if by_section[name]:
            lines += ["", f"    section {name}", *by_section[name]]
    return "\n".join(lines) + "\n"


ALERT_KINDS = frozenset({"alert_fired", "alert_joined", "alert_resolved"})


def condense(entries: Sequence[Mapping[str, Any]], keep: int = 3) -> list[dict[str, Any]]:
    """The timeline as a page shows it: a run of more than `keep` alert entries in a row (a storm
    joining one incident) keeps its first `keep` and says how many more followed and until when, so
    the people's own entries stay in sight. Other entries pass through unchanged."""
    shown: list[dict[str, Any]] = []
    run: list[Mapping[str, Any]] = []

    def close_run() -> None:
        shown.extend(dict(e) for e in run[:keep])
        hidden = run[keep:]
        if hidden:
            shown.append(
                {
                    "id": f"{hidden[0]['id']}-more",
                    "at": hidden[0]["at"],
                    "kind": "alerts_condensed",
                    "actor": "firebell",
                    "message": f"{len(hidden)} more alert entries",
                    "data": {"count": len(hidden), "until": hidden[-1]["at"]},
                }
            )
        run.clear()

    for entry in entries:
        if entry["kind"] in ALERT_KINDS:
            run.append(entry)
            continue
        close_run()
        shown.append(dict(entry))
    close_run()
    return shown
