"""The RCA tools as mermaid text for the markdown export.

The 5 whys and the fishbone are left-to-right flowcharts, the fault tree a top-down flowchart with
AND/OR gate nodes, and the timeline a gantt chart like the postmortem template's timeline visualization:
sections Detection, Response, Mitigation and Recovery, the measured phases as bars and the facts as
milestones. All user text goes through `kernel.mermaid.text`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime

from firebell.kernel import mermaid
from firebell.postmortems.diagrams.graphs import fault_tree_graph, fishbone_graph, five_whys_graph
from firebell.postmortems.rca.fault_tree import FaultTree
from firebell.postmortems.rca.fishbone import Fishbone
from firebell.postmortems.rca.timeline import Fact, FactKind, Measure, duration_text, timeline_analysis
from firebell.postmortems.rca.whys import FiveWhys

SECTIONS = ("Detection", "Response", "Mitigation", "Recovery")
_SECTION_OF_KIND = {
    FactKind.FIRST_SYMPTOM: "Detection",
    FactKind.ALERT: "Detection",
    FactKind.PAGED: "Response",
    FactKind.ACKNOWLEDGED: "Response",
    FactKind.DECLARED: "Response",
    FactKind.IDENTIFIED: "Response",
    FactKind.MITIGATION_STARTED: "Mitigation",
    FactKind.RESOLVING: "Mitigation",
    FactKind.RECOVERED: "Recovery",
    FactKind.RESOLVED: "Recovery",
}
_SECTION_OF_MEASURE = {
    Measure.DETECTION: "Detection",
    Measure.RESPONSE: "Response",
    Measure.ASSEMBLY: "Response",
    Measure.INVESTIGATION: "Response",
    Measure.RESOLUTION: "Mitigation",
    Measure.RECOVERY: "Recovery",
}
_BAR_NAMES = {
    Measure.DETECTION: "Undetected",
    Measure.RESPONSE: "Acknowledge",
    Measure.ASSEMBLY: "Assemble",
    Measure.INVESTIGATION: "Investigate",
    Measure.RESOLUTION: "Resolve",
    Measure.RECOVERY: "Recover",
}
_STAMP = "%Y-%m-%d %H:%M:%S"


def five_whys_mermaid(whys: FiveWhys) -> str:
    return mermaid.flowchart(five_whys_graph(whys))


def fishbone_mermaid(bones: Fishbone) -> str:
    return mermaid.flowchart(fishbone_graph(bones))


def fault_tree_mermaid(tree: FaultTree, highlight: Collection[str] = ()) -> str:
    """Top-down, with the `highlight`ed event ids (a cut set, a root cause path) marked."""
    return mermaid.flowchart(fault_tree_graph(tree, highlight))


def timeline_gantt(facts: Iterable[Fact], title: str = "Incident timeline") -> str:
    """A gantt chart of the facts (milestones) and the measured phases (bars), in UTC."""
    ordered = sorted(facts, key=lambda f: f.at)
    analysis = timeline_analysis(ordered)
    rows: dict[str, list[tuple[datetime, str]]] = {name: [] for name in SECTIONS}
    for span in analysis.spans:
        section = _SECTION_OF_MEASURE.get(span.measure)
        if section and span.start and span.end and span.duration is not None:
            name = f"{_BAR_NAMES[span.measure]} ({duration_text(span.duration)})"
            rows[section].append((span.start.at, f"{mermaid.text(name)} :{_at(span.start)}, {_at(span.end)}"))
    section = SECTIONS[0]
    for fact in ordered:
        # A note joins the section of the last fact before it.
        section = _SECTION_OF_KIND.get(fact.kind, section)
        name = f"{fact.kind.label} - {fact.text}" if fact.text else fact.kind.label
        rows[section].append((fact.at, f"{mermaid.text(name, 80)} :milestone, {_at(fact)}, 0m"))
    lines = [
        "gantt",
        f"    title {mermaid.text(title) or 'Incident timeline'}",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        "    axisFormat %H:%M",
        "    todayMarker off",
    ]
    for name in SECTIONS:
        if rows[name]:
            lines += ["", f"    section {name}", *(f"    {row}" for _, row in sorted(rows[name], key=lambda r: r[0]))]
    return "\n".join(lines) + "\n"


def _at(fact: Fact) -> str:
    return f"{fact.at.astimezone(UTC):{_STAMP}}"
