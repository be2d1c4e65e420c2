"""The dependency graph of the catalog: what depends on what, its cycles, and its drawing. Pure.

An edge goes from a service to one it depends on. Dependencies may form cycles (a calls b, b calls
a), which a layered drawing cannot place, so the edges that close a cycle (the back edges of a
depth-first search) are turned round for the layering only and drawn pointing the way they were
declared. Reversing a search's back edges always leaves a graph without cycles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from firebell.kernel.diagram import Direction, Edge, Graph, Layout, Node, Shape, Tone, layout
from firebell.kernel.svg import graph_svg, height_for

Pair = tuple[str, str]
NODE_WIDTH = 170.0


@dataclass(frozen=True, slots=True)
class GraphNode:
    name: str
    tier: int | None = None  # None: an external dependency, not a Firebell service
    open_incidents: int = 0

    @property
    def external(self) -> bool:
        return self.tier is None

    @property
    def label(self) -> str:
        if self.external:
            return f"{self.name} (external)"
        count = f" · {self.open_incidents} open incident{'s' if self.open_incidents != 1 else ''}"
        return f"{self.name} · tier {self.tier}{count if self.open_incidents else ''}"


def adjacency(edges: Iterable[Pair]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for source, target in edges:
        found.setdefault(source, [])
        if target not in found[source]:
            found[source].append(target)
    return found


def reachable(start: str, edges: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Every node reachable from `start` with its distance (breadth first); `start` is not included."""
    depth = {start: 0}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in edges.get(node, ()):
                if nxt not in depth:
                    depth[nxt] = depth[node] + 1
                    following.append(nxt)
        frontier = following
    del depth[start]
    return depth


def reverse(edges: Iterable[Pair]) -> list[Pair]:
    return [(target, source) for source, target in edges]


def neighbourhood(focus: str, edges: Sequence[Pair]) -> set[str]:
    """The focus, what it depends on and what depends on it, directly or through others."""
    return {focus, *reachable(focus, adjacency(edges)), *reachable(focus, adjacency(reverse(edges)))}


def back_edges(names: Sequence[str], edges: Sequence[Pair]) -> set[Pair]:
    """The edges that close a cycle, found by a depth-first search from each name in order."""
    succ = adjacency(edges)
    state: dict[str, int] = {}  # 1: on the search path, 2: done
    found: set[Pair] = set()
    for root in names:
        if root in state:
            continue
        state[root] = 1
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, k = stack[-1]
            children = succ.get(node, [])
            if k == len(children):
                state[node] = 2
                stack.pop()
                continue
            stack[-1] = (node, k + 1)
            child = children[k]
            if state.get(child) == 1:
                found.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, 0))
    return found


def cycles(names: Sequence[str], edges: Sequence[Pair]) -> list[list[str]]:
    """The groups of services that depend on each other in a circle (strongly connected, two or more)."""
    succ = adjacency(edges)
    pred = adjacency(reverse(edges))
    groups: list[list[str]] = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            continue
        ahead, behind = reachable(name, succ), reachable(name, pred)
        group = sorted({name} | (set(ahead) & set(behind)))
        seen.update(group)
        if len(group) > 1:
            groups.append(group)
    return groups


def _node(node: GraphNode, focus: str | None) -> Node:
    if node.name == focus:
        tone = Tone.ACCENT
    elif node.open_incidents:
        tone = Tone.HIGHLIGHT
    else:
        tone = Tone.MUTED if node.external else Tone.PLAIN
    shape = Shape.STADIUM if node.external else Shape.ROUNDED
    height = height_for(node.label, NODE_WIDTH, 3, shape)
    return Node(node.name, node.label, shape, tone, NODE_WIDTH, max(height, 40.0))


def drawing(
    nodes: Sequence[GraphNode], edges: Sequence[Pair], *, title: str, id_prefix: str, focus: str | None = None
) -> str:
    """The graph as an inline SVG, top down from dependents to dependencies; cycles are drawn too.

    Edges must name the given nodes; a service's edge to itself is left out (it cannot be drawn).
    """
    names = [n.name for n in nodes]
    declared = [(a, b) for a, b in dict.fromkeys(edges) if a != b]
    turned = back_edges(names, declared)
    drawn_nodes = tuple(_node(n, focus) for n in nodes)
    for_layers = Graph(drawn_nodes, tuple(Edge(b, a) if (a, b) in turned else Edge(a, b) for a, b in declared))
    placed = layout(for_layers)
    routes = tuple(
        tuple(reversed(route)) if pair in turned else route for pair, route in zip(declared, placed.routes, strict=True)
    )
    shown = Layout(placed.boxes, placed.layers, routes, placed.width, placed.height)
    graph = Graph(drawn_nodes, tuple(Edge(a, b) for a, b in declared), Direction.DOWN)
    return graph_svg(graph, shown, title=title, id_prefix=id_prefix)
