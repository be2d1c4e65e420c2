"""The 5 whys and the fault tree as inline SVG for the postmortem page, drawn by `kernel.svg`."""

from __future__ import annotations

from collections.abc import Collection

from firebell.kernel.diagram import layout
from firebell.kernel.svg import graph_svg
from firebell.postmortems.diagrams.graphs import fault_tree_graph, five_whys_graph
from firebell.postmortems.rca.fault_tree import FaultTree
from firebell.postmortems.rca.whys import FiveWhys


def five_whys_svg(whys: FiveWhys, *, id_prefix: str = "five-whys") -> str:
    """A left-to-right tree from the problem to its root causes (highlighted)."""
    graph = five_whys_graph(whys)
    return graph_svg(graph, layout(graph), title=f"5 whys: {whys.problem}", id_prefix=id_prefix)


def fault_tree_svg(tree: FaultTree, *, highlight: Collection[str] = (), id_prefix: str = "fault-tree") -> str:
    """A top-down fault tree with AND/OR gates; the `highlight`ed event ids are marked."""
    graph = fault_tree_graph(tree, highlight)
    top = tree.by_id()[tree.top].label
    return graph_svg(graph, layout(graph), title=f"Fault tree: {top}", id_prefix=id_prefix)
