"""Reading Backstage entities into services (the mapping is described in `catalog.backstage`). Pure.

Errors name the document and the field (`documents.2.spec.owner`); the first error of every document
is reported at once. Entities of other kinds are skipped with a note, as are links that are not
http(s) and `firebell.io/` annotations that Firebell does not know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from firebell.catalog.backstage import (
    API_VERSIONS,
    OURS,
    OWNER,
    POLICY,
    PREFIX,
    SET_BY_BACKSTAGE,
    SLIS,
    SLOS,
    TIER,
    Catalog,
    Note,
    Service,
    component_ref,
    owner_team_of,
    parse_ref,
)
from firebell.catalog.fields import MAX_DASHBOARDS, Dashboard, stored_value, text_value
from firebell.catalog.model import check_http_url, check_service_name
from firebell.kernel.errors import ValidationFailed

_SKIP_HINT = {"location": " (import the files it points to instead)"}


def _mapping(value: object, field: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValidationFailed.field(field, "must be a mapping")
    return value


def _string(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.field(field, "must be a non-empty string")
    return value.strip()


def _list(value: object, field: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationFailed.field(field, "must be a list")
    return value


def _links(metadata: Mapping[str, object], at: str, notes: list[Note]) -> dict[str, object]:
    """The runbook URL (the first `runbook` link, when there is one) and the dashboards (every other link)."""
    values: dict[str, object] = {}
    dashboards: list[dict[str, object]] = []
    for k, raw in enumerate(_list(metadata.get("links"), f"{at}.links")):
        where = f"{at}.links.{k}"
        link = _mapping(raw, where)
        url = _string(link.get("url"), f"{where}.url")
        if not url.lower().startswith(("http://", "https://")):
            notes.append(Note(f"{where}.url", "skipped: only http(s) links become dashboards"))
            continue
        if str(link.get("type") or "").strip().lower() == "runbook" and "runbook_url" not in values:
            values["runbook_url"] = stored_value("runbook_url", url, f"{where}.url")
            continue
        title = text_value(200)(link.get("title"), f"{where}.title")
        dashboards.append(Dashboard(title, check_http_url(url, f"{where}.url")).document())
    if len(dashboards) > MAX_DASHBOARDS:
        raise ValidationFailed.field(f"{at}.links", f"at most {MAX_DASHBOARDS} dashboards")
    return {**values, "dashboards": dashboards}


def _json(text: str, field: str) -> object:
    if not text.strip():
        return []  # an empty annotation clears
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationFailed.field(field, f"not valid JSON ({exc})") from None


def _annotations(metadata: Mapping[str, object], at: str, notes: list[Note]) -> tuple[dict[str, str], dict[str, str]]:
    """Firebell's own annotations, and everyone else's except those Backstage sets itself."""
    ours: dict[str, str] = {}
    theirs: dict[str, str] = {}
    raw = metadata.get("annotations")
    for key, value in (_mapping(raw, f"{at}.annotations") if raw is not None else {}).items():
        field = f"{at}.annotations.{key}"
        if key == TIER and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # `firebell.io/tier: 1` written without quotes
        if not isinstance(value, str):
            raise ValidationFailed.field(field, "annotation values must be strings")
        if key in OURS:
            ours[key] = value
        elif key.startswith(PREFIX):
            notes.append(Note(field, "skipped: not an annotation Firebell knows"))
        elif key not in SET_BY_BACKSTAGE:
            theirs[key] = value
    return ours, theirs


def _our_values(ours: Mapping[str, str], at: str) -> dict[str, object]:
    """Tier, SLOs and SLIs where their annotations are present."""
    values: dict[str, object] = {}
    if TIER in ours:
        text = ours[TIER].strip()
        values["tier"] = stored_value("tier", int(text) if text.isdigit() else text, f"{at}.{TIER}")
    for key, name in ((SLOS, "slos"), (SLIS, "slis")):
        if key in ours:
            values[name] = stored_value(name, _json(ours[key], f"{at}.{key}"), f"{at}.{key}")
    return values


def _depends_on(spec: Mapping[str, object], name: str, namespace: str, at: str) -> tuple[str, ...]:
    refs: list[str] = []
    for k, raw in enumerate(_list(spec.get("dependsOn"), f"{at}.dependsOn")):
        where = f"{at}.dependsOn.{k}"
        text = _string(raw, where)
        ref = parse_ref(text, namespace=namespace)
        if ref is None:
            raise ValidationFailed.field(where, "write an entity reference such as component:default/payments-db")
        if ref.kind == "component" and ref.namespace == namespace:
            if ref.name.lower() == name.lower():
                raise ValidationFailed.field(where, "a component cannot depend on itself")
            if namespace != "default":
                text = component_ref(ref.name)  # its namespace is the one imported as Firebell's
        if text not in refs:
            refs.append(text)
    return tuple(refs)


def _component(entity: Mapping[str, object], at: str, notes: list[Note]) -> Service:
    metadata = _mapping(entity.get("metadata"), f"{at}.metadata")
    spec = _mapping(entity.get("spec"), f"{at}.spec")
    name = check_service_name(_string(metadata.get("name"), f"{at}.metadata.name"), f"{at}.metadata.name")
    namespace = str(metadata.get("namespace") or "default")
    if namespace != "default":
        notes.append(Note(f"{at}.metadata.namespace", f"Firebell has one namespace: {namespace}/{name} is {name}"))
    ours, theirs = _annotations(metadata, f"{at}.metadata", notes)
    owner = _string(spec.get("owner"), f"{at}.spec.owner")
    owner_field = f"{at}.metadata.annotations.{OWNER}" if OWNER in ours else f"{at}.spec.owner"
    values = {
        "description": text_value(5000)(metadata.get("description"), f"{at}.metadata.description"),
        "tags": stored_value("tags", metadata.get("tags") or [], f"{at}.metadata.tags"),
        "component_type": stored_value(
            "component_type", _string(spec.get("type"), f"{at}.spec.type"), f"{at}.spec.type"
        ),
        "lifecycle": stored_value(
            "lifecycle", _string(spec.get("lifecycle"), f"{at}.spec.lifecycle"), f"{at}.spec.lifecycle"
        ),
        "owner_team": text_value(200)(ours.get(OWNER, owner_team_of(owner)), owner_field),
        "system": text_value(200)(spec.get("system"), f"{at}.spec.system"),
        **_links(metadata, f"{at}.metadata", notes),
        **_our_values(ours, f"{at}.metadata.annotations"),
    }
    policy = ours.get(POLICY)
    return Service(
        name,
        values,
        theirs,
        policy.strip() if policy is not None else None,
        _depends_on(spec, name, namespace, f"{at}.spec"),
    )


def _entity(document: object, at: str, notes: list[Note]) -> Service | None:
    entity = _mapping(document, at)
    kind = _string(entity.get("kind"), f"{at}.kind")
    if kind != "Component":
        notes.append(
            Note(f"{at}.kind", f"skipped a {kind}: only Components become services{_SKIP_HINT.get(kind.lower(), '')}")
        )
        return None
    version = entity.get("apiVersion")
    if version not in API_VERSIONS:
        raise ValidationFailed.field(f"{at}.apiVersion", f"use {' or '.join(sorted(API_VERSIONS))}")
    return _component(entity, at, notes)


def read_catalog(documents: Sequence[object]) -> Catalog:
    """The services that the Components among `documents` declare; empty documents are passed over.

    Raises ValidationFailed whose details hold the first error of each document that has one.
    """
    services: list[tuple[int, Service]] = []
    notes: list[Note] = []
    problems: list[Mapping[str, object]] = []
    first: dict[str, int] = {}
    for index, document in enumerate(documents):
        at = f"documents.{index}"
        if document is None:
            continue
        try:
            service = _entity(document, at, notes)
        except ValidationFailed as exc:
            problems.append(exc.details[0] if exc.details else {"field": at, "message": exc.message})
            continue
        if service is None:
            continue
        earlier = first.setdefault(service.name.lower(), index)
        if earlier != index:
            problems.append(
                {"field": f"{at}.metadata.name", "message": f"a second {service.name} (see documents.{earlier})"}
            )
            continue
        services.append((index, service))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationFailed(f"{problems[0]['field']}: {problems[0]['message']}{more}", details=problems)
    return Catalog(tuple(services), tuple(notes))
