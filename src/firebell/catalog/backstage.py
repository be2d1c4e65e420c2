"""Backstage's `catalog-info.yaml` and Firebell services, both ways. Pure: entities are plain mappings
(reading and writing the YAML happens elsewhere).

A service is a Backstage `Component` (apiVersion backstage.io/v1alpha1):
- metadata.name, description and tags are the service's name, description and tags;
- metadata.links: a link of type `runbook` is the runbook URL, every other http(s) link a dashboard;
- spec.type, spec.lifecycle and spec.system are kept as they are; spec.owner is the owner team (a
  leading `group:default/` is dropped on the way in; a team name that is no entity reference goes
  out as a slug, with the name as written in `firebell.io/owner-team`);
- spec.dependsOn lists the dependencies as `component:default/<name>`; a reference to something
  Firebell has no service for (a resource, another namespace's component) is kept as written;
- annotations under `firebell.io/` carry what Backstage has no field for: the tier, the escalation
  policy's name, and the SLOs and SLIs as JSON. Other annotations are kept and written back, except
  the two Backstage sets itself when it reads a file (`backstage.io/managed-by-*`).

On import, what a document states replaces what is stored. A `firebell.io/` annotation that is
absent leaves its fact as it is, so a catalog kept in Backstage need not know Firebell's policies;
an empty one clears it. A runbook URL, too, is only replaced by a `runbook` link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from firebell.catalog.fields import DEFAULTS

API_VERSION = "backstage.io/v1alpha1"
API_VERSIONS = frozenset({"backstage.io/v1alpha1", "backstage.io/v1beta1"})
PREFIX = "firebell.io/"
TIER = "firebell.io/tier"
POLICY = "firebell.io/escalation-policy"
SLOS = "firebell.io/slos"
SLIS = "firebell.io/slis"
OWNER = "firebell.io/owner-team"
OURS = frozenset({TIER, POLICY, SLOS, SLIS, OWNER})
SET_BY_BACKSTAGE = frozenset({"backstage.io/managed-by-location", "backstage.io/managed-by-origin-location"})

_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_REF = re.compile(rf"^(?:([A-Za-z][A-Za-z0-9]*):)?(?:([a-z0-9](?:[-a-z0-9]{{0,61}}[a-z0-9])?)/)?({_NAME})$")
BACKSTAGE_NAME = re.compile(rf"^{_NAME}$")


@dataclass(frozen=True, slots=True)
class EntityRef:
    kind: str  # lower case
    namespace: str
    name: str

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"


def parse_ref(text: str, default_kind: str = "component", namespace: str = "default") -> EntityRef | None:
    """`[kind:][namespace/]name`, as Backstage writes references; None when it is not one."""
    found = _REF.match(text.strip())
    if found is None:
        return None
    return EntityRef((found[1] or default_kind).lower(), found[2] or namespace, found[3])


def component_ref(name: str) -> str:
    return f"component:default/{name}"


@dataclass(frozen=True, slots=True)
class Service:
    """A service as the exchange sees it. On export `values` holds every catalog field; on import
    only those the document states. `escalation_policy` is a policy's name, '' to clear, None when
    not stated. `depends_on` holds entity references."""

    name: str
    values: Mapping[str, object] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)  # other tools', kept as they are
    escalation_policy: str | None = None
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Note:
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Catalog:
    services: tuple[tuple[int, Service], ...]  # each with its document's index
    notes: tuple[Note, ...]


def owner_team_of(owner: str) -> str:
    """The team a `spec.owner` names: 'group:default/payments' and 'group:payments' are 'payments'."""
    text = owner.strip()
    if text.lower().startswith("group:"):
        text = text[len("group:") :]
    return text.removeprefix("default/")


def owner_ref(team: str) -> str:
    """`spec.owner` for a team: the name when it is an entity reference, else a slug of it."""
    if parse_ref(team) is not None:
        return team
    slug = re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-")[:63].strip("-")
    return slug or "unknown"


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)  # JSONB reorders keys


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _links(values: Mapping[str, object]) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    if values["runbook_url"]:
        links.append({"url": str(values["runbook_url"]), "title": "Runbook", "type": "runbook", "icon": "docs"})
    for board in _items(values["dashboards"]):
        if not isinstance(board, Mapping):
            continue
        link = {"url": str(board["url"])}
        if board["title"]:
            link["title"] = str(board["title"])
        links.append({**link, "type": "dashboard", "icon": "dashboard"})
    return links


def entity_of(service: Service) -> dict[str, object]:
    """The service as a Backstage Component entity."""
    values = {**DEFAULTS, **service.values}
    metadata: dict[str, object] = {"name": service.name}
    if values["description"]:
        metadata["description"] = values["description"]
    if values["tags"]:
        metadata["tags"] = [str(tag) for tag in _items(values["tags"])]
    links = _links(values)
    if links:
        metadata["links"] = links
    team, owner = str(values["owner_team"]), owner_ref(str(values["owner_team"]))
    annotations = {TIER: str(values["tier"])}
    if owner_team_of(owner) != team:
        annotations[OWNER] = team
    if service.escalation_policy:
        annotations[POLICY] = service.escalation_policy
    for key, name in ((SLOS, "slos"), (SLIS, "slis")):
        if values[name]:
            annotations[key] = _compact(values[name])
    annotations.update(sorted(service.annotations.items()))
    metadata["annotations"] = annotations
    spec: dict[str, object] = {"type": values["component_type"], "lifecycle": values["lifecycle"], "owner": owner}
    if values["system"]:
        spec["system"] = values["system"]
    if service.depends_on:
        spec["dependsOn"] = list(service.depends_on)
    return {"apiVersion": API_VERSION, "kind": "Component", "metadata": metadata, "spec": spec}
