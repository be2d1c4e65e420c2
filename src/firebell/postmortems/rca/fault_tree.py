"""The fault tree: a top event, and the events that cause it through AND and OR gates.

An event is basic (no gate, no children) or a gate over child events named by id. Children may be shared
(the tree is a DAG), but cycles, unknown ids and childless gates are refused. `root_cause` optionally
names the basic event the review settled on, whose path up to the top the diagrams can highlight.

JSON: `{"top": "id", "root_cause": "id" | null, "events": [{"id": "...", "label": "...",
"gate": "and" | "or", "children": ["id", ...]}, ...]}`; a basic event has no gate (null) and no
children; `label` defaults to the id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from firebell.kernel.errors import ValidationFailed
from firebell.postmortems.rca.parsing import array, fail, obj, optional, text

MAX_EVENTS = 100
MAX_BRANCHES = 20  # children of one gate
MAX_LINKS = 300  # children of all gates together
MAX_PATHS = 50
EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class Gate(StrEnum):
    AND = "and"  # the event occurs when all its children occur
    OR = "or"  # the event occurs when any of its children occurs


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    label: str
    gate: Gate | None = None
    children: tuple[str, ...] = ()

    @property
    def is_basic(self) -> bool:
        return self.gate is None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "label": self.label}
        if self.gate is not None:
            out |= {"gate": self.gate.value, "children": list(self.children)}
        return out


@dataclass(frozen=True, slots=True)
class FaultTree:
    top: str
    events: tuple[Event, ...]
    root_cause: str | None = None

    def __post_init__(self) -> None:
        problem = _problem(self.top, self.events, self.root_cause)
        if problem:
            raise fail(f"fault_tree.{problem[0]}", problem[1])

    def by_id(self) -> dict[str, Event]:
        return {e.id: e for e in self.events}

    def to_json(self) -> dict[str, object]:
        return {"top": self.top, "root_cause": self.root_cause, "events": [e.to_json() for e in self.events]}


def parse_fault_tree(data: object, *, field: str = "fault_tree") -> FaultTree:
    """Read a fault tree from JSON; raises ValidationFailed naming the bad field."""
    fields = obj(data, field, allowed=("top", "root_cause", "events"))
    items = array(fields.get("events"), f"{field}.events", limit=MAX_EVENTS)
    events = tuple(_parse_event(item, f"{field}.events.{k}") for k, item in enumerate(items))
    top = text(fields.get("top"), f"{field}.top", limit=64)
    root = fields.get("root_cause")
    root_cause = None if root is None else text(root, f"{field}.root_cause", limit=64)
    problem = _problem(top, events, root_cause)
    if problem:
        raise fail(f"{field}.{problem[0]}", problem[1])
    return FaultTree(top, events, root_cause)


def _parse_event(data: object, path: str) -> Event:
    fields = obj(data, path, allowed=("id", "label", "gate", "children"))
    event_id = text(fields.get("id"), f"{path}.id", limit=64)
    if not EVENT_ID.match(event_id):
        raise fail(f"{path}.id", "use letters, digits, '_', '.', ':' or '-', starting with a letter or digit")
    label = text(fields["label"], f"{path}.label") if fields.get("label") is not None else event_id
    gate_name = fields.get("gate")
    gate = None if gate_name is None else _gate(text(gate_name, f"{path}.gate", limit=10), f"{path}.gate")
    names = array(optional(fields, "children", []), f"{path}.children", limit=MAX_BRANCHES)
    children = tuple(text(c, f"{path}.children.{k}", limit=64) for k, c in enumerate(names))
    return Event(event_id, label, gate, children)


def _gate(name: str, path: str) -> Gate:
    try:
        return Gate(name.lower())
    except ValueError:
        raise fail(path, "unknown gate; use 'and' or 'or'") from None


def _problem(top: str, events: Sequence[Event], root_cause: str | None) -> tuple[str, str] | None:
    """The first structural fault as (path below the tree, message), or None."""
    where: dict[str, int] = {}
    for k, event in enumerate(events):
        if event.id in where:
            return f"events.{k}.id", f"the id {event.id!r} is used by events.{where[event.id]} too"
        where[event.id] = k
    if not events:
        return "events", "give at least the top event"
    if sum(len(e.children) for e in events) > MAX_LINKS:
        return "events", f"gates have more than {MAX_LINKS} children in all"
    for k, event in enumerate(events):
        problem = _event_problem(event, where)
        if problem:
            return f"events.{k}.{problem[0]}", problem[1]
    if top not in where:
        return "top", f"no event has the id {top!r}"
    cycle = _cycle(events, where)
    if cycle:
        return cycle
    return _root_cause_problem(top, events, root_cause, where)


def _event_problem(event: Event, where: Mapping[str, int]) -> tuple[str, str] | None:
    if event.gate is None:
        return ("gate", "an event with children needs a gate: 'and' or 'or'") if event.children else None
    if not event.children:
        return "children", "a gate needs at least one child"
    seen: set[str] = set()
    for j, child in enumerate(event.children):
        if child in seen:
            return f"children.{j}", f"{child!r} is listed twice"
        if child not in where:
            return f"children.{j}", f"no event has the id {child!r}"
        seen.add(child)
    return None


def _cycle(events: Sequence[Event], where: Mapping[str, int]) -> tuple[str, str] | None:
    """The child link that closes a cycle, found by a depth-first search from every event."""
    done: set[str] = set()
    for start in events:
        if start.id in done:
            continue
        path, branches = [start.id], [iter(enumerate(start.children))]
        while branches:
            step = next(branches[-1], None)
            if step is None:
                done.add(path.pop())
                branches.pop()
                continue
            j, child = step
            if child in path:
                loop = " → ".join([*path[path.index(child) :], child])
                return f"events.{where[path[-1]]}.children.{j}", f"makes a cycle: {loop}"
            if child not in done:
                path.append(child)
                branches.append(iter(enumerate(events[where[child]].children)))
    return None


def _root_cause_problem(
    top: str, events: Sequence[Event], root_cause: str | None, where: Mapping[str, int]
) -> tuple[str, str] | None:
    if root_cause is None:
        return None
    if root_cause not in where:
        return "root_cause", f"no event has the id {root_cause!r}"
    if not events[where[root_cause]].is_basic:
        return "root_cause", "name a basic event (one without a gate)"
    if root_cause not in _below(top, {e.id: e for e in events}):
        return "root_cause", "is not under the top event"
    return None


def _below(event_id: str, events: Mapping[str, Event]) -> set[str]:
    """The event and every event under it."""
    seen, stack = {event_id}, [event_id]
    while stack:
        for child in events[stack.pop()].children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def paths_to(tree: FaultTree, event_id: str, *, limit: int = MAX_PATHS) -> tuple[tuple[str, ...], ...]:
    """The paths of ids from the top event down to `event_id`, at most `limit`, in child order."""
    events = tree.by_id()
    if event_id not in events:
        raise ValidationFailed.field("event", f"no event has the id {event_id!r}")
    reaches = {e for e in events if event_id in _below(e, events)}
    found: list[tuple[str, ...]] = []
    stack: list[tuple[str, ...]] = [(tree.top,)] if tree.top in reaches else []
    while stack and len(found) < limit:
        path = stack.pop()
        if path[-1] == event_id:
            found.append(path)
            continue
        stack.extend((*path, c) for c in reversed(events[path[-1]].children) if c in reaches)
    return tuple(found)


def root_cause_paths(tree: FaultTree) -> tuple[tuple[str, ...], ...]:
    """The paths from the top to the chosen root cause (none when no root cause is chosen)."""
    return paths_to(tree, tree.root_cause) if tree.root_cause else ()
