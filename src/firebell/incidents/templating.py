"""Rendering the communication templates: shipped defaults, operators' edits, a sandbox.

Templates are Jinja2 in a sandbox (an edited template cannot reach Python internals), rendered as
plain text: every channel escapes for itself. Power and multiplication are checked so a template
cannot build a huge number or string, output is capped, and any failure of an edited template is a
clear 422, never a 500.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from importlib import resources
from typing import Any

from jinja2 import Template, TemplateSyntaxError, Undefined
from jinja2.sandbox import SandboxedEnvironment

from firebell.incidents.comms import TEMPLATES
from firebell.kernel.errors import ValidationFailed

MAX_OUTPUT = 20_000  # characters: far above any message, far below trouble
_BIG = 10**6


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, _context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if abs(left) > _BIG or abs(right) > 64:
                raise ValueError("** is limited to small numbers in templates")
            return operator.pow(left, right)
        for side in (left, right):
            if isinstance(side, int) and abs(side) > _BIG:
                raise ValueError("* is limited to small numbers in templates")
        return operator.mul(left, right)


_env = _Sandbox(autoescape=False, undefined=Undefined, keep_trailing_newline=False)


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """A template compiled once per source text: the incident page renders its suggested update on
    every load. A source that does not parse raises each time (exceptions are not cached)."""
    return _env.from_string(source)


def default_source(key: str) -> str:
    if key not in TEMPLATES:
        raise ValidationFailed.field("template", f"unknown template {key!r}; use one of {', '.join(TEMPLATES)}")
    return resources.files("firebell.incidents").joinpath("message_templates", f"{key}.j2").read_text("utf-8")


def check(source: str, field: str = "body", sample: Mapping[str, Any] | None = None) -> None:
    """Refuse a template that does not parse (naming the line) or, given sample variables, fails."""
    try:
        _env.parse(source)
    except TemplateSyntaxError as exc:
        raise ValidationFailed.field(field, f"line {exc.lineno}: {exc.message}") from None
    if sample is not None:
        render(source, sample, field)


def render(source: str, variables: Mapping[str, Any], field: str = "body") -> str:
    try:
        chunks: list[str] = []
        size = 0
        for chunk in _compiled(source).generate(**variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise ValueError(f"the message would be longer than {MAX_OUTPUT} characters")
            chunks.append(chunk)
    except TemplateSyntaxError as exc:
        raise ValidationFailed.field(field, f"the template does not parse: line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # an edited template may fail in any way: say so, never crash the page
        raise ValidationFailed.field(field, f"the template failed: {type(exc).__name__}: {exc}") from None
    text = "".join(chunks)
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"
