from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from firebell.postmortems.diagrams import fault_tree_svg, fishbone_svg, five_whys_svg
from firebell.postmortems.rca import (
    Category,
    Cause,
    Event,
    FaultTree,
    FiveWhys,
    Gate,
    fishbone,
    parse_fault_tree,
    parse_fishbone,
    parse_five_whys,
    root_cause_paths,
)
from tests.unit.postmortems.examples import WEBSITE_FAULT_TREE, WEBSITE_FISHBONE, WEBSITE_FIVE_WHYS

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & "quoted" <img src=x onerror=alert(1)>'


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    return root


def _classes(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter(f"{SVG}g") if name in el.get("class", "").split()]


def _titles(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}title")]


def _hostile_drawings() -> list[str]:
    tree = FaultTree(
        "top",
        (Event("top", HOSTILE, Gate.AND, ("a", "b")), Event("a", HOSTILE), Event("b", "B")),
    )
    return [
        five_whys_svg(FiveWhys(HOSTILE, (Cause(HOSTILE, (Cause(HOSTILE),)),))),
        fault_tree_svg(tree, highlight={"a"}),
        fishbone_svg(fishbone(HOSTILE, {Category.METHODS: (Cause(HOSTILE, (Cause(HOSTILE),)),)})),
    ]


def test_the_examples_draw_as_well_formed_svg() -> None:
    whys = _parse(five_whys_svg(parse_five_whys(WEBSITE_FIVE_WHYS)))
    assert len(_classes(whys, "fb-node")) == 7
    assert len(_classes(whys, "fb-highlight")) == 2  # the two root causes
    assert len(list(whys.iter(f"{SVG}polyline"))) == 6
    tree = parse_fault_tree(WEBSITE_FAULT_TREE)
    path = {e for p in root_cause_paths(tree) for e in p}
    drawn = _parse(fault_tree_svg(tree, highlight=path))
    labels = {e.id: e.label for e in tree.events}
    assert {(g.findtext(f"{SVG}title")) for g in _classes(drawn, "fb-highlight")} == {labels[e] for e in path}
    assert sorted(t for t in _titles(drawn) if t in ("AND", "OR")) == ["AND"] + ["OR"] * 9
    bones = _parse(fishbone_svg(parse_fishbone(WEBSITE_FISHBONE)))
    assert [g.findtext(f"{SVG}title") for g in _classes(bones, "fb-bone")] == [
        "Methods",
        "Materials",
        "Environment",
        "Machines",
        "Manpower",
    ]
    assert len(_classes(bones, "fb-cause")) == 12


@pytest.mark.parametrize("svg", _hostile_drawings(), ids=["five_whys", "fault_tree", "fishbone"])
def test_stored_text_is_escaped_never_markup(svg: str) -> None:
    assert "<script" not in svg
    assert "<img" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;" in svg
    root = _parse(svg)
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {
        "svg",
        "title",
        "defs",
        "marker",
        "path",
        "g",
        "rect",
        "polygon",
        "polyline",
        "line",
        "text",
        "tspan",
    }
    assert not [name for el in root.iter() for name in el.attrib if name.lower().startswith("on")]
    assert any(HOSTILE in title for title in _titles(root))  # the escaping round-trips to the same text


def test_long_text_is_cut_to_its_box_and_whole_in_the_tooltip() -> None:
    long = "The connection pool " + "really " * 60 + "ran dry"
    root = _parse(five_whys_svg(FiveWhys("p", (Cause(long),))))
    node = _classes(root, "fb-highlight")[0]
    shown = " ".join(span.text or "" for span in node.iter(f"{SVG}tspan"))
    assert shown.endswith("…")
    assert len(shown) < len(long) / 2
    assert node.findtext(f"{SVG}title") == f"Root cause, why 1: {long}"


def test_ids_are_prefixed_so_a_page_can_hold_several_diagrams() -> None:
    svg = five_whys_svg(parse_five_whys(WEBSITE_FIVE_WHYS), id_prefix="pm-42-whys")
    assert 'id="pm-42-whys-arrow"' in svg
    assert 'marker-end="url(#pm-42-whys-arrow)"' in svg
    with pytest.raises(ValueError, match="id_prefix"):
        five_whys_svg(parse_five_whys(WEBSITE_FIVE_WHYS), id_prefix='x" onload="alert(1)')


def test_an_empty_bone_says_so() -> None:
    root = _parse(fishbone_svg(parse_fishbone({"effect": "Outage"})))
    causes = _classes(root, "fb-cause")
    assert len(causes) == 5
    assert {c.findtext(f"{SVG}title") for c in causes} == {"none listed"}
