"""The RCA tools as `kernel.diagram` graphs, which become both mermaid text and inline SVG."""

from __future__ import annotations

from collections.abc import Collection

from firebell.kernel.diagram import Direction, Edge, Graph, Node, Shape, Tone
from firebell.kernel.svg import height_for
from firebell.postmortems.rca.causes import Cause
from firebell.postmortems.rca.fault_tree import FaultTree
from firebell.postmortems.rca.fishbone import Fishbone
from firebell.postmortems.rca.whys import FiveWhys

WHY_WIDTH = 210.0
EVENT_WIDTH = 170.0
MAX_LINES = 5


def five_whys_graph(whys: FiveWhys) -> Graph:
    """The problem on the left, each answer to "why?" to the right of what it explains."""
    problem = f"Problem: {whys.problem}"
    nodes = [Node("p", problem, Shape.ROUNDED, Tone.ACCENT, WHY_WIDTH, height_for(problem, WHY_WIDTH, MAX_LINES))]
    edges: list[Edge] = []
    stack: list[tuple[str, int, Cause]] = [("p", 1, c) for c in reversed(whys.causes)]
    while stack:
        parent, level, cause = stack.pop()
        node_id = f"c{len(nodes)}"
        root = not cause.causes
        label = f"{'Root cause, why' if root else 'Why'} {level}: {cause.text}"
        tone = Tone.HIGHLIGHT if root else Tone.PLAIN
        nodes.append(Node(node_id, label, Shape.BOX, tone, WHY_WIDTH, height_for(label, WHY_WIDTH, MAX_LINES)))
        edges.append(Edge(parent, node_id))
        stack.extend((node_id, level + 1, c) for c in reversed(cause.causes))
    return Graph(tuple(nodes), tuple(edges), Direction.RIGHT)


def fault_tree_graph(tree: FaultTree, highlight: Collection[str] = ()) -> Graph:
    """Top-down: each gate event is a box over a small AND/OR gate, basic events are rounded."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    marked = set(highlight)
    for event in tree.events:
        tone = Tone.HIGHLIGHT if event.id in marked else Tone.ACCENT if event.id == tree.top else Tone.PLAIN
        shape = Shape.STADIUM if event.is_basic else Shape.BOX
        height = height_for(event.label, EVENT_WIDTH, 4, shape)
        nodes.append(Node(event.id, event.label, shape, tone, EVENT_WIDTH, height))
        if event.gate is not None:
            gate = f"{event.id} gate"  # a space never occurs in an event id
            nodes.append(Node(gate, event.gate.value.upper(), Shape.HEXAGON, Tone.PLAIN, 56.0, 28.0))
            edges.append(Edge(event.id, gate, arrow=False))
            edges.extend(Edge(gate, child, arrow=False) for child in event.children)
    return Graph(tuple(nodes), tuple(edges), Direction.DOWN)


def fishbone_graph(bones: Fishbone) -> Graph:
    """Causes flow into their category, and the categories into the effect (for a flowchart)."""
    nodes = [Node("effect", bones.effect, Shape.ROUNDED, Tone.ACCENT)]
    edges: list[Edge] = []
    for bone in bones.bones:
        category = f"category {bone.category.value}"
        nodes.append(Node(category, bone.category.label.upper(), Shape.HEXAGON))
        edges.append(Edge(category, "effect"))
        stack = [(category, c) for c in reversed(bone.causes)]
        while stack:
            explains, cause = stack.pop()
            node_id = f"c{len(nodes)}"
            nodes.append(Node(node_id, cause.text))
            edges.append(Edge(node_id, explains))
            stack.extend((node_id, c) for c in reversed(cause.causes))
    return Graph(tuple(nodes), tuple(edges), Direction.RIGHT)
