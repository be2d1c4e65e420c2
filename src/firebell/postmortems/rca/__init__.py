"""Root cause analysis tools for postmortems: the 5 whys, the fishbone, the fault tree, the timeline.

Pure cores. Each tool is frozen dataclasses read from plain JSON by its `parse_*` (which raises
`ValidationFailed` naming the bad field) and written back by `to_json()`.
"""

from firebell.postmortems.rca.causes import Cause
from firebell.postmortems.rca.cut_sets import CutSet, minimal_cut_sets, single_points_of_failure
from firebell.postmortems.rca.fault_tree import (
    Event,
    FaultTree,
    Gate,
    parse_fault_tree,
    paths_to,
    root_cause_paths,
)
from firebell.postmortems.rca.fishbone import Bone, Category, Fishbone, fishbone, parse_fishbone
from firebell.postmortems.rca.timeline import (
    Fact,
    FactKind,
    Measure,
    Span,
    Timeline,
    TimelineAnalysis,
    duration_text,
    parse_timeline,
    timeline_analysis,
)
from firebell.postmortems.rca.whys import (
    FiveWhys,
    advice,
    chains,
    depth,
    parse_five_whys,
    root_causes,
    shallow_chains,
)

__all__ = [
    "Bone",
    "Category",
    "Cause",
    "CutSet",
    "Event",
    "Fact",
    "FactKind",
    "FaultTree",
    "Fishbone",
    "FiveWhys",
    "Gate",
    "Measure",
    "Span",
    "Timeline",
    "TimelineAnalysis",
    "advice",
    "chains",
    "depth",
    "duration_text",
    "fishbone",
    "minimal_cut_sets",
    "parse_fault_tree",
    "parse_fishbone",
    "parse_five_whys",
    "parse_timeline",
    "paths_to",
    "root_cause_paths",
    "root_causes",
    "shallow_chains",
    "single_points_of_failure",
    "timeline_analysis",
]
