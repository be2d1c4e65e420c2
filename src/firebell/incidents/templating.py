"""Rendering the communication templates: shipped defaults, operators' edits, a sandbox.

Templates are Jinja2 in a sandbox (an edited template cannot reach Python internals), rendered as
plain text: every channel escapes for itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from firebell.incidents.comms import TEMPLATES
from firebell.kernel.errors import ValidationFailed

_env = SandboxedEnvironment(autoescape=False, undefined=Undefined, keep_trailing_newline=False)


def default_source(key: str) -> str:
    if key not in TEMPLATES:
        raise ValidationFailed.field("template", f"unknown template {key!r}; use one of {', '.join(TEMPLATES)}")
    return resources.files("firebell.incidents").joinpath("message_templates", f"{key}.j2").read_text("utf-8")


def check(source: str, field: str = "body") -> None:
    """Refuse a template that does not parse, naming the line."""
    try:
        _env.parse(source)
    except TemplateSyntaxError as exc:
        raise ValidationFailed.field(field, f"line {exc.lineno}: {exc.message}") from None


def render(source: str, variables: Mapping[str, Any]) -> str:
    try:
        text = _env.from_string(source).render(**variables)
    except TemplateSyntaxError as exc:
        raise ValidationFailed.field("body", f"the template does not parse: line {exc.lineno}: {exc.message}") from None
    except (UndefinedError, SecurityError, TypeError, ValueError) as exc:
        raise ValidationFailed.field("body", f"the template failed: {exc}") from None
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"
