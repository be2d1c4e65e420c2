from __future__ import annotations

import pytest

from firebell.postmortems.rca import Bone, Category, Cause, Fishbone, fishbone, parse_fishbone
from tests.unit.postmortems.examples import WEBSITE_FISHBONE
from tests.unit.postmortems.helpers import refused


def test_the_guides_fishbone_has_five_bones_in_order_and_round_trips() -> None:
    bones = parse_fishbone(WEBSITE_FISHBONE)
    assert [b.category for b in bones.bones] == list(Category)
    assert bones.bone(Category.MACHINES).causes == (
        Cause("Load balancer health checks not tuned", (Cause("Timeout: 2s"),)),
    )  # the category name is case-insensitive
    assert [c.text for c in bones.bone(Category.MANPOWER).causes] == ["On-call team understaffed", "No runbook"]
    assert parse_fishbone(bones.to_json()) == bones
    categories = bones.to_json()["categories"]
    assert isinstance(categories, dict)
    assert list(categories) == ["methods", "machines", "materials", "manpower", "environment"]


def test_missing_categories_are_empty_bones() -> None:
    bones = parse_fishbone({"effect": "Slow checkout", "categories": {"environment": ["Black Friday traffic"]}})
    assert bones == fishbone("Slow checkout", {Category.ENVIRONMENT: (Cause("Black Friday traffic"),)})
    assert bones.bone(Category.METHODS) == Bone(Category.METHODS)
    assert parse_fishbone({"effect": "e"}) == Fishbone("e")


def test_a_fishbone_always_holds_the_five_bones_in_order() -> None:
    with pytest.raises(ValueError, match="one bone per category"):
        Fishbone("e", (Bone(Category.MACHINES), Bone(Category.METHODS)))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"effect": "e", "categories": {"people": ["x"]}},
            "fishbone.categories.people",
            "unknown category; use one of methods, machines, materials, manpower, environment",
        ),
        ({"effect": "e", "categories": ["methods"]}, "fishbone.categories", "must be an object of category: [causes]"),
        (
            {"effect": "e", "categories": {"Methods": [], "methods": []}},
            "fishbone.categories.methods",
            "methods is given twice",
        ),
        ({"categories": {}}, "fishbone.effect", "must be a string"),
        (
            {
                "effect": "e",
                "categories": {
                    "methods": [{"text": "a", "causes": [{"text": "b", "causes": [{"text": "c", "causes": ["d"]}]}]}]
                },
            },
            "fishbone.categories.methods.0.causes.0.causes.0.causes",
            "nests too deep here; attach this cause higher up",
        ),
        (
            {"effect": "e", "categories": {c.value: [{"text": "x", "causes": ["y"] * 19}] * 3 for c in Category}},
            "fishbone",
            "has more than 200 causes",
        ),
    ],
)
def test_bad_input_names_the_field(data: object, field: str, message: str) -> None:
    assert refused(parse_fishbone, data) == (field, message)
