"""A postmortem's root-cause analysis as its pages and export show it: validated from the stored
JSON (or an outline), with text, mermaid and SVG renderings and the timeline analysis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from firebell.kernel.errors import ValidationFailed
from firebell.postmortems import outline
from firebell.postmortems.diagrams import (
    fault_tree_mermaid,
    fault_tree_svg,
    fishbone_mermaid,
    fishbone_svg,
    five_whys_mermaid,
    five_whys_svg,
)
from firebell.postmortems.diagrams.phases import phases_svg
from firebell.postmortems.facts import IncidentFacts, analysis_facts
from firebell.postmortems.rca import (
    Fact,
    FactKind,
    FaultTree,
    Fishbone,
    FiveWhys,
    advice,
    chains,
    duration_text,
    minimal_cut_sets,
    parse_fault_tree,
    parse_fishbone,
    parse_five_whys,
    root_cause_paths,
    timeline_analysis,
)
from firebell.postmortems.rca.causes import Cause

TOOLS = ("five_whys", "fishbone", "fault_tree")


def parse_tool(tool: str, data: object) -> dict[str, Any]:
    """Validate one tool's input, JSON or an outline (text), into its stored JSON form."""
    if isinstance(data, str):
        data = outline.PARSERS[tool](data)
    if tool == "five_whys":
        return parse_five_whys(data).to_json()
    if tool == "fishbone":
        return parse_fishbone(data).to_json()
    return parse_fault_tree(data).to_json()


def outline_of(tool: str, data: dict[str, Any] | None) -> str:
    return outline.OUTLINES[tool](data) if data else ""


@dataclass
class RcaView:
    has_why_chain: bool = False
    passages: list[tuple[str, str]] = field(default_factory=list)  # (where, text) for the blame check
    markdown: dict[str, tuple[str, str]] = field(default_factory=dict)  # tool → (plain text, mermaid)
    svgs: dict[str, str] = field(default_factory=dict)  # tool → inline SVG for the page
    figures: dict[str, str] = field(default_factory=dict)  # mermaid source → SVG, for the printable page
    details: dict[str, list[str]] = field(default_factory=dict)  # tool → lines under its diagram
    phases: list[tuple[str, str]] = field(default_factory=list)  # (phase, duration), longest first
    notes: list[str] = field(default_factory=list)


def _why_text(whys: FiveWhys) -> str:
    """Each chain as the technique reads: the problem, then "why?" answered again and again."""
    blocks = []
    for chain in chains(whys):
        lines = [whys.problem]
        lines += [f"{'  ' * depth}Why? → {cause.text}" for depth, cause in enumerate(chain, start=1)]
        lines.append(f"ROOT CAUSE: {chain[-1].text}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _cause_texts(causes: tuple[Cause, ...]) -> list[str]:
    out: list[str] = []
    for cause in causes:
        out.append(cause.text)
        out += _cause_texts(cause.causes)
    return out


def _fishbone_text(bones: Fishbone) -> str:
    lines = [f"Effect: {bones.effect}"]
    for bone in bones.bones:
        if bone.causes:
            lines.append(f"{bone.category.label}:")
            lines += [f"  - {text}" for text in _cause_texts(bone.causes)]
    return "\n".join(lines)


def _fault_tree_text(tree: FaultTree) -> tuple[str, list[str]]:
    labels = {e.id: e.label for e in tree.events}
    cuts = minimal_cut_sets(tree)
    lines = ["Minimal cut sets (the smallest sets of events that together bring the top event about):"]
    lines += [f"  {i}. " + " AND ".join(labels[e] for e in cut) for i, cut in enumerate(cuts, start=1)]
    singles = [labels[cut[0]] for cut in cuts if len(cut) == 1]
    details = [f"{len(cuts)} minimal cut set(s)"]
    if singles:
        lines.append("Single points of failure: " + ", ".join(singles))
        details.append("Single points of failure: " + ", ".join(singles))
    for path in root_cause_paths(tree)[:3]:
        text = " ← ".join(labels[e] for e in path)
        lines.append(f"Root cause path: {text}")
        details.append(f"Root cause path: {text}")
    return "\n".join(lines), details


def rca_view(stored: Mapping[str, Any], facts: IncidentFacts) -> RcaView:
    view = RcaView()
    for tool in TOOLS:
        data = stored.get(tool)
        if not data:
            continue
        try:
            _add(view, tool, data)
        except (ValidationFailed, ValueError) as exc:
            message = exc.message if isinstance(exc, ValidationFailed) else str(exc)
            view.details[tool] = [f"The stored analysis cannot be read: {message}"]
    _timeline(view, facts)
    return view


def _add(view: RcaView, tool: str, data: object) -> None:
    if tool == "five_whys":
        whys = parse_five_whys(data)
        view.has_why_chain = bool(whys.causes)
        view.passages.append(("5 whys", whys.problem))
        view.passages += [("5 whys", t) for t in _cause_texts(whys.causes)]
        mermaid, svg = five_whys_mermaid(whys), five_whys_svg(whys)
        view.markdown[tool] = (_why_text(whys), mermaid)
        view.details[tool] = list(advice(whys))
    elif tool == "fishbone":
        bones = parse_fishbone(data)
        for bone in bones.bones:
            view.passages += [(f"Fishbone: {bone.category.label}", t) for t in _cause_texts(bone.causes)]
        mermaid, svg = fishbone_mermaid(bones), fishbone_svg(bones)
        view.markdown[tool] = (_fishbone_text(bones), mermaid)
    else:
        tree = parse_fault_tree(data)
        view.passages += [("Fault tree", e.label) for e in tree.events]
        highlight = [e for path in root_cause_paths(tree) for e in path]
        mermaid, svg = fault_tree_mermaid(tree, highlight), fault_tree_svg(tree, highlight=highlight)
        text, details = _fault_tree_text(tree)
        view.markdown[tool] = (text, mermaid)
        view.details[tool] = details
    view.svgs[tool] = svg
    view.figures[mermaid.strip()] = svg


def _timeline(view: RcaView, facts: IncidentFacts) -> None:
    found = timeline_analysis(Fact(f.at, FactKind(f.kind), f.text) for f in analysis_facts(facts))
    bars = []
    for span in found.phases:
        if span.duration is not None:
            view.phases.append((span.measure.label, duration_text(span.duration)))
            bars.append((span.measure.label, span.duration, duration_text(span.duration)))
    if bars:
        view.svgs["timeline"] = phases_svg(bars)
    for span in found.out_of_order:
        problem = span.problem
        if problem:
            view.notes.append(f"{span.measure.label}: {problem}")
