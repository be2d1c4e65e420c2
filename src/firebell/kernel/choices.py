"""Reading a choice (an enum member) from what a person typed, with a clear error naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from firebell.kernel.errors import ValidationFailed

E = TypeVar("E", bound=StrEnum)


def parse_choice(cls: type[E], text: str, *, field: str, aliases: Mapping[str, str] | None = None) -> E:
    """`cls`'s member for `text`, read case-insensitively with spaces and dashes as underscores, or
    through `aliases` (keys in that same form); else ValidationFailed naming `field` and the choices."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    key = (aliases or {}).get(key, key)
    for member in cls:
        if member.value.lower() == key:
            return member
    raise ValidationFailed.field(field, "use " + ", ".join(m.value for m in cls))
