"""Reading what Opsgenie's configuration backup tool wrote (`OpsGenieBackups/`) into a Source.

The tool writes one JSON file per entity, in a folder per kind: `users/` ({user, notificationRuleList}),
`teams/` ({team, teamRoutingRules, teamRoles}), `schedules/` ({schedule, scheduleOverrideList}),
`escalations/` (the escalation itself), `integrations/` ({integration, integrationActions}; the
integration with its apiKey), `maintenance/` (the window with its rules), and folders this migration
does not read (policies, forwardings, ...), which are reported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from firebell.migrate.common import Finding
from firebell.migrate.opsgenie import Source

_WHAT = {"maintenance": "maintenance window"}
READ = ("users", "teams", "schedules", "escalations", "integrations", "maintenance")
UNREAD_WHY = {
    "policies": "alert and notification policies have no Firebell counterpart in an apply file",
    "policiesV2": "alert and notification policies have no Firebell counterpart in an apply file",
    "orders": "policy order goes with the policies",
    "ordersV2": "policy order goes with the policies",
    "forwardings": "forwarding rules: add overrides in Firebell instead",
    "customUserRoles": "custom roles: Firebell's roles are site admin, team admin, responder and viewer",
}


def read_backup(path: Path) -> Source:
    """The backup under `path` (the `OpsGenieBackups` folder, or the folder that holds it). A missing
    folder raises FileNotFoundError; a file that is not JSON is reported, not fatal."""
    root = path / "OpsGenieBackups" if (path / "OpsGenieBackups").is_dir() else path
    if not root.is_dir():
        raise FileNotFoundError(f"{path} is not a directory")
    if not any((root / kind).is_dir() for kind in READ):
        raise FileNotFoundError(f"{path} holds no Opsgenie backup (no users/, teams/, schedules/ or escalations/)")
    source = Source()
    for user_file in _documents(root / "users", source):
        user = user_file.get("user") or {}
        source.users.append(user)
        if "notificationRuleList" in user_file and user.get("id"):
            source.notification_rules[str(user["id"])] = list(user_file.get("notificationRuleList") or [])
    for team_file in _documents(root / "teams", source):
        if team_file.get("team"):
            source.teams.append(team_file["team"])
    for schedule_file in _documents(root / "schedules", source):
        schedule = schedule_file.get("schedule") or {}
        source.schedules.append(schedule)
        overrides = schedule_file.get("scheduleOverrideList")
        if overrides:
            source.overrides[str(schedule.get("id", ""))] = list(overrides)
    source.escalations.extend(_documents(root / "escalations", source))
    for integration_file in _documents(root / "integrations", source):
        if integration_file.get("integration"):
            source.integrations.append(integration_file["integration"])
    source.maintenance.extend(_documents(root / "maintenance", source, needs="time"))
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in READ and not p.name.startswith(".")):
        count = len(list(folder.glob("*.json")))
        if count:
            why = UNREAD_WHY.get(folder.name, "not read by this migration")
            source.problems.append(Finding("read", f"{folder.name}/", f"{count} file(s) not carried: {why}"))
    return source


def _documents(folder: Path, source: Source, needs: str | None = None) -> list[dict[str, Any]]:
    if not folder.is_dir():
        return []
    found: list[dict[str, Any]] = []
    for file in sorted(folder.glob("*.json")):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            source.problems.append(Finding("read", f"{folder.name}/{file.name}", f"not read: {exc}"))
            continue
        if isinstance(data, dict) and needs is not None and not data.get(needs):
            source.problems.append(
                Finding("read", f"{folder.name}/{file.name}", f"not read: a {_WHAT[folder.name]} without its {needs}")
            )
        elif isinstance(data, dict):
            found.append(data)
        else:
            source.problems.append(Finding("read", f"{folder.name}/{file.name}", "not read: not a JSON object"))
    return found
