"""Finishing touches on the OpenAPI document, so that clients generated from it work as written.

- **Security schemes.** Operations that need a caller declare the API token (`Authorization: Bearer`)
  and the browser session; the Opsgenie-compatible intake declares its `GenieKey` header. Without
  them generated clients send no credentials.
- **One title per schema.** Two models of the same class name in different domains share a title;
  some generators then merge or drop them and the endpoints that use them. Each such schema gets a
  name of its own, prefixed with its domain, and every reference follows.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from firebell.web.deps import SESSION_COOKIE, principal

SECURITY_SCHEMES: dict[str, Any] = {
    "apiToken": {"type": "http", "scheme": "bearer", "description": "an API token (`firebell token create`)"},
    "browserSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "a signed-in browser; changes also need the page's CSRF token as X-CSRF-Token",
    },
    "genieKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Opsgenie-compatible intake: `GenieKey <integration key>`",
    },
}
_CALLER: list[dict[str, list[str]]] = [{"apiToken": []}, {"browserSession": []}]
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def finish(app: FastAPI, schema: dict[str, Any]) -> None:
    """Declare the security schemes and give every schema a title of its own (in place)."""
    _declare_security(app, schema)
    _distinct_titles(schema)


def _needs_caller(dependant: Dependant) -> bool:
    return any(d.call is principal or _needs_caller(d) for d in dependant.dependencies)


def _declare_security(app: FastAPI, schema: dict[str, Any]) -> None:
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    paths: dict[str, dict[str, Any]] = schema.get("paths", {})
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        if dependant is None or not _needs_caller(dependant):
            continue
        path = str(getattr(context, "path_format", context.path))
        for method in context.methods or ():
            operation = paths.get(path, {}).get(method.lower())
            if operation is not None:
                operation["security"] = _CALLER
    for path, operations in paths.items():
        if path == "/v2/alerts" or path.startswith("/v2/alerts/") or path.startswith("/v2/heartbeats/"):
            for method, operation in operations.items():
                if method in _METHODS:
                    operation["security"] = [{"genieKey": []}]


def _readable(key: str, by: int) -> str:
    """`firebell__history__schemas__ImportRead` -> `HistoryImportRead` (by 1: its domain) or
    `SchemasImportRead` (by 2: its module); `Question-Output` -> `QuestionOutput`."""
    parts = key.split("__")
    if len(parts) >= 3 and parts[0] == "firebell":
        return parts[by if by == 1 else -2].title().replace("_", "") + parts[-1]
    return key.replace("-", "")


def _distinct_titles(schema: dict[str, Any]) -> None:
    components: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    by_title: dict[str, list[str]] = defaultdict(list)
    for key, value in components.items():
        by_title[str(value.get("title", key))].append(key)
    renamed: dict[str, str] = {}
    for keys in by_title.values():
        if len(keys) == 1:
            continue
        for by in (1, 2):  # the domain's name, else the module's, else the key FastAPI gave it
            names = {key: _readable(key, by) for key in keys}
            if len(set(names.values())) == len(keys) and not set(names.values()) & (set(components) - set(keys)):
                break
        else:
            names = {key: key for key in keys}
        renamed.update(names)
    schema["components"]["schemas"] = {
        renamed.get(key, key): ({**value, "title": renamed[key]} if key in renamed else value)
        for key, value in components.items()
    }
    refs = {f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renamed.items()}
    if any(old != new for old, new in refs.items()):
        _rewrite_refs(schema, refs)


def _rewrite_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _rewrite_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, refs)
