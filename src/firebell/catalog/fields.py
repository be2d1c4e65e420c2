"""The catalog facts of a service that people edit (API, `apply` file, Backstage import), validated
into the form they are stored in. Pure.

Each function takes the raw value and the field's name, so an error names the field as the caller's
input spells it (`slos.0.target`, `documents.2.metadata.links.1.url`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from firebell.catalog.model import check_http_url, check_tier
from firebell.catalog.slo import bounded_list, parse_slis, parse_slos, records
from firebell.kernel.errors import ValidationFailed

# Backstage's tag format, so an exported catalog passes its validator.
_TAG = re.compile(r"^[a-z0-9+#]+(-[a-z0-9+#]+)*$")
_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_DASHBOARDS = 30
MAX_TAGS = 20


@dataclass(frozen=True, slots=True)
class Dashboard:
    title: str  # may be empty: the URL is shown instead
    url: str

    def document(self) -> dict[str, object]:
        return {"title": self.title, "url": self.url}


def text_value(limit: int) -> Callable[[object, str], str]:
    def check(value: object, field: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValidationFailed.field(field, "must be text")
        if len(value.strip()) > limit:
            raise ValidationFailed.field(field, f"must be at most {limit} characters")
        return value.strip()

    return check


def word_value(value: object, field: str) -> str:
    """A short identifier such as a lifecycle (`production`) or a component type (`service`)."""
    if not isinstance(value, str) or not _WORD.match(value.strip()):
        raise ValidationFailed.field(
            field, "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value.strip()


def runbook_url_value(value: object, field: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_http_url(value, field)


def dashboards_of(raw: object, field: str = "dashboards") -> tuple[Dashboard, ...]:
    """Dashboards from plain data: each an http(s) URL with an optional title."""
    found: list[Dashboard] = []
    for k, item in enumerate(records(raw, field, frozenset({"title", "url"}), MAX_DASHBOARDS)):
        title = text_value(200)(item.get("title"), f"{field}.{k}.title")
        found.append(Dashboard(title, check_http_url(item.get("url"), f"{field}.{k}.url")))
    return tuple(found)


def tags_value(raw: object, field: str) -> list[str]:
    tags: list[str] = []
    for k, tag in enumerate(bounded_list(raw, field, MAX_TAGS)):
        if not isinstance(tag, str) or len(tag) > 63 or not _TAG.match(tag):
            raise ValidationFailed.field(f"{field}.{k}", "use lowercase letters, digits, '+' or '#', joined by '-'")
        if tag not in tags:
            tags.append(tag)
    return tags


_CHECKS: dict[str, Callable[[object, str], object]] = {
    "description": text_value(5000),
    "owner_team": text_value(200),
    "tier": check_tier,
    "runbook_url": runbook_url_value,
    "lifecycle": word_value,
    "system": text_value(200),
    "component_type": word_value,
    "tags": tags_value,
    "slos": lambda raw, field: [s.document() for s in parse_slos(raw, field)],
    "slis": lambda raw, field: [s.document() for s in parse_slis(raw, field)],
    "dashboards": lambda raw, field: [d.document() for d in dashboards_of(raw, field)],
}
FIELDS = frozenset(_CHECKS)

DEFAULTS: dict[str, object] = {
    "description": "",
    "owner_team": "",
    "tier": 2,
    "runbook_url": None,
    "lifecycle": "production",
    "system": "",
    "component_type": "service",
    "tags": [],
    "slos": [],
    "slis": [],
    "dashboards": [],
}


def stored_value(key: str, value: object, field: str) -> object:
    """The stored form of one catalog field; an error names `field`."""
    return _CHECKS[key](value, field)


def stored_values(given: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """The stored form of each given field (only those given); `prefix` goes before each field's name."""
    unknown = sorted(set(given) - FIELDS)
    if unknown:
        raise ValueError(f"not catalog fields: {', '.join(unknown)}")
    return {key: stored_value(key, value, f"{prefix}{key}") for key, value in given.items()}
