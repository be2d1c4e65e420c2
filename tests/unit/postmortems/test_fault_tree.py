from __future__ import annotations

import pytest

from firebell.kernel.errors import ValidationFailed
from firebell.postmortems.rca import (
    Event,
    FaultTree,
    Gate,
    minimal_cut_sets,
    parse_fault_tree,
    paths_to,
    root_cause_paths,
    single_points_of_failure,
)
from tests.unit.postmortems.examples import WEBSITE_FAULT_TREE
from tests.unit.postmortems.helpers import refused


def test_the_guides_website_tree_has_two_single_event_cut_sets() -> None:
    tree = parse_fault_tree(WEBSITE_FAULT_TREE)
    # By hand: the load balancer branch gives {deploy}; the AND gate needs all servers unhealthy ({deploy},
    # through the pool and the timeout) and failing health checks ({deploy}, {slow query}, {pool too
    # small}), so {deploy} ∪ anything is absorbed into {deploy}; DNS gives {dns}. Deploy sorts first by label.
    assert minimal_cut_sets(tree) == (("deploy_failed",), ("dns_failure",))
    assert single_points_of_failure(tree) == ("deploy_failed", "dns_failure")
    assert minimal_cut_sets(tree, "slow_response") == (("pool_too_small",), ("deploy_failed",), ("slow_query",))
    assert minimal_cut_sets(tree, "backend_down") == (("deploy_failed",),)


def test_the_root_cause_path_runs_from_the_top_to_the_chosen_event() -> None:
    tree = parse_fault_tree(WEBSITE_FAULT_TREE)
    assert root_cause_paths(tree) == (
        ("unavailable", "lb_failure", "config_error", "deploy_failed"),
        (
            "unavailable",
            "backend_down",
            "all_unhealthy",
            "db_overload",
            "pool_full",
            "timeout_too_high",
            "deploy_failed",
        ),
        (
            "unavailable",
            "backend_down",
            "health_check_failing",
            "slow_response",
            "pool_full",
            "timeout_too_high",
            "deploy_failed",
        ),
    )
    assert paths_to(tree, "slow_query") == (
        ("unavailable", "backend_down", "health_check_failing", "slow_response", "slow_query"),
    )
    assert len(paths_to(tree, "deploy_failed", limit=2)) == 2
    assert paths_to(tree, "unavailable") == (("unavailable",),)
    with pytest.raises(ValidationFailed, match="no event has the id 'nope'"):
        paths_to(tree, "nope")


def test_and_gates_combine_one_cut_set_per_child() -> None:
    # (x1 or x2) and (x2 or x3): {x2} alone, or {x1, x3}; {x1, x2} and {x2, x3} are absorbed by {x2}.
    tree = FaultTree(
        "top",
        (
            Event("top", "Top", Gate.AND, ("a", "b")),
            Event("a", "A", Gate.OR, ("x1", "x2")),
            Event("b", "B", Gate.OR, ("x2", "x3")),
            Event("x1", "Disk full"),
            Event("x2", "Bad config"),
            Event("x3", "Cache cold"),
        ),
    )
    assert minimal_cut_sets(tree) == (("x2",), ("x3", "x1"))  # members in label order: Cache, Disk
    assert single_points_of_failure(tree) == ("x2",)


def test_json_round_trips_and_labels_default_to_ids() -> None:
    tree = parse_fault_tree(WEBSITE_FAULT_TREE)
    assert parse_fault_tree(tree.to_json()) == tree
    small = parse_fault_tree({"top": "t", "events": [{"id": "t", "gate": "OR", "children": ["b"]}, {"id": "b"}]})
    assert small == FaultTree("t", (Event("t", "t", Gate.OR, ("b",)), Event("b", "b")))
    assert small.to_json()["events"] == [
        {"id": "t", "label": "t", "gate": "or", "children": ["b"]},
        {"id": "b", "label": "b"},
    ]


def _tree(*events: dict[str, object], top: str = "t", **extra: object) -> dict[str, object]:
    return {"top": top, "events": list(events), **extra}


BASIC_B = {"id": "b", "label": "B"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            _tree({"id": "t", "gate": "or", "children": ["a"]}, {"id": "a", "gate": "and", "children": ["t"]}),
            "fault_tree.events.1.children.0",
            "makes a cycle: t → a → t",
        ),
        (
            _tree({"id": "t", "gate": "or", "children": ["t"]}),
            "fault_tree.events.0.children.0",
            "makes a cycle: t → t",
        ),
        (
            _tree({"id": "t", "gate": "or", "children": ["b", "ghost"]}, BASIC_B),
            "fault_tree.events.0.children.1",
            "no event has the id 'ghost'",
        ),
        (
            _tree({"id": "t", "gate": "xor", "children": ["b"]}, BASIC_B),
            "fault_tree.events.0.gate",
            "unknown gate; use 'and' or 'or'",
        ),
        (
            _tree({"id": "t", "gate": "and", "children": []}),
            "fault_tree.events.0.children",
            "a gate needs at least one child",
        ),
        (
            _tree({"id": "t", "children": ["b"]}, BASIC_B),
            "fault_tree.events.0.gate",
            "an event with children needs a gate: 'and' or 'or'",
        ),
        (
            _tree({"id": "t", "gate": "or", "children": ["b", "b"]}, BASIC_B),
            "fault_tree.events.0.children.1",
            "'b' is listed twice",
        ),
        (_tree(BASIC_B, {"id": "b"}, top="b"), "fault_tree.events.1.id", "the id 'b' is used by events.0 too"),
        (_tree(BASIC_B, top="t"), "fault_tree.top", "no event has the id 't'"),
        (_tree(top="t"), "fault_tree.events", "give at least the top event"),
        ({"top": "t"}, "fault_tree.events", "must be a list"),
        (
            _tree({"id": "t", "label": "T", "childern": []}),
            "fault_tree.events.0.childern",
            "unknown field; use id, label, gate, children",
        ),
        (
            _tree({"id": "a b"}, top="a b"),
            "fault_tree.events.0.id",
            "use letters, digits, '_', '.', ':' or '-', starting with a letter or digit",
        ),
        (
            _tree({"id": "t", "gate": "or", "children": ["b"]}, BASIC_B, root_cause="t"),
            "fault_tree.root_cause",
            "name a basic event (one without a gate)",
        ),
        (
            _tree({"id": "t", "gate": "or", "children": ["b"]}, BASIC_B, {"id": "c"}, root_cause="c"),
            "fault_tree.root_cause",
            "is not under the top event",
        ),
        (
            _tree(*({"id": f"e{k}"} for k in range(101)), top="e0"),
            "fault_tree.events",
            "has 101 items; at most 100",
        ),
        (
            _tree({"id": "t", "gate": "or", "children": [f"e{k}" for k in range(21)]}),
            "fault_tree.events.0.children",
            "has 21 items; at most 20",
        ),
    ],
)
def test_bad_trees_are_refused_naming_the_field(data: object, field: str, message: str) -> None:
    assert refused(parse_fault_tree, data) == (field, message)


def test_links_in_all_are_limited() -> None:
    gates = [{"id": f"g{k}", "gate": "or", "children": [f"b{j}" for j in range(20)]} for k in range(16)]
    basics = [{"id": f"b{j}"} for j in range(20)]
    data = _tree({"id": "t", "gate": "or", "children": [f"g{k}" for k in range(16)]}, *gates, *basics)
    assert refused(parse_fault_tree, data) == ("fault_tree.events", "gates have more than 300 children in all")


def test_a_tree_built_in_code_is_checked_too() -> None:
    with pytest.raises(ValidationFailed, match="makes a cycle"):
        FaultTree("a", (Event("a", "A", Gate.OR, ("b",)), Event("b", "B", Gate.AND, ("a",))))


def test_too_many_cut_sets_fail_naming_the_tree() -> None:
    # An AND over 8 ORs of 2 events each has 2**8 = 256 minimal cut sets, over the cap of 200.
    pairs = [Event(f"or{k}", f"Or {k}", Gate.OR, (f"x{k}", f"y{k}")) for k in range(8)]
    basics = [Event(f"{side}{k}", f"{side}{k}") for k in range(8) for side in "xy"]
    tree = FaultTree("top", (Event("top", "Top", Gate.AND, tuple(p.id for p in pairs)), *pairs, *basics))
    with pytest.raises(ValidationFailed) as caught:
        minimal_cut_sets(tree)
    assert caught.value.details[0]["field"] == "fault_tree"
    assert len(minimal_cut_sets(tree, "or0")) == 2
    seven = FaultTree("top", (Event("top", "Top", Gate.AND, tuple(p.id for p in pairs[:7])), *pairs, *basics))
    assert len(minimal_cut_sets(seven)) == 128
