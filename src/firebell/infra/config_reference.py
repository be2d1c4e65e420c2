"""The configuration reference, written from the settings class itself: every variable, its
default and what it does, section by section (docs/configuration.md is this module's output)."""

from __future__ import annotations

import inspect
import json
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from firebell.infra.settings import Settings

PREFIX = "FIREBELL_"


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        return "a dev-only value" if secret else "empty"
    if value in ("", None):
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`" if not isinstance(value, list | dict) else f"`{json.dumps(value)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            continue
        rows.append(f"| `{prefix}{name.upper()}` | {_default(field)} | {_cell(field.description or '')} |")
    return rows


def _sections() -> list[tuple[str, str, type[BaseModel]]]:
    found: list[tuple[str, str, type[BaseModel]]] = []
    for name, field in Settings.model_fields.items():
        annotation: Any = field.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            found.append((name, f"{PREFIX}{name.upper()}__", annotation))
    return found


def reference() -> str:
    """The whole reference as Markdown."""
    header = "| variable | default | meaning |\n|---|---|---|"
    parts = [
        "# Configuration reference",
        "",
        "Firebell reads its settings from environment variables: the `FIREBELL_` prefix, and `__` between a",
        "section and its setting (`FIREBELL_SMTP__HOST`). This page is written from the settings class",
        "(`firebell config reference > docs/configuration.md`); a test keeps it current.",
        "",
        "## General",
        "",
        header,
        *_rows(Settings, PREFIX),
    ]
    for name, prefix, model in _sections():
        title = name.replace("_", " ").capitalize()
        about = _cell(inspect.getdoc(model) or "")
        parts += ["", f"## {title} (`{prefix}*`)", ""]
        if about:
            parts += [about, ""]
        parts += [header, *_rows(model, prefix)]
    return "\n".join(parts) + "\n"
