"""The fishbone (Ishikawa) diagram: an effect, and its causes grouped under five categories.

The categories are the incident guide's: methods, machines, materials, manpower and environment. A
cause may have sub-causes, down to `MAX_DEPTH` levels. A fishbone always holds all five bones, in the
order of `Category`; a bone may be empty.

JSON: `{"effect": "...", "categories": {"methods": [cause, ...], "machines": [...], ...}}`, where a cause
is `{"text": "...", "causes": [...]}` or a bare string; category names are case-insensitive, and a
missing category is an empty bone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from firebell.postmortems.rca.causes import Cause, parse_causes
from firebell.postmortems.rca.parsing import Budget, fail, obj, optional, text

MAX_CAUSES = 200
MAX_DEPTH = 3  # a cause, its sub-causes, and theirs


class Category(StrEnum):
    METHODS = "methods"  # process: deployment, review, runbooks
    MACHINES = "machines"  # infrastructure and software
    MATERIALS = "materials"  # configuration, data, dependencies
    MANPOWER = "manpower"  # people: staffing, training, knowledge
    ENVIRONMENT = "environment"  # outside conditions: traffic, providers, events

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True, slots=True)
class Bone:
    category: Category
    causes: tuple[Cause, ...] = ()


@dataclass(frozen=True, slots=True)
class Fishbone:
    effect: str
    bones: tuple[Bone, ...] = tuple(Bone(c) for c in Category)

    def __post_init__(self) -> None:
        if tuple(b.category for b in self.bones) != tuple(Category):
            raise ValueError("a fishbone has one bone per category, in the order of Category")

    def bone(self, category: Category) -> Bone:
        return next(b for b in self.bones if b.category is category)

    def to_json(self) -> dict[str, object]:
        return {
            "effect": self.effect,
            "categories": {b.category.value: [c.to_json() for c in b.causes] for b in self.bones},
        }


def fishbone(effect: str, causes: dict[Category, tuple[Cause, ...]]) -> Fishbone:
    """A fishbone with a bone for every category, in order; unnamed categories are empty."""
    return Fishbone(effect, tuple(Bone(c, causes.get(c, ())) for c in Category))


def parse_fishbone(data: object, *, field: str = "fishbone") -> Fishbone:
    """Read a fishbone from JSON; raises ValidationFailed naming the bad field."""
    fields = obj(data, field, allowed=("effect", "categories"))
    effect = text(fields.get("effect"), f"{field}.effect")
    groups = optional(fields, "categories", {})
    if not isinstance(groups, dict):
        raise fail(f"{field}.categories", "must be an object of category: [causes]")
    budget = Budget(field, "causes", MAX_CAUSES)
    causes: dict[Category, tuple[Cause, ...]] = {}
    for name, items in groups.items():
        path = f"{field}.categories.{name}"
        category = _category(str(name), path)
        if category in causes:
            raise fail(path, f"{category.value} is given twice")
        causes[category] = parse_causes(items, path, budget=budget, levels=MAX_DEPTH)
    return fishbone(effect, causes)


def _category(name: str, path: str) -> Category:
    try:
        return Category(name.strip().lower())
    except ValueError:
        raise fail(path, f"unknown category; use one of {', '.join(c.value for c in Category)}") from None
