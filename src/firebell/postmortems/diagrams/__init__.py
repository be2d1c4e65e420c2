"""Pictures of the RCA tools: mermaid text for the markdown export, inline SVG for the web page.

Pure string building; all user text is escaped for the target (mermaid entities, XML escapes).
"""

from firebell.postmortems.diagrams.fishbone import fishbone_svg
from firebell.postmortems.diagrams.graphs import fault_tree_graph, fishbone_graph, five_whys_graph
from firebell.postmortems.diagrams.mermaid import (
    fault_tree_mermaid,
    fishbone_mermaid,
    five_whys_mermaid,
    timeline_gantt,
)
from firebell.postmortems.diagrams.svg import fault_tree_svg, five_whys_svg

__all__ = [
    "fault_tree_graph",
    "fault_tree_mermaid",
    "fault_tree_svg",
    "fishbone_graph",
    "fishbone_mermaid",
    "fishbone_svg",
    "five_whys_graph",
    "five_whys_mermaid",
    "five_whys_svg",
    "timeline_gantt",
]
