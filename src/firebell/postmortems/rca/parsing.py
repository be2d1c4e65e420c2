"""Reading plain JSON values (as stored in a JSON column or posted to the API) with size limits.

Every error is a `ValidationFailed` naming the dotted path of the bad field, such as
`fault_tree.events.3.children.1`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from firebell.kernel.errors import ValidationFailed

MAX_TEXT = 500  # characters in one label or statement


def fail(path: str, message: str) -> ValidationFailed:
    return ValidationFailed.field(path, message)


def obj(data: object, path: str, *, allowed: Collection[str]) -> Mapping[str, object]:
    """A JSON object with no field outside `allowed` (a typo is reported, not silently dropped)."""
    if not isinstance(data, Mapping):
        raise fail(path, "must be an object")
    for key in data:
        if key not in allowed:
            raise fail(f"{path}.{key}", f"unknown field; use {', '.join(allowed)}")
    return data


def optional(fields: Mapping[str, object], key: str, default: object) -> object:
    """The field's value, or `default` when it is absent or null."""
    value = fields.get(key)
    return default if value is None else value


def array(data: object, path: str, *, limit: int) -> list[object]:
    """A JSON array of at most `limit` items."""
    if not isinstance(data, list | tuple):
        raise fail(path, "must be a list")
    if len(data) > limit:
        raise fail(path, f"has {len(data)} items; at most {limit}")
    return list(data)


def text(data: object, path: str, *, limit: int = MAX_TEXT, required: bool = True) -> str:
    """A string with its runs of whitespace made single spaces; no control characters."""
    if not isinstance(data, str):
        raise fail(path, "must be a string")
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in data) or "\x7f" in data:
        raise fail(path, "must not contain control characters")
    clean = " ".join(data.split())
    if required and not clean:
        raise fail(path, "must not be empty")
    if len(clean) > limit:
        raise fail(path, f"is {len(clean)} characters long; at most {limit}")
    return clean


@dataclass(slots=True)
class Budget:
    """A count of items read so far across a whole document, so nesting cannot multiply the limit."""

    path: str
    what: str
    limit: int
    used: int = 0

    def take(self) -> None:
        self.used += 1
        if self.used > self.limit:
            raise fail(self.path, f"has more than {self.limit} {self.what}")
