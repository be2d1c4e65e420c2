"""The policy editor's form, pure: documents to fields and back, the editing steps, error fields."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.kernel.errors import ValidationFailed
from firebell.oncall.policy_form import (
    SEVERITIES,
    URGENCIES,
    LevelForm,
    PolicyForm,
    check_shadowed,
    edit,
    form_field,
    from_document,
    minutes,
    to_document,
)

NAMES: dict[str, Any] = {"schedules": ["primary"], "teams": ["payments"], "people": ["ann", "bo"]}


def test_minutes_are_whole_minutes_or_the_duration_as_written() -> None:
    assert [minutes(d) for d in ("15m", "2h", "1d", "90s", "120s")] == ["15", "120", "1440", "90s", "2"]


documents = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["p", "checkout"]),
        "levels": st.lists(
            st.fixed_dictionaries(
                {
                    "targets": st.lists(
                        st.sampled_from(["primary", "payments", "ann", "bo", "current_on_call"]), min_size=1, max_size=3
                    ),
                    "timeout": st.sampled_from(["5m", "1h", "90s", "1d"]),
                },
                optional={
                    "action": st.sampled_from(["Roll back", "Call the vendor"]),
                    "severities": st.lists(st.sampled_from(SEVERITIES), min_size=1, unique=True).map(sorted),
                    "urgency": st.dictionaries(st.sampled_from(SEVERITIES), st.sampled_from(URGENCIES), min_size=1),
                },
            ),
            min_size=1,
            max_size=4,
        ),
    },
    optional={
        "team": st.just("payments"),
        "repeat": st.integers(1, 5),
        "acknowledgement_timeout": st.sampled_from(["30m", "2h"]),
        "unresolved": st.dictionaries(
            st.sampled_from(SEVERITIES),
            st.fixed_dictionaries(
                {"after": st.sampled_from(["1h", "30m"])}, optional={"page": st.sampled_from(["ann", "primary"])}
            ),
            max_size=4,
        ),
    },
)


def _normal(document: dict[str, Any]) -> dict[str, Any]:
    """What a document means: durations as `apply` reads them, defaults filled in."""
    out = {**document, "repeat": document.get("repeat", 0)}
    out["levels"] = [
        {
            **level,
            "timeout": f"{int(minutes(level['timeout']))}m"
            if minutes(level["timeout"]).isdigit()
            else level["timeout"],
        }
        for level in document["levels"]
    ]
    if "acknowledgement_timeout" in document:
        out["acknowledgement_timeout"] = f"{minutes(document['acknowledgement_timeout'])}m"
    if "unresolved" in document:
        out["unresolved"] = {
            sev: {**rule, "after": f"{minutes(rule['after'])}m"} for sev, rule in document["unresolved"].items()
        }
    return out


@given(documents)
def test_a_document_shown_as_the_form_and_sent_back_means_the_same(document: dict[str, Any]) -> None:
    assert to_document(from_document(document, **NAMES)) == _normal(document)


def test_editing_steps_add_remove_and_move_levels() -> None:
    form = PolicyForm("p", levels=(LevelForm(("user:ann",)), LevelForm(("user:bo",))))
    assert [lv.targets for lv in edit(form, "down-0").levels] == [("user:bo",), ("user:ann",)]
    assert [lv.targets for lv in edit(form, "up-1").levels] == [("user:bo",), ("user:ann",)]
    assert edit(form, "up-0") == form
    assert edit(form, "down-1") == form
    assert [lv.targets for lv in edit(form, "remove-0").levels] == [("user:bo",)]
    assert len(edit(form, "add").levels) == 3
    assert edit(form, "add-target-1").levels[1].targets == ("user:bo", "")
    for bad in ("remove-2", "explode-0", "up", "add-target-x"):
        with pytest.raises(ValidationFailed) as caught:
            edit(form, bad)
        assert caught.value.details[0]["field"] == "op"


def test_a_level_without_minutes_is_refused_by_its_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        to_document(PolicyForm("p", levels=(LevelForm(("user:ann",)), LevelForm(("user:bo",), timeout=" "))))
    assert caught.value.details[0]["field"] == "levels[1].timeout"


@pytest.mark.parametrize(
    ("error", "field"),
    [
        ("escalation_policies[0].levels[2].timeout", "level-2-timeout"),
        ("escalation_policies[0].levels[0].targets[1]", "level-0-targets"),
        ("escalation_policies[0].levels[1]", "level-1"),
        ("escalation_policies[0].unresolved.SEV-2.after", "unresolved-SEV-2"),
        ("escalation_policies[0].team", "team"),
        ("escalation_policies[0].repeat", "repeat"),
        ("escalation_policies[0]", ""),
        ("name", "name"),
        ("file", ""),
    ],
)
def test_error_fields_name_form_fields(error: str, field: str) -> None:
    assert form_field(error) == field


def test_a_person_or_team_whose_name_a_schedule_or_team_has_is_refused() -> None:
    names = {"schedules": ["ops"], "teams": ["ann"]}
    check_shadowed(PolicyForm("p", levels=(LevelForm(("schedule:ops", "team:ann", "user:bo")),)), **names)
    for value in ("user:ann", "user:ops", "team:ops"):
        with pytest.raises(ValidationFailed) as caught:
            check_shadowed(PolicyForm("p", levels=(LevelForm(("user:bo",)), LevelForm((value,)))), **names)
        assert caught.value.details[0]["field"] == "levels[1].targets"
