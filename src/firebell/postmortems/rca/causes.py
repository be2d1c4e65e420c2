"""A tree of causes, the shape shared by the 5 whys and the fishbone's bones.

In JSON a cause is `{"text": "...", "causes": [...]}`; a bare string is a cause with no sub-causes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from firebell.postmortems.rca.parsing import Budget, array, fail, obj, optional, text

MAX_BRANCHES = 20  # direct sub-causes of one cause


@dataclass(frozen=True, slots=True)
class Cause:
    text: str
    causes: tuple[Cause, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "causes": [c.to_json() for c in self.causes]}


def parse_causes(data: object, path: str, *, budget: Budget, levels: int) -> tuple[Cause, ...]:
    """A list of causes nested at most `levels` deep (1: no sub-causes)."""
    return tuple(
        _parse_cause(item, f"{path}.{k}", budget=budget, levels=levels)
        for k, item in enumerate(array(data, path, limit=MAX_BRANCHES))
    )


def _parse_cause(data: object, path: str, *, budget: Budget, levels: int) -> Cause:
    budget.take()
    if isinstance(data, str):
        return Cause(text(data, path))
    fields = obj(data, path, allowed=("text", "causes"))
    said = text(fields.get("text"), f"{path}.text")
    below = optional(fields, "causes", [])
    if below and levels <= 1:
        raise fail(f"{path}.causes", "nests too deep here; attach this cause higher up")
    return Cause(said, parse_causes(below, f"{path}.causes", budget=budget, levels=levels - 1))


def walk(causes: tuple[Cause, ...]) -> Iterator[tuple[tuple[Cause, ...], Cause]]:
    """Every cause with its ancestors (outermost first), depth first in the given order."""
    stack: list[tuple[tuple[Cause, ...], Cause]] = [((), c) for c in reversed(causes)]
    while stack:
        above, cause = stack.pop()
        yield above, cause
        stack.extend(((*above, cause), c) for c in reversed(cause.causes))
