"""Minimal cut sets against a brute-force truth table, on random small fault trees with shared events:
each set causes the top event, none holds a smaller set that does, every set of basic events that
causes the top event holds one of them, and the answer is the same whatever the order of the events."""

from __future__ import annotations

import itertools
import random
from collections.abc import Collection

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.postmortems.rca import Event, FaultTree, Gate, minimal_cut_sets

LABELS = ["Disk full", "disk full", "Bad config", "Cache cold", "DNS", "deploy", "Zone down", "Pool small"]


@st.composite
def fault_trees(draw: st.DrawFn) -> FaultTree:
    """Gate k takes children among the later gates and the basic events, so there is never a cycle;
    a child may be shared by several gates, and a label by several events."""
    basics = [f"b{k}" for k in range(draw(st.integers(min_value=1, max_value=8)))]
    gate_count = draw(st.integers(min_value=1, max_value=7))
    events = []
    for k in range(gate_count):
        pool = [f"g{j}" for j in range(k + 1, gate_count)] + basics
        children = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
        events.append(Event(f"g{k}", f"Gate {k}", draw(st.sampled_from(Gate)), tuple(children)))
    events += [Event(b, draw(st.sampled_from(LABELS))) for b in basics]
    return FaultTree("g0", tuple(events))


def occurs(tree: FaultTree, happened: Collection[str], event_id: str | None = None) -> bool:
    """The top event's truth when exactly the `happened` basic events occur (written independently)."""
    event = tree.by_id()[event_id or tree.top]
    if event.gate is None:
        return event.id in happened
    results = (occurs(tree, happened, child) for child in event.children)
    return all(results) if event.gate is Gate.AND else any(results)


def basic_ids(tree: FaultTree) -> list[str]:
    return [e.id for e in tree.events if e.is_basic]


@settings(max_examples=300, deadline=None)
@given(fault_trees())
def test_cut_sets_match_the_truth_table(tree: FaultTree) -> None:
    cuts = minimal_cut_sets(tree)
    as_sets = [frozenset(c) for c in cuts]
    # (i) every set causes the top event
    assert all(occurs(tree, s) for s in as_sets)
    # (ii) minimal: no proper subset causes it
    for s in as_sets:
        for size in range(len(s)):
            assert not any(occurs(tree, set(sub)) for sub in itertools.combinations(sorted(s), size))
    # (iii) complete: every causing set of basic events holds a returned set
    ids = basic_ids(tree)
    for size in range(len(ids) + 1):
        for chosen in itertools.combinations(ids, size):
            if occurs(tree, chosen):
                assert any(s <= set(chosen) for s in as_sets)
    # (iv) no duplicates, each set listed in label order, sets by size then labels
    assert len(set(as_sets)) == len(as_sets)
    labels = {e.id: (e.label.casefold(), e.label, e.id) for e in tree.events}
    assert all(list(c) == sorted(c, key=labels.__getitem__) for c in cuts)
    keys = [(len(c), [labels[e] for e in c]) for c in cuts]
    assert keys == sorted(keys)


@settings(max_examples=100, deadline=None)
@given(fault_trees(), st.randoms(use_true_random=False))
def test_the_answer_does_not_depend_on_the_order_of_events(tree: FaultTree, shuffle: random.Random) -> None:
    events = list(tree.events)
    shuffle.shuffle(events)
    assert minimal_cut_sets(FaultTree(tree.top, tuple(events))) == minimal_cut_sets(tree)
    assert minimal_cut_sets(tree) == minimal_cut_sets(tree)
