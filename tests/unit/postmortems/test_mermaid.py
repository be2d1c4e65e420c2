from __future__ import annotations

import re

from firebell.postmortems.diagrams import fault_tree_mermaid, fishbone_mermaid, five_whys_mermaid, timeline_gantt
from firebell.postmortems.rca import (
    Cause,
    Fact,
    FactKind,
    FiveWhys,
    minimal_cut_sets,
    parse_fault_tree,
    parse_fishbone,
    parse_five_whys,
)
from tests.unit.postmortems.examples import (
    API_OUTAGE,
    WEBSITE_FAULT_TREE,
    WEBSITE_FISHBONE,
    WEBSITE_FIVE_WHYS,
    at,
)

HOSTILE = 'x"]\n  click n0 call alert(1) %%{init: {"theme": "dark"}}%% <script>alert(1)</script> & #35; ; | ``` end'
NODE = re.compile(r'^    n\d+(\(\[|\{\{|\[|\()"(?P<label>[^"]*)"(\]\)|\}\}|\]|\))$')


def _labels(chart: str) -> list[str]:
    return [m.group("label") for line in chart.splitlines() if (m := NODE.match(line))]


def _unsafe(text: str) -> set[str]:
    """Characters that could be mermaid or markdown syntax, once the numeric entities are set aside."""
    return set(re.sub(r"#\d+;", "", text)) & set('"<>`;:%#[]{}|\n')


def test_five_whys_is_a_left_to_right_flowchart_with_root_causes_marked() -> None:
    chart = five_whys_mermaid(parse_five_whys(WEBSITE_FIVE_WHYS))
    lines = chart.splitlines()
    assert lines[0] == "flowchart LR"
    assert lines[1] == '    n0("Problem#58; Website returning 503 errors")'
    assert "    n0 --> n1" in lines
    assert "    n2 --> n6" in lines  # the branch at the third why
    assert lines[-1] == "    class n5,n6 highlight"
    assert len(_labels(chart)) == 7


def test_fault_tree_is_top_down_with_gate_nodes_and_optional_highlight() -> None:
    tree = parse_fault_tree(WEBSITE_FAULT_TREE)
    chart = fault_tree_mermaid(tree)
    lines = chart.splitlines()
    assert lines[0] == "flowchart TD"
    assert lines[1:3] == ['    n0["Website unavailable"]', '    n1{{"OR"}}']
    assert '    n7{{"AND"}}' in lines
    assert '    n14["Response time #62; timeout"]' in lines
    assert '    n21(["DNS failure (rare)"])' in lines  # basic events are rounded
    assert "    n0 --- n1" in lines
    assert "highlight" not in chart
    marked = fault_tree_mermaid(tree, highlight={e for cut in minimal_cut_sets(tree) for e in cut})
    assert marked.splitlines()[-1] == "    class n20,n21 highlight"


def test_fishbone_flows_from_causes_to_categories_to_the_effect() -> None:
    chart = fishbone_mermaid(parse_fishbone(WEBSITE_FISHBONE))
    lines = chart.splitlines()
    assert lines[0] == "flowchart LR"
    assert [label for label in _labels(chart) if label.isupper()] == [
        "METHODS",
        "MACHINES",
        "MATERIALS",
        "MANPOWER",
        "ENVIRONMENT",
    ]
    assert "    n1 --> n0" in lines  # methods into the effect
    assert "    n3 --> n2" in lines  # a sub-cause into its cause


def test_user_text_cannot_break_out_of_a_flowchart_label() -> None:
    whys = FiveWhys(HOSTILE, (Cause(HOSTILE, (Cause("fine"),)),))
    chart = five_whys_mermaid(whys)
    labels = _labels(chart)
    assert len(labels) == 3  # every node line still parses as one quoted label
    assert all(not _unsafe(label) for label in labels)
    assert "<script>" not in chart
    assert "`" not in chart
    assert "%%" not in chart
    assert "#60;script#62;" in labels[0]
    assert not any(line.lstrip().startswith("click") for line in chart.splitlines())


def test_timeline_gantt_has_the_templates_sections_bars_and_milestones() -> None:
    chart = timeline_gantt(API_OUTAGE, "API outage: 2025-01-15")
    lines = chart.splitlines()
    assert lines[:5] == [
        "gantt",
        "    title API outage#58; 2025-01-15",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        "    axisFormat %H:%M",
        "    todayMarker off",
    ]
    sections = [line.strip() for line in lines if line.strip().startswith("section ")]
    assert sections == ["section Detection", "section Response", "section Mitigation", "section Recovery"]
    response = lines[lines.index("    section Response") + 1 : lines.index("    section Mitigation")]
    assert "    Investigate (12 min) :2025-01-15 14:36:00, 2025-01-15 14:48:00" in response
    assert "    Declared - Incident declared P1, war room created :milestone, 2025-01-15 14:36:00, 0m" in response
    assert "    Note - Database connection pool exhaustion found :milestone, 2025-01-15 14:42:00, 0m" in response
    assert "    Recovered - Error rate normal (#60; 1#37;) :milestone, 2025-01-15 14:58:00, 0m" in lines
    assert "    Undetected (1 min 15 s) :2025-01-15 14:32:00, 2025-01-15 14:33:15" in lines


def test_gantt_task_names_stay_names() -> None:
    facts = [Fact(at("14:00:00"), FactKind.NOTE, HOSTILE), Fact(at("14:05:00"), FactKind.ALERT, "section Evil")]
    chart = timeline_gantt(facts, title=HOSTILE)
    tasks = [line for line in chart.splitlines()[5:] if line and "section " not in line.strip()[:8]]
    assert len(tasks) == 2
    for task in tasks:
        name, _, rest = task.partition(" :")
        assert not _unsafe(name)
        assert rest.startswith("milestone, 2025-01-15 14:0")
    assert "    Alert - section Evil :milestone, 2025-01-15 14:05:00, 0m" in tasks
    assert not _unsafe(chart.splitlines()[1].removeprefix("    title "))
    assert timeline_gantt([]).splitlines()[1] == "    title Incident timeline"
