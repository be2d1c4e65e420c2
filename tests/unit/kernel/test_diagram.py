from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.kernel import mermaid
from firebell.kernel.diagram import Box, Direction, Edge, Graph, Node, Spacing, layer_numbers, layout
from firebell.kernel.svg import escape, graph_svg, wrap


def _graph(edges: list[tuple[str, str]], nodes: str = "", direction: Direction = Direction.DOWN) -> Graph:
    names = list(dict.fromkeys([*nodes, *(n for e in edges for n in e)]))
    return Graph(tuple(Node(n, n.upper()) for n in names), tuple(Edge(a, b) for a, b in edges), direction)


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


@st.composite
def dags(draw: st.DrawFn) -> Graph:
    """Random DAGs: an edge only ever goes from a node to a later one, so there is no cycle."""
    size = draw(st.integers(min_value=1, max_value=14))
    pairs = [(a, b) for a, b in itertools.combinations(range(size), 2)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=25)) if pairs else []
    widths = draw(st.lists(st.sampled_from([40.0, 120.0, 170.0]), min_size=size, max_size=size))
    nodes = tuple(Node(f"v{k}", f"node {k}", width=widths[k]) for k in range(size))
    direction = draw(st.sampled_from(Direction))
    return Graph(nodes, tuple(Edge(f"v{a}", f"v{b}") for a, b in chosen), direction)


@given(dags())
def test_every_edge_goes_to_a_higher_layer_and_no_two_nodes_overlap(graph: Graph) -> None:
    placed = layout(graph)
    for edge in graph.edges:
        assert placed.layers[edge.source] < placed.layers[edge.target]
    boxes = list(placed.boxes.values())
    assert len({(b.x, b.y) for b in boxes}) == len(boxes)
    assert not any(_overlap(a, b) for a, b in itertools.combinations(boxes, 2))
    assert all(
        b.x >= 0 and b.y >= 0 and b.x + b.width <= placed.width and b.y + b.height <= placed.height for b in boxes
    )
    down = graph.direction is Direction.DOWN
    for edge, route in zip(graph.edges, placed.routes, strict=True):
        start, end = placed.boxes[edge.source], placed.boxes[edge.target]
        assert route[0] == (
            (start.center[0], start.y + start.height) if down else (start.x + start.width, start.center[1])
        )
        assert route[-1] == ((end.center[0], end.y) if down else (end.x, end.center[1]))
        steps = [p[1] if down else p[0] for p in route]
        assert steps == sorted(steps)  # each edge runs one way, layer by layer
        assert len(route) == placed.layers[edge.target] - placed.layers[edge.source] + 1


def test_layers_follow_the_longest_path() -> None:
    graph = _graph([("a", "b"), ("b", "c"), ("a", "c"), ("d", "c")])
    assert layer_numbers(graph) == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_cycles_unknown_nodes_and_repeated_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        layout(_graph([("a", "b"), ("b", "c"), ("c", "a")]))
    with pytest.raises(ValueError, match="unknown node"):
        layout(Graph((Node("a", "A"),), (Edge("a", "zz"),)))
    with pytest.raises(ValueError, match="unique"):
        layout(Graph((Node("a", "A"), Node("a", "B")), ()))


def test_a_tree_keeps_its_children_in_order_under_their_parent() -> None:
    graph = _graph([("r", "a"), ("r", "b"), ("a", "a1"), ("a", "a2"), ("b", "b1")])
    boxes = layout(graph, Spacing(margin=10)).boxes
    xs = {name: box.center[0] for name, box in boxes.items()}
    assert xs["a1"] < xs["a2"] < xs["b1"]
    assert xs["a"] == pytest.approx((xs["a1"] + xs["a2"]) / 2)
    assert xs["a"] < xs["b"]
    assert min(b.x for b in boxes.values()) == pytest.approx(10)


def test_left_to_right_puts_layers_in_columns() -> None:
    boxes = layout(_graph([("a", "b"), ("b", "c")], direction=Direction.RIGHT)).boxes
    assert boxes["a"].x < boxes["b"].x < boxes["c"].x
    assert boxes["a"].y == boxes["b"].y == boxes["c"].y


def test_an_empty_graph_has_a_small_empty_drawing() -> None:
    placed = layout(Graph((), ()))
    assert placed.boxes == {}
    assert ET.fromstring(graph_svg(Graph((), ()), placed, title="none", id_prefix="g"))  # noqa: S314


def test_svg_text_is_escaped_and_wrapped() -> None:
    assert escape('<a href="x">&\x00\x1b</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert wrap("one two three four five six", 70, 2) == ["one two", "three…"]
    assert wrap("short", 200, 3) == ["short"]


def test_mermaid_text_keeps_words_and_turns_syntax_into_entities() -> None:
    assert mermaid.text('Pool: 10 "max" <b>; 50% #1 `x`|[]{}') == (
        "Pool#58; 10 #34;max#34; #60;b#62;#59; 50#37; #35;1 #96;x#96;#124;#91;#93;#123;#125;"
    )
    assert mermaid.text("a\nb\tc  → é") == "a b c → é"
    assert mermaid.text("x" * 200, limit=10) == "x" * 9 + "…"
