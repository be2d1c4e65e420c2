"""Minimal cut sets of a fault tree: the smallest sets of basic events that together cause an event.

Computed bottom-up with boolean algebra: a basic event is its own cut set; an OR gate takes the union of
its children's families; an AND gate takes every combination of one cut set per child. After each step,
absorption drops any set that holds a smaller one (a ∪ ab = a), so only minimal sets remain. A set of
basic events is held as a bit mask, bits numbered in label order.

Shared children are computed once. Both the number of sets kept at any step and the total work are
capped, so a hostile tree fails with ValidationFailed (naming `fault_tree`) rather than run away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from firebell.kernel.errors import ValidationFailed
from firebell.postmortems.rca.fault_tree import Event, FaultTree, Gate
from firebell.postmortems.rca.parsing import fail

MAX_CUT_SETS = 200
MAX_WORK = 2_000_000  # subset tests and combinations, over the whole computation

CutSet = tuple[str, ...]  # basic event ids, in label order


class _Work:
    def __init__(self) -> None:
        self.spent = 0

    def spend(self, amount: int) -> None:
        self.spent += amount
        if self.spent > MAX_WORK:
            raise fail("fault_tree", "is too large to find its cut sets; split it into smaller trees")


def _absorb(masks: Iterable[int], work: _Work) -> list[int]:
    """The minimal masks: smallest first, each kept only if no kept mask is a subset of it."""
    kept: list[int] = []
    for mask in sorted(set(masks), key=lambda m: (m.bit_count(), m)):
        work.spend(len(kept) + 1)
        if all(k & mask != k for k in kept):
            kept.append(mask)
            if len(kept) > MAX_CUT_SETS:
                raise fail("fault_tree", f"has more than {MAX_CUT_SETS} minimal cut sets; split it into smaller trees")
    return kept


def _families(events: Mapping[str, Event], start: str, bit: Mapping[str, int], work: _Work) -> list[int]:
    """The minimal cut sets of `start` as masks, every event below it computed once (no recursion)."""
    memo: dict[str, list[int]] = {}
    stack = [start]
    while stack:
        event = events[stack[-1]]
        pending = [c for c in event.children if c not in memo]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if event.id in memo:
            continue
        if event.gate is None:
            memo[event.id] = [1 << bit[event.id]]
        elif event.gate is Gate.OR:
            memo[event.id] = _absorb((m for c in event.children for m in memo[c]), work)
        else:
            combined = [0]
            for child in event.children:
                work.spend(len(combined) * len(memo[child]))
                combined = _absorb((a | b for a in combined for b in memo[child]), work)
            memo[event.id] = combined
    return memo[start]


def minimal_cut_sets(tree: FaultTree, event_id: str | None = None) -> tuple[CutSet, ...]:
    """The minimal cut sets of the top event (or of `event_id`), by size, then by their events' labels."""
    events = tree.by_id()
    if event_id is not None and event_id not in events:
        raise ValidationFailed.field("event", f"no event has the id {event_id!r}")
    basics = sorted((e for e in tree.events if e.is_basic), key=lambda e: (e.label.casefold(), e.label, e.id))
    bit = {e.id: k for k, e in enumerate(basics)}
    masks = _families(events, event_id or tree.top, bit, _Work())

    def members(mask: int) -> tuple[int, ...]:
        return tuple(k for k in range(mask.bit_length()) if mask >> k & 1)

    ordered = sorted(masks, key=lambda m: (m.bit_count(), members(m)))
    return tuple(tuple(basics[k].id for k in members(m)) for m in ordered)


def single_points_of_failure(tree: FaultTree) -> tuple[str, ...]:
    """The basic events that alone cause the top event: the cut sets of one event."""
    return tuple(cut[0] for cut in minimal_cut_sets(tree) if len(cut) == 1)
