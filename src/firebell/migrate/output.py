"""What `firebell migrate` writes and prints: the apply file, the plan and the report. Pure."""

from __future__ import annotations

import yaml

from firebell.migrate.common import Migration

HEADER = "# Firebell on-call configuration, migrated from {vendor}; apply with: firebell apply -f FILE\n"


def render(migration: Migration, vendor: str) -> str:
    """The apply file: the same migration gives the same text."""
    body = yaml.safe_dump(migration.document, sort_keys=False, allow_unicode=True, width=120)
    return HEADER.format(vendor=vendor) + body


def plan(migration: Migration) -> list[str]:
    """One line per thing the file declares."""
    doc = migration.document
    lines = [f"user {u['handle']} ({u['email']}): {len(u['contact_methods'])} contact method(s)" for u in doc["users"]]
    lines += [f"team {t['name']}: {len(t['members'])} responder(s), {len(t['admins'])} admin(s)" for t in doc["teams"]]
    for s in doc["schedules"]:
        layers = ", ".join(f"{layer['name']} ({layer['type']}, {len(layer['participants'])})" for layer in s["layers"])
        lines.append(f"schedule {s['name']} [{s['timezone']}]: {layers}; {len(s.get('overrides', []))} override(s)")
    lines += [f"escalation policy {p['name']}: {len(p['levels'])} level(s)" for p in doc["escalation_policies"]]
    lines += [
        f"service {svc['name']}: policy {svc.get('escalation_policy', '-')}, "
        f"{len(svc.get('integrations', []))} integration(s), {len(svc.get('maintenance', []))} maintenance window(s)"
        for svc in doc.get("services", [])
    ]
    return lines


def summary(migration: Migration) -> str:
    counts = migration.counts()
    return (
        f"{counts['users']} user(s), {counts['teams']} team(s), {counts['schedules']} schedule(s), "
        f"{counts['escalation_policies']} escalation policy(ies)"
        + (f", {counts['services']} service(s)" if counts["services"] else "")
        + f"; {len(migration.findings)} thing(s) not carried as is"
    )


def report(migration: Migration, vendor: str) -> str:
    """Everything not carried over, or not exactly, one line each with the reason."""
    if not migration.findings:
        return f"Everything read from {vendor} was carried over.\n"
    lines = [f"Not carried over from {vendor}, or not exactly ({len(migration.findings)}):"]
    lines += [f"- {finding.line()}" for finding in migration.findings]
    return "\n".join(lines) + "\n"
