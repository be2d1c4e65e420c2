"""The dependency graph: reach both ways, cycles found, and a drawing that survives them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from firebell.catalog.graph import GraphNode, adjacency, back_edges, cycles, drawing, neighbourhood, reachable

EDGES = [
    ("web", "checkout"),
    ("checkout", "payments"),
    ("payments", "ledger"),
    ("ledger", "payments"),
    ("search", "index"),
]


def test_reach_and_neighbourhood_follow_the_arrows_both_ways() -> None:
    assert reachable("web", adjacency(EDGES)) == {"checkout": 1, "payments": 2, "ledger": 3}
    assert neighbourhood("checkout", EDGES) == {"web", "checkout", "payments", "ledger"}
    assert neighbourhood("index", EDGES) == {"search", "index"}


def test_cycles_are_the_groups_that_reach_each_other() -> None:
    names = ["web", "checkout", "payments", "ledger", "search", "index"]
    assert cycles(names, EDGES) == [["ledger", "payments"]]
    assert back_edges(names, EDGES) == {("ledger", "payments")}
    assert cycles(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")]) == [["a", "b", "c"]]


def test_a_graph_with_a_cycle_is_drawn_with_every_edge_pointing_the_declared_way() -> None:
    nodes = [
        GraphNode("web", 1),
        GraphNode("checkout", 1, open_incidents=2),
        GraphNode("payments", 2),
        GraphNode("ledger", 3),
    ]
    nodes.append(GraphNode("resource:default/db"))
    edges = [
        ("web", "checkout"),
        ("checkout", "payments"),
        ("payments", "ledger"),
        ("ledger", "payments"),
        ("ledger", "resource:default/db"),
    ]
    svg = drawing(nodes, edges, title="deps", id_prefix="t", focus="web")
    root = ET.fromstring(svg)  # noqa: S314 (our own drawing)
    ns = {"s": "http://www.w3.org/2000/svg"}
    lines = root.findall(".//s:polyline", ns)
    assert len(lines) == len(edges)
    titles = [t.text for t in root.findall(".//s:g/s:title", ns)]
    assert titles == [
        "web · tier 1",
        "checkout · tier 1 · 2 open incidents",
        "payments · tier 2",
        "ledger · tier 3",
        "resource:default/db (external)",
    ]
    ys = {}
    for g in root.findall(".//s:g", ns):
        rect = g.find("s:rect", ns)
        ys[g.find("s:title", ns).text.split(" ")[0]] = float(rect.get("y")) + float(rect.get("height")) / 2
    # payments -> ledger goes down; the edge back from ledger to payments goes up and ends at payments.
    down = [tuple(map(float, p.split(","))) for p in lines[2].get("points").split()]
    up = [tuple(map(float, p.split(","))) for p in lines[3].get("points").split()]
    assert down[0][1] < down[-1][1]
    assert up[0][1] > up[-1][1]
    assert ys["payments"] < ys["ledger"]
    assert "fb-accent" in svg
    assert "fb-highlight" in svg
    assert "fb-muted" in svg


@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20))
def test_any_dependency_graph_can_be_drawn(pairs: list[tuple[int, int]]) -> None:
    nodes = [GraphNode(f"s{k}", 1) for k in range(8)]
    edges = [(f"s{a}", f"s{b}") for a, b in pairs]
    svg = drawing(nodes, edges, title="any", id_prefix="p")
    assert svg.count("<polyline") == len({e for e in edges if e[0] != e[1]})
