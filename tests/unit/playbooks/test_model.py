"""The playbook core: the shipped playbooks are valid and complete, custom ones are checked field by
field with the failing field named, and stored playbooks replace or join the shipped ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from firebell.kernel.errors import ValidationFailed
from firebell.playbooks.builtin import BUILT_IN, SECURITY
from firebell.playbooks.model import (
    MAX_KEY,
    MAX_PHASE_KEY,
    MAX_PHASES,
    MAX_STEP,
    MAX_STEPS_PER_PHASE,
    Phase,
    Playbook,
    Source,
    merged,
    parse_playbook,
    short_key,
    step_key,
    to_document,
)

GOOD: dict[str, Any] = {
    "key": "payments-outage",
    "name": "Payments outage",
    "incident_type": "outage",
    "summary": "Card payments fail.",
    "phases": [
        {"title": "Detection and triage (0-5 min)", "steps": ["Provider status checked", "Failed share noted"]},
        {"key": "mitigate", "title": "Mitigation", "steps": ["Backup provider switched on"]},
        {"title": "Post-incident (24-48 h)", "steps": ["Postmortem held"]},
    ],
}


def _broken(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the value at a dotted path replaced (or removed, for the `...` value)."""
    doc = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize("playbook", BUILT_IN, ids=lambda p: p.key)
def test_the_shipped_playbooks_are_valid_complete_and_fit_the_checklists(playbook: Playbook) -> None:
    assert parse_playbook(to_document(playbook)) == playbook
    assert playbook.summary
    assert len(playbook.phases) >= 5
    assert (playbook.phases[0].key, playbook.phases[-1].key) == ("triage", "follow-up")
    for phase in playbook.phases:
        assert phase.steps, f"{playbook.key}/{phase.key} has no steps"
        assert len(playbook.list_key(phase)) <= 64
        assert len(playbook.list_title(phase)) <= 200
        assert len({step_key(s) for s in phase.steps}) == len(phase.steps)


def test_the_shipped_playbooks_cover_the_incident_types() -> None:
    assert [(p.key, p.incident_type) for p in BUILT_IN] == [
        ("outage", "outage"),
        ("latency", "performance"),
        ("security", "security"),
        ("data-loss", "data_loss"),
        ("third-party", "third_party"),
    ]
    # Security isolates before it investigates, and keeps the evidence.
    assert [p.key for p in SECURITY.phases][:3] == ["triage", "contain", "investigate"]
    contain = SECURITY.phases[1]
    assert SECURITY.list_key(contain) == "playbook:security:contain"
    assert SECURITY.list_title(contain) == "Security incident: Containment (first 15 min)"
    assert any("snapshot" in s.lower() for s in contain.steps)
    assert SECURITY.describe() == "24 steps in 6 phases"


def test_a_custom_playbook_reads_back_with_phase_keys_made_from_titles() -> None:
    playbook = parse_playbook(GOOD)
    assert [p.key for p in playbook.phases] == ["detection-and-triage-0-5", "mitigate", "post-incident-24-48-h"]
    assert playbook.step_count == 4
    assert parse_playbook(to_document(playbook)) == playbook
    assert parse_playbook({k: v for k, v in GOOD.items() if k != "key"}, key="payments-outage") == playbook
    assert parse_playbook({**GOOD, "summary": None}).summary == ""
    assert parse_playbook({**GOOD, "name": "  Payments \n outage "}).name == "Payments outage"


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (_broken("key", "Payments Outage"), "key"),
        (_broken("key", "x" * (MAX_KEY + 1)), "key"),
        (_broken("key", ...), "key"),
        (_broken("name", ""), "name"),
        (_broken("name", 7), "name"),
        (_broken("incident_type", "data loss"), "incident_type"),
        (_broken("owner", "sre"), "owner"),
        (_broken("phases", []), "phases"),
        (_broken("phases", [{"title": "t", "steps": ["s"]}] * (MAX_PHASES + 1)), "phases"),
        (_broken("phases.1", "Mitigation"), "phases.1"),
        (_broken("phases.1.title", ""), "phases.1.title"),
        (_broken("phases.0.title", "!!!"), "phases.0.title"),
        (_broken("phases.1.key", "M"), "phases.1.key"),
        (_broken("phases.1.key", "p" * (MAX_PHASE_KEY + 1)), "phases.1.key"),
        (_broken("phases.2.key", "mitigate"), "phases.2.key"),
        (_broken("phases.1.when", "later"), "phases.1.when"),
        (_broken("phases.2.steps", []), "phases.2.steps"),
        (_broken("phases.2.steps", "Postmortem held"), "phases.2.steps"),
        (_broken("phases.2.steps", ["s"] * (MAX_STEPS_PER_PHASE + 1)), "phases.2.steps"),
        (_broken("phases.2.steps.0", ""), "phases.2.steps.0"),
        (_broken("phases.2.steps.0", {"step": "x"}), "phases.2.steps.0"),
        (_broken("phases.2.steps.0", "x" * (MAX_STEP + 1)), "phases.2.steps.0"),
        (_broken("phases.0.steps.1", "provider STATUS checked!"), "phases.0.steps.1"),
    ],
)
def test_bad_documents_name_the_field(doc: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        parse_playbook(doc)
    assert raised.value.details[0]["field"] == field
    assert raised.value.message.startswith(f"{field}: ")


def test_the_total_size_and_the_key_given_by_the_url_are_checked() -> None:
    phases = [{"title": f"Phase {i}", "steps": [f"step {j}" for j in range(MAX_STEPS_PER_PHASE)]} for i in range(6)]
    with pytest.raises(ValidationFailed, match=r"^phases: at most 150 steps"):
        parse_playbook({**GOOD, "phases": phases})
    with pytest.raises(ValidationFailed, match="does not match") as raised:
        parse_playbook(GOOD, key="other")
    assert raised.value.details[0]["field"] == "key"
    with pytest.raises(ValidationFailed, match=r"^body: "):
        parse_playbook(["not", "a", "mapping"])
    with pytest.raises(ValidationFailed) as duplicate:
        parse_playbook(_broken("phases.0.steps.1", "Provider status checked."))
    assert duplicate.value.message == "phases.0.steps.1: reads the same as phases.0.steps.0; word it differently"


def test_short_keys_cut_at_a_word() -> None:
    assert short_key("Containment (first 15 min)", 24) == "containment-first-15-min"
    assert short_key("Detection and triage (0-5 min)", 24) == "detection-and-triage-0-5"
    assert short_key("Supercalifragilisticexpialidocious-phase", 10) == "supercalif"
    assert short_key("…", 10) == ""


def test_stored_playbooks_replace_shipped_ones_and_custom_ones_follow_by_name() -> None:
    edited = Playbook("security", "Security (ours)", "security", "", (Phase("a", "A", ("x",)),))
    zeta = Playbook("zeta", "Zeta", "outage", "", (Phase("a", "A", ("x",)),))
    alpha = Playbook("alpha", "alpha", "outage", "", (Phase("a", "A", ("x",)),))
    found = merged(BUILT_IN, [zeta, edited, alpha])
    assert [(p.playbook.key, p.source) for p in found] == [
        ("outage", Source.BUILT_IN),
        ("latency", Source.BUILT_IN),
        ("security", Source.EDITED),
        ("data-loss", Source.BUILT_IN),
        ("third-party", Source.BUILT_IN),
        ("alpha", Source.CUSTOM),
        ("zeta", Source.CUSTOM),
    ]
    assert found[2].playbook.name == "Security (ours)"
