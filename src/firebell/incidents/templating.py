"""The communication templates' sources: the shipped defaults.

Templates are Jinja2 in a sandbox (sandbox.py), rendered as plain text (every channel escapes for
itself), and only ever in the renderer's worker processes (render_pool.py), within limits of output,
time and memory; any failure of an edited template is a clear 422, never a 500.
"""

from __future__ import annotations

from importlib import resources

from firebell.incidents.comms import TEMPLATES
from firebell.kernel.errors import ValidationFailed


def default_source(key: str) -> str:
    if key not in TEMPLATES:
        raise ValidationFailed.field("template", f"unknown template {key!r}; use one of {', '.join(TEMPLATES)}")
    return resources.files("firebell.incidents").joinpath("message_templates", f"{key}.j2").read_text("utf-8")
