"""The RCA outlines the web editor and the CLI take, to JSON and back."""

from __future__ import annotations

import pytest

from firebell.kernel.errors import ValidationFailed
from firebell.postmortems import outline
from firebell.postmortems.rca_view import outline_of, parse_tool


def test_five_whys_from_an_indented_outline_with_a_branch() -> None:
    data = parse_tool(
        "five_whys",
        "Problem: Website down\n  - LB marks backends unhealthy\n    - Health checks time out\n"
        "      - Pool exhausted\n    - Backends slow\n",
    )
    assert data["problem"] == "Website down"
    assert [c["text"] for c in data["causes"][0]["causes"]] == ["Health checks time out", "Backends slow"]
    assert outline_of("five_whys", data).splitlines()[:3] == [
        "Website down",
        "  LB marks backends unhealthy",
        "    Health checks time out",
    ]
    assert parse_tool("five_whys", outline_of("five_whys", data)) == data


def test_a_flat_list_of_answers_is_one_chain() -> None:
    data = outline.five_whys("Users saw errors\nbecause no connections\npool exhausted\n")
    assert data == {
        "problem": "Users saw errors",
        "causes": [{"text": "no connections", "causes": [{"text": "pool exhausted", "causes": []}]}],
    }


def test_fishbone_by_category() -> None:
    data = parse_tool(
        "fishbone", "Website down\nMethods:\n  No staging\n    No rollback plan\nenvironment:\n  Peak hours"
    )
    assert data["effect"] == "Website down"
    assert data["categories"]["methods"][0]["text"] == "No staging"
    assert data["categories"]["environment"][0]["text"] == "Peak hours"
    assert parse_tool("fishbone", outline_of("fishbone", data)) == data
    with pytest.raises(ValidationFailed) as caught:
        outline.fishbone("Down\nMoney:\n  budget")
    assert "line 2" in caught.value.message
    assert "methods" in caught.value.message


def test_fault_tree_gates_shared_events_and_the_root_cause() -> None:
    text = (
        "Website unavailable [OR]\n"
        "  Backend down [AND]\n"
        "    Servers unhealthy\n"
        "    Pool full [OR]\n"
        "      Timeout too high (root cause)\n"
        "      Slow query\n"
        "  Config error [OR]\n"
        "    Timeout too high\n"
    )
    data = parse_tool("fault_tree", text)
    ids = {e["label"]: e["id"] for e in data["events"]}
    assert data["top"] == ids["Website unavailable"]
    assert data["root_cause"] == ids["Timeout too high"]
    assert len([e for e in data["events"] if e["label"] == "Timeout too high"]) == 1  # shared, not repeated
    assert parse_tool("fault_tree", outline_of("fault_tree", data)) == data


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Top\n  Cause\n    Deeper", "mark it [AND] or [OR]"),
        ("Top [AND]", "needs its input events"),
        ("Top [OR]\n  A\nSecond top", "only the first line"),
        ("", "empty"),
        ("Top [OR]\n  A (root cause)\n  B (root cause)", "one event as the (root cause)"),
    ],
)
def test_bad_fault_tree_outlines_say_which_line(text: str, says: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        outline.fault_tree(text)
    assert says in caught.value.message
    assert caught.value.details[0]["field"] == "outline"
