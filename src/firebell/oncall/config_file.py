"""Reading an on-call configuration file, with errors that point at its line and field."""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import ValidationError

from firebell.kernel.errors import ValidationFailed
from firebell.oncall.schemas import OncallConfig

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def load(text: str, source: str = "config") -> tuple[OncallConfig, yaml.Node | None]:
    """The validated configuration and the YAML node tree (for `locate`). Bad YAML or a bad field
    raises ValidationFailed whose message starts with `source:line:`."""
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise located(source, line, "file", f"not valid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise located(source, 1, "file", "the file must be a mapping (users:, schedule:, ...)")
    try:
        return OncallConfig.model_validate(data), tree
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if not (isinstance(p, str) and p in {"str", "ParticipantIn"})]
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        line = locate(tree, [str(p) for p in loc])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise located(source, line, field, message) from None


def located(source: str, line: int, field: str, message: str) -> ValidationFailed:
    """An error that names the file, the line and the field, in the form editors jump to."""
    where = f"{source}:{line}:" if field == "file" else f"{source}:{line}: {field}:"
    return ValidationFailed(f"{where} {message}", details=[{"field": field, "line": line, "message": message}])


def locate(tree: yaml.Node | None, path: list[str]) -> int:
    """The 1-based line of the deepest node along `path` (keys and list indexes)."""
    node = tree
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = next((value for key, value in node.value if key.value == part), None)
            key_node = next((key for key, _value in node.value if key.value == part), None)
            if found is None:
                break
            line = (key_node or found).start_mark.line + 1
            node = found
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            break
    return line


def split_field(field: str) -> list[str]:
    """`schedule.participants[2]` as ['schedule', 'participants', '2']."""
    return [name or index for name, index in _PART.findall(field)]
