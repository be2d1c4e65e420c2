"""Backstage catalog files as text: a stream of YAML documents in, a stream of entities out."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from firebell.kernel.errors import ValidationFailed

MEDIA_TYPE = "application/yaml"
# YAML counts these as line breaks: written raw in a plain or single-quoted scalar they come back as
# spaces, so a string holding one is written double-quoted, where they are escaped (\N, \L, \P).
_BREAKS = ("\x85", "\u2028", "\u2029")


class _Dumper(yaml.SafeDumper):
    pass


def _string(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if any(c in data for c in _BREAKS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _string)


def load_documents(text: str) -> list[object]:
    """Every document of a YAML stream (empty ones as None); bad YAML is refused naming its line."""
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValidationFailed.field("file", f"not valid YAML{line}: {problem}") from None


def dump_documents(entities: Sequence[object], comments: Sequence[str] = ()) -> str:
    """Entities as a multi-document YAML stream, with `comments` as lines on top."""
    head = "".join(f"# {line}\n" for line in comments)
    body = yaml.dump_all(
        entities, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000, explicit_start=True
    )
    return head + (body if entities else "")
