"""A layered drawing of a directed acyclic graph: which node goes where, and the path of each edge.

Pure. Nodes are put in layers by the longest path from a source, so every edge goes from a lower layer
to a higher one. An edge that spans several layers passes through a dummy point in each layer between,
so it can bend around the nodes there. The order inside each layer comes from barycentre sweeps (the
ordering with the fewest crossings is kept), and each node is then pulled toward the mean of its
neighbours along the layer without overlapping the next one. `kernel.svg` draws the result.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

Point = tuple[float, float]


class Direction(StrEnum):
    DOWN = "down"  # layers are rows, from the top
    RIGHT = "right"  # layers are columns, from the left


class Shape(StrEnum):
    BOX = "box"
    ROUNDED = "rounded"
    STADIUM = "stadium"
    HEXAGON = "hexagon"


class Tone(StrEnum):
    PLAIN = "plain"
    ACCENT = "accent"  # the subject of the diagram (the problem, the top event)
    HIGHLIGHT = "highlight"  # what the reader should see first (root causes, cut-set events)
    MUTED = "muted"


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str
    shape: Shape = Shape.BOX
    tone: Tone = Tone.PLAIN
    width: float = 170.0
    height: float = 50.0


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    arrow: bool = True


@dataclass(frozen=True, slots=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    direction: Direction = Direction.DOWN


@dataclass(frozen=True, slots=True)
class Box:
    """A placed node: its top-left corner and size."""

    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> Point:
        return (self.x + self.width / 2, self.y + self.height / 2)


@dataclass(frozen=True, slots=True)
class Layout:
    boxes: Mapping[str, Box]
    layers: Mapping[str, int]
    routes: tuple[tuple[Point, ...], ...]  # one polyline per edge, in the graph's order
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Spacing:
    margin: float = 16.0
    between_layers: float = 44.0
    between_nodes: float = 24.0


def layer_numbers(graph: Graph) -> dict[str, int]:
    """Each node's layer: 0 for a node nothing points to, else one more than its deepest parent.

    Raises ValueError on a repeated node id, an edge to an unknown node, or a cycle.
    """
    ids = [n.id for n in graph.nodes]
    known = set(ids)
    if len(known) != len(ids):
        raise ValueError("node ids must be unique")
    parents: dict[str, list[str]] = {i: [] for i in ids}
    for e in graph.edges:
        if e.source not in known or e.target not in known:
            raise ValueError(f"edge {e.source!r} -> {e.target!r} names an unknown node")
        parents[e.target].append(e.source)
    layer: dict[str, int] = {}
    for start in ids:
        stack, on_path = [start], {start}
        while stack:
            node = stack[-1]
            pending = [p for p in parents[node] if p not in layer]
            if not pending:
                layer[node] = max((layer[p] + 1 for p in parents[node]), default=0)
                on_path.discard(stack.pop())
                continue
            if pending[0] in on_path:
                raise ValueError(f"the graph has a cycle through {pending[0]!r}")
            on_path.add(pending[0])
            stack.append(pending[0])
    return layer


@dataclass(slots=True)
class _Grid:
    """The working graph: real nodes are 0..n-1, dummy points follow; adjacency by index."""

    layer: list[int]
    extent: list[float]  # size along the layer (width for DOWN, height for RIGHT)
    preds: list[list[int]]
    succs: list[list[int]]
    chains: list[list[int]]  # per edge: source, dummies, target

    def add(self, layer: int, extent: float) -> int:
        self.layer.append(layer)
        self.extent.append(extent)
        self.preds.append([])
        self.succs.append([])
        return len(self.layer) - 1

    def link(self, a: int, b: int) -> None:
        self.succs[a].append(b)
        self.preds[b].append(a)


def _grid(graph: Graph, layer_of: Mapping[str, int]) -> _Grid:
    across = graph.direction is Direction.DOWN
    grid = _Grid([], [], [], [], [])
    index = {n.id: grid.add(layer_of[n.id], n.width if across else n.height) for n in graph.nodes}
    for e in graph.edges:
        chain = [index[e.source]]
        for layer in range(layer_of[e.source] + 1, layer_of[e.target]):
            chain.append(grid.add(layer, 0.0))
        chain.append(index[e.target])
        for a, b in itertools.pairwise(chain):
            grid.link(a, b)
        grid.chains.append(chain)
    return grid


def _first_order(grid: _Grid) -> list[list[int]]:
    """Depth-first from the sources in input order, so a tree starts with no crossing at all."""
    rows: list[list[int]] = [[] for _ in range(max(grid.layer, default=-1) + 1)]
    seen: set[int] = set()
    for root in (i for i in range(len(grid.layer)) if not grid.preds[i]):
        stack = [root]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            rows[grid.layer[node]].append(node)
            stack.extend(reversed(grid.succs[node]))
    return rows


def _crossings(upper: Sequence[int], lower: Sequence[int], succs: Sequence[list[int]]) -> int:
    """Edge pairs that cross between two adjacent layers: inversions among the lower ends."""
    where = {n: i for i, n in enumerate(lower)}
    ends = sorted((i, where[s]) for i, n in enumerate(upper) for s in succs[n] if s in where)
    seen: list[int] = []
    count = 0
    for _, b in ends:
        count += len(seen) - bisect.bisect_right(seen, b)
        bisect.insort(seen, b)
    return count


def _sweep(rows: list[list[int]], neighbours: Sequence[list[int]], downward: bool) -> list[list[int]]:
    rows = [list(r) for r in rows]
    indices = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
    for k in indices:
        fixed = {n: i for i, n in enumerate(rows[k - 1 if downward else k + 1])}

        def centre(node: int, at: int, fixed: dict[int, int] = fixed) -> float:
            places = [fixed[m] for m in neighbours[node] if m in fixed]
            return sum(places) / len(places) if places else float(at)

        rows[k] = [n for _, n in sorted(((centre(n, i), i), n) for i, n in enumerate(rows[k]))]
    return rows


def _order(grid: _Grid, rounds: int = 4) -> list[list[int]]:
    rows = _first_order(grid)
    best, best_count = rows, _total_crossings(rows, grid)
    for _ in range(rounds):
        if best_count == 0:
            break
        rows = _sweep(_sweep(rows, grid.preds, downward=True), grid.succs, downward=False)
        count = _total_crossings(rows, grid)
        if count >= best_count:
            break  # sweeps settle quickly; one that gains nothing is followed by more of the same
        best, best_count = rows, count
    return best


def _total_crossings(rows: Sequence[Sequence[int]], grid: _Grid) -> int:
    return sum(_crossings(rows[k], rows[k + 1], grid.succs) for k in range(len(rows) - 1))


def _spread(row: Sequence[int], want: Mapping[int, float], grid: _Grid, gap: float) -> dict[int, float]:
    """Positions as near the wanted ones as a left-to-right packing allows, shifted to balance."""
    placed: dict[int, float] = {}
    for k, node in enumerate(row):
        if k == 0:
            placed[node] = want[node]
            continue
        before = row[k - 1]
        least = placed[before] + (grid.extent[before] + grid.extent[node]) / 2 + gap
        placed[node] = max(want[node], least)
    shift = sum(want[n] - placed[n] for n in row) / len(row) if row else 0.0
    return {n: p + shift for n, p in placed.items()}


def _positions(rows: list[list[int]], grid: _Grid, gap: float) -> list[float]:
    pos = [0.0] * len(grid.layer)
    for row in rows:
        offset = 0.0
        for node in row:
            pos[node] = offset + grid.extent[node] / 2
            offset += grid.extent[node] + gap
    for downward in (True, False, True, False):
        order = rows if downward else rows[::-1]
        neighbours = grid.preds if downward else grid.succs
        for row in order:
            want = {}
            for n in row:
                near = neighbours[n]
                want[n] = sum(pos[m] for m in near) / len(near) if near else pos[n]
            for n, p in _spread(row, want, grid, gap).items():
                pos[n] = p
    return pos


def layout(graph: Graph, spacing: Spacing | None = None) -> Layout:
    """Where each node goes and how each edge runs; raises ValueError as `layer_numbers` does."""
    space = spacing or Spacing()
    down = graph.direction is Direction.DOWN
    layer_of = layer_numbers(graph)
    grid = _grid(graph, layer_of)
    rows = _order(grid)
    pos = _positions(rows, grid, space.between_nodes)
    low = min((p - e / 2 for p, e in zip(pos, grid.extent, strict=True)), default=0.0)
    along = [p - low + space.margin for p in pos]
    thickness = [0.0] * len(rows)  # each layer's size across the layers
    for node in graph.nodes:
        k = layer_of[node.id]
        thickness[k] = max(thickness[k], node.height if down else node.width)
    middle, at = [], space.margin
    for size in thickness:
        middle.append(at + size / 2)
        at += size + space.between_layers

    def centre(i: int) -> Point:
        return (along[i], middle[grid.layer[i]]) if down else (middle[grid.layer[i]], along[i])

    boxes: dict[str, Box] = {}
    for i, node in enumerate(graph.nodes):
        cx, cy = centre(i)
        boxes[node.id] = Box(cx - node.width / 2, cy - node.height / 2, node.width, node.height)
    routes = []
    for edge, chain in zip(graph.edges, grid.chains, strict=True):
        start, end = boxes[edge.source], boxes[edge.target]
        leave = (start.center[0], start.y + start.height) if down else (start.x + start.width, start.center[1])
        enter = (end.center[0], end.y) if down else (end.x, end.center[1])
        routes.append((leave, *(centre(i) for i in chain[1:-1]), enter))
    span = max((a + e / 2 for a, e in zip(along, grid.extent, strict=True)), default=0.0) + space.margin
    deep = at - space.between_layers + space.margin if rows else 2 * space.margin
    return Layout(boxes, layer_of, tuple(routes), span if down else deep, deep if down else span)
