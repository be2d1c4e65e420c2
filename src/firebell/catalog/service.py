"""Catalog use cases: services, their catalog facts and dependencies, and their integrations."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from firebell.alerts.config import WebhookMapping, parse_severity_map, stored_grouping
from firebell.alerts.forwarding import checked_forward_to
from firebell.alerts.grouping import GroupingFields, GroupingPolicy, settle_grouping
from firebell.catalog.fields import runbook_url_value, stored_values
from firebell.catalog.model import IntegrationKind, check_service_name, check_tier
from firebell.kernel.errors import Conflict, NotFound, ValidationFailed
from firebell.kernel.ids import new_id, new_secret, secret_digest


class ServiceWriter(Protocol):
    def update_service(self, service_id: str, values: dict[str, Any]) -> None: ...


class CatalogRepo(ServiceWriter, Protocol):
    def service_by_name(self, name: str) -> Mapping[str, Any] | None: ...

    def add_service(self, values: dict[str, Any]) -> None: ...

    def add_integration(self, values: dict[str, Any]) -> None: ...

    def add_maintenance(self, values: dict[str, Any]) -> None: ...


class KeyHolders(Protocol):
    def key_holder(self, digest: str) -> Mapping[str, Any] | None: ...


class IntegrationMaker(KeyHolders, Protocol):
    def service_by_name(self, name: str) -> Mapping[str, Any] | None: ...

    def add_integration(self, values: dict[str, Any]) -> None: ...


class IntegrationKeys(KeyHolders, Protocol):
    def service_by_name(self, name: str) -> Mapping[str, Any] | None: ...

    def integrations(self, service_id: str | None = None) -> Sequence[Mapping[str, Any]]: ...

    def update_integration(self, integration_id: str, values: dict[str, Any]) -> None: ...


# A key brought from another tool (a PagerDuty routing key, an Opsgenie API key, an Alertmanager URL's
# secret): long enough not to be guessed, and safe in a URL path and a header as it stands.
BROUGHT_KEY = re.compile(r"^[A-Za-z0-9._~-]{16,128}$")


def key_values(key: str | None, *, field: str, repo: KeyHolders, integration_id: str | None = None) -> dict[str, str]:
    """The stored form of an integration's key: `key` if given (checked, and used by no other
    integration), else a new random one. Returns the columns and, under "key", the key itself."""
    if key is None:
        key = new_secret()
    elif not BROUGHT_KEY.match(key):
        raise ValidationFailed.field(field, "a key is 16 to 128 characters: letters, digits, '.', '_', '~' or '-'")
    digest = secret_digest(key)
    holder = repo.key_holder(digest)
    if holder is not None and str(holder["id"]) != integration_id:
        raise Conflict("another integration already has this key", details=[{"field": field}])
    return {"key": key, "key_digest": digest, "key_hint": key[-4:]}


def create_service(
    *,
    repo: CatalogRepo,
    name: str,
    now: datetime,
    owner_team: str = "",
    tier: int = 2,
    runbook_url: str | None = None,
    description: str = "",
    auto_resolve: bool = True,
    grouping_window_seconds: int = 300,
    group_by_labels: list[str] | None = None,
    severity_map: Mapping[str, object] | None = None,
    grouping_mode: str | None = None,
    grouping_fields: GroupingFields | None = None,
) -> str:
    """Create a service; `group_by_labels` without a `grouping_mode` means the `labels` mode."""
    check_service_name(name)
    if repo.service_by_name(name) is not None:
        raise Conflict(f"a service named {name} already exists", details=[{"field": "name"}])
    check_tier(tier)
    runbook_url = runbook_url_value(runbook_url, "runbook_url")
    grouping = settle_grouping(
        mode=grouping_mode, by_labels=group_by_labels, window=grouping_window_seconds, fields=grouping_fields
    )
    stored_map = dict(severity_map or {})
    parse_severity_map(stored_map)
    service_id = new_id()
    repo.add_service(
        {
            "id": service_id,
            "name": name,
            "description": description,
            "owner_team": owner_team,
            "tier": tier,
            "runbook_url": runbook_url,
            "auto_resolve": auto_resolve,
            **grouping_values(grouping),
            "severity_map": stored_map,
            "created_at": now,
        }
    )
    return service_id


def grouping_values(policy: GroupingPolicy) -> dict[str, object]:
    """A grouping as the service row stores it."""
    return {
        "grouping_mode": policy.mode.value,
        "group_by_labels": list(policy.by_labels),
        "grouping_window_seconds": int(policy.window.total_seconds()),
    }


def apply_grouping(
    *,
    repo: ServiceWriter,
    row: Mapping[str, Any],
    mode: str | None = None,
    by_labels: Sequence[object] | None = None,
    window: object = None,
    fields: GroupingFields | None = None,
) -> list[str]:
    """Change a service's grouping (None: left as is); the stored fields that changed."""
    if mode is None and by_labels is None and window is None:
        return []
    current = stored_grouping(
        str(row["grouping_mode"]), int(row["grouping_window_seconds"]), list(row["group_by_labels"] or [])
    )
    policy = settle_grouping(mode=mode, by_labels=by_labels, window=window, current=current, fields=fields)
    return write_changes(repo, row, grouping_values(policy))


def create_integration(
    *,
    repo: IntegrationMaker,
    service: str,
    kind: str,
    now: datetime,
    name: str = "",
    mapping: Mapping[str, object] | None = None,
    key: str | None = None,
    forward_to: str | None = None,
) -> tuple[str, str]:
    """Create an integration; returns (id, key). The key is shown once and stored as a digest.

    `key`: one the senders already use (another tool's routing or API key), so moving them over is
    a change of host alone; without it a random key is made."""
    row = repo.service_by_name(service)
    if row is None:
        raise NotFound(f"no service named {service}", details=[{"field": "service"}])
    try:
        kind_value = IntegrationKind(kind)
    except ValueError as exc:
        choices = ", ".join(k.value for k in IntegrationKind)
        raise ValidationFailed.field("kind", f"unknown kind {kind!r}; use one of {choices}") from exc
    if kind_value is IntegrationKind.IMPORT:
        raise ValidationFailed.field("kind", "import integrations are made by `firebell import` and take no alerts")
    config: dict[str, object] = {}
    if mapping:
        if kind_value is not IntegrationKind.WEBHOOK:
            raise ValidationFailed.field("mapping", "only webhook integrations take a field mapping")
        WebhookMapping.from_config(mapping)
        config["mapping"] = dict(mapping)
    stored = key_values(key, field="key", repo=repo)
    integration_id = new_id()
    repo.add_integration(
        {
            "id": integration_id,
            "service_id": row["id"],
            "name": name or f"{service} {kind_value.value}",
            "kind": kind_value.value,
            "key_digest": stored["key_digest"],
            "key_hint": stored["key_hint"],
            "config": config,
            "created_at": now,
            "forward_to": checked_forward_to(forward_to),
        }
    )
    return integration_id, stored["key"]


def rotate_integration_key(
    *, repo: IntegrationKeys, service: str, integration: str, now: datetime, key: str | None = None
) -> tuple[str, str]:
    """Give an integration a new key; the old one stops working at once. Returns (id, new key).

    `integration` is the integration's id or its name on the service; `key`, if given, is the new key
    (one the senders already have), else a random one is made.
    """
    found = integration_on(repo, service, integration)
    stored = key_values(key, field="key", repo=repo, integration_id=str(found["id"]))
    repo.update_integration(
        str(found["id"]),
        {"key_digest": stored["key_digest"], "key_hint": stored["key_hint"], "key_rotated_at": now},
    )
    return str(found["id"]), stored["key"]


def integration_on(repo: IntegrationKeys, service: str, integration: str) -> Mapping[str, Any]:
    """The enabled integration of `service` with this id or name, one that takes alerts."""
    row = repo.service_by_name(service)
    if row is None:
        raise NotFound(f"no service named {service}", details=[{"field": "service"}])
    found = [
        i
        for i in repo.integrations(str(row["id"]))
        if integration in (i["id"], i["name"]) and i.get("disabled_at") is None
    ]
    if not found:
        raise NotFound(f"service {service} has no integration {integration!r}", details=[{"field": "integration"}])
    if len(found) > 1:
        raise Conflict(f"{len(found)} integrations of {service} are named {integration!r}; give its id")
    if found[0]["kind"] == IntegrationKind.IMPORT.value:
        raise ValidationFailed.field("integration", "import integrations have no key that takes alerts")
    return found[0]


def set_forward(*, repo: IntegrationKeys, service: str, integration: str, forward_to: str | None) -> str:
    """Forward what the integration accepts to `forward_to` (None or "": stop); the integration's id.
    Takes effect with the next intake batch on every node: it is read as each batch is written."""
    found = integration_on(repo, service, integration)
    repo.update_integration(str(found["id"]), {"forward_to": checked_forward_to(forward_to)})
    return str(found["id"])


class IntegrationStore(IntegrationKeys, Protocol):
    def add_integration(self, values: dict[str, Any]) -> None: ...


@dataclass(frozen=True, slots=True)
class DeclaredIntegration:
    """An integration as a configuration file declares it: matched on its service by name."""

    name: str
    kind: str
    key: str
    mapping: Mapping[str, object] | None = None
    forward_to: str | None = None


def apply_integrations(
    *,
    repo: IntegrationStore,
    service: Mapping[str, Any],
    declared: Sequence[DeclaredIntegration],
    where: str,
    now: datetime,
) -> list[str]:
    """Make the service's integrations named in `declared` exist with their declared kind, key and
    mapping; integrations it does not name are left alone. What changed, in words (never the key)."""
    changes: list[str] = []
    existing = {str(i["name"]): i for i in repo.integrations(str(service["id"])) if i.get("disabled_at") is None}
    seen: set[str] = set()
    for j, item in enumerate(declared):
        field = f"{where}.integrations[{j}]"
        if item.name in seen:
            raise ValidationFailed.field(f"{field}.name", f"{item.name!r} is declared twice")
        seen.add(item.name)
        row = existing.get(item.name)
        if row is None:
            create_integration(
                repo=repo,
                service=str(service["name"]),
                kind=item.kind,
                now=now,
                name=item.name,
                mapping=item.mapping,
                key=_key_in(item.key, f"{field}.key"),
                forward_to=checked_forward_to(item.forward_to, f"{field}.forward_to"),
            )
            changes.append(f"created the {item.kind} integration {item.name} of service {service['name']}")
            continue
        if row["kind"] != item.kind:
            raise ValidationFailed.field(
                f"{field}.kind", f"integration {item.name} is a {row['kind']} integration; its kind cannot change"
            )
        stored = key_values(
            _key_in(item.key, f"{field}.key"), field=f"{field}.key", repo=repo, integration_id=str(row["id"])
        )
        values: dict[str, Any] = {}
        if stored["key_digest"] != row["key_digest"]:
            values.update(key_digest=stored["key_digest"], key_hint=stored["key_hint"], key_rotated_at=now)
        config = dict(row.get("config") or {})
        wanted = dict(item.mapping) if item.mapping else None
        if wanted != config.get("mapping"):
            if item.kind != IntegrationKind.WEBHOOK.value and wanted:
                raise ValidationFailed.field(f"{field}.mapping", "only webhook integrations take a field mapping")
            if wanted:
                WebhookMapping.from_config(wanted)
                config["mapping"] = wanted
            else:
                config.pop("mapping", None)
            values["config"] = config
        forward_to = checked_forward_to(item.forward_to, f"{field}.forward_to")
        if forward_to != row.get("forward_to"):
            values["forward_to"] = forward_to
        if values:
            repo.update_integration(str(row["id"]), values)
            named = (("key", "key_digest"), ("mapping", "config"), ("forward target", "forward_to"))
            what = " and ".join(w for w, column in named if column in values)
            changes.append(f"set the {what} of integration {item.name} of service {service['name']}")
    return changes


def _key_in(key: str, field: str) -> str:
    if not BROUGHT_KEY.match(key):
        raise ValidationFailed.field(field, "a key is 16 to 128 characters: letters, digits, '.', '_', '~' or '-'")
    return key


HISTORY_INTEGRATION = "history import"


def history_integration(
    *, repo: CatalogRepo, service_id: str, existing: Sequence[Mapping[str, Any]], now: datetime
) -> str:
    """The service's integration that imported alerts are filed under, made the first time it is
    needed. Its kind has no intake endpoint and its key is never shown: it takes no traffic."""
    for row in existing:
        if row["kind"] == IntegrationKind.IMPORT.value:
            return str(row["id"])
    integration_id = new_id()
    repo.add_integration(
        {
            "id": integration_id,
            "service_id": service_id,
            "name": HISTORY_INTEGRATION,
            "kind": IntegrationKind.IMPORT.value,
            "key_digest": secret_digest(new_secret()),
            "key_hint": "",
            "config": {},
            "created_at": now,
        }
    )
    return integration_id


def add_maintenance(
    *,
    repo: CatalogRepo,
    service: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    now: datetime,
) -> str:
    row = repo.service_by_name(service)
    if row is None:
        raise NotFound(f"no service named {service}", details=[{"field": "service"}])
    if ends_at <= starts_at:
        raise ValidationFailed.field("ends_at", "must be after starts_at")
    window_id = new_id()
    repo.add_maintenance(
        {
            "id": window_id,
            "service_id": row["id"],
            "starts_at": starts_at,
            "ends_at": ends_at,
            "reason": reason,
            "created_at": now,
        }
    )
    return window_id


def write_changes(repo: ServiceWriter, row: Mapping[str, Any], values: Mapping[str, object]) -> list[str]:
    """Store the values that differ from the row's; the names of those that did, sorted."""
    changed = {key: value for key, value in values.items() if row.get(key) != value}
    if changed:
        repo.update_service(str(row["id"]), changed)
    return sorted(changed)


def dependency_ids(repo: CatalogRepo, service: str, names: Sequence[str], field: str) -> list[str]:
    """The ids of the services `names` (in order, once each); an unknown name or the service itself
    is refused as `field.<index>`."""
    ids: list[str] = []
    for k, name in enumerate(names):
        found = repo.service_by_name(name)
        if found is None or name == service:
            problem = "a service cannot depend on itself" if found else f"no service named {name!r}"
            raise ValidationFailed.field(f"{field}.{k}", problem)
        if str(found["id"]) not in ids:
            ids.append(str(found["id"]))
    return ids


def update_service(
    *,
    repo: CatalogRepo,
    name: str,
    changes: Mapping[str, object],
    policy_ids: Mapping[str, str],
) -> list[str]:
    """Change a service's catalog facts (fields.FIELDS), its grouping, its escalation policy (by
    name, None to unset) and its dependencies (names); only what differs is written. The changed
    fields' names."""
    row = repo.service_by_name(name)
    if row is None:
        raise NotFound(f"no service named {name}", details=[{"field": "name"}])
    given = dict(changes)
    grouped = apply_grouping(
        repo=repo,
        row=row,
        mode=_text_or_none(given.pop("grouping_mode", None)),
        by_labels=_list_or_none(given.pop("group_by_labels", None)),
        window=given.pop("grouping_window_seconds", None),
    )
    extra: dict[str, object] = {}
    if "escalation_policy" in given:
        policy = given.pop("escalation_policy")
        if policy is not None and str(policy) not in policy_ids:
            raise ValidationFailed.field("escalation_policy", f"no escalation policy named {policy!r}")
        extra["escalation_policy_id"] = policy_ids[str(policy)] if policy is not None else None
    if "dependencies" in given:
        names = given.pop("dependencies")
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise ValidationFailed.field("dependencies", "must be a list of service names")
        extra["dependencies"] = dependency_ids(repo, name, names, "dependencies")
    return sorted(grouped + write_changes(repo, row, {**stored_values(given), **extra}))


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _list_or_none(value: object) -> list[object] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise ValidationFailed.field("group_by_labels", "must be a list of label names")
    return list(value)


def apply_facts(*, repo: ServiceWriter, row: Mapping[str, Any], facts: Mapping[str, object], where: str) -> list[str]:
    """Store the catalog facts an `apply` file declares for a service; the names of those that changed.
    An error names the field as the file's other errors do (`services[0].slos[1].target`)."""
    try:
        values = stored_values(facts, f"{where}.")
    except ValidationFailed as exc:
        detail = exc.details[0] if exc.details else {}
        field = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", str(detail.get("field", where)))
        raise ValidationFailed.field(field, str(detail.get("message", exc.message))) from None
    return write_changes(repo, row, values)
