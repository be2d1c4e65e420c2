"""The RCA tools as indented outlines, the way people jot them down, to and from their JSON form.

Pure. One node per line; indentation nests a line under the one above it. The 5 whys: the problem,
then its causes indented below it. The fishbone: the effect, then each category and its causes. The
fault tree: the top event, gates marked `[AND]` or `[OR]` after their name, a root cause marked
`(root cause)`; a name used twice is the same event.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from firebell.kernel.errors import ValidationFailed

MAX_LINES = 400
_BULLET = re.compile(r"^(?:[-*•]\s+|\d+[.)]\s+|→\s*)")
_GATE = re.compile(r"\s*\[(and|or)\]\s*$", re.IGNORECASE)
_ROOT = re.compile(r"\s*\(root cause\)\s*$", re.IGNORECASE)
CATEGORIES = ("methods", "machines", "materials", "manpower", "environment")


@dataclass
class Line:
    number: int
    text: str
    children: list[Line] = field(default_factory=list)


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed.field("outline", message)


def parse_lines(text: str) -> list[Line]:
    """The outline as a forest: each line under the nearest line above it that is indented less."""
    roots: list[Line] = []
    stack: list[tuple[int, Line]] = []
    lines = text.replace("\t", "    ").splitlines()
    if len(lines) > MAX_LINES:
        raise _fail(f"at most {MAX_LINES} lines")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        content = _BULLET.sub("", raw.strip()).strip()
        if not content:
            continue
        node = Line(number, content)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((indent, node))
    return roots


def _prefixed(text: str, *prefixes: str) -> str:
    for prefix in prefixes:
        if text.lower().startswith(prefix):
            return text[len(prefix) :].strip()
    return text


def _one_root(roots: list[Line], what: str) -> Line:
    if not roots:
        raise _fail(f"empty: start with the {what}")
    if len(roots) > 1:
        raise _fail(f"line {roots[1].number}: only the first line ({what}) starts at the margin; indent the rest")
    return roots[0]


def _causes(lines: list[Line]) -> list[dict[str, Any]]:
    return [{"text": line.text, "causes": _causes(line.children)} for line in lines]


def five_whys(text: str) -> dict[str, Any]:
    roots = parse_lines(text)
    if len(roots) > 1 and not roots[0].children:
        # A flat list: the problem, then each answer asking "why?" of the one before.
        chain: list[dict[str, Any]] = []
        for line in reversed(roots[1:]):
            chain = [{"text": _prefixed(line.text, "because "), "causes": chain}]
        return {"problem": _prefixed(roots[0].text, "problem:", "symptom:"), "causes": chain}
    root = _one_root(roots, "problem")
    return {"problem": _prefixed(root.text, "problem:", "symptom:"), "causes": _causes(root.children)}


def fishbone(text: str) -> dict[str, Any]:
    roots = parse_lines(text)
    if not roots:
        raise _fail("empty: start with the effect")
    effect = roots[0]
    categories: dict[str, list[dict[str, Any]]] = {}
    headers = roots[1:] if not effect.children else effect.children
    for header in headers:
        name = header.text.rstrip(":").strip().lower()
        if name not in CATEGORIES:
            raise _fail(f"line {header.number}: {header.text!r} is not a category; use {', '.join(CATEGORIES)}")
        categories.setdefault(name, []).extend(_causes(header.children))
    return {"effect": _prefixed(effect.text, "effect:", "problem:"), "categories": categories}


def _event_id(label: str, taken: dict[str, str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:56] or "event"
    candidate, n = base, 2
    while candidate in taken.values():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def fault_tree(text: str) -> dict[str, Any]:
    root = _one_root(parse_lines(text), "top event")
    events: dict[str, dict[str, Any]] = {}  # by label
    ids: dict[str, str] = {}
    root_cause: list[str] = []

    def visit(line: Line) -> str:
        label = line.text
        gate_match = _GATE.search(label)
        gate = gate_match.group(1).lower() if gate_match else None
        label = _GATE.sub("", label)
        is_root = bool(_ROOT.search(label))
        label = _ROOT.sub("", label).strip()
        if not label:
            raise _fail(f"line {line.number}: give the event a name")
        if line.children and gate is None:
            raise _fail(f"line {line.number}: {label!r} has causes below it: mark it [AND] or [OR]")
        if gate is not None and not line.children:
            raise _fail(f"line {line.number}: the gate {label!r} needs its input events indented below it")
        if label not in ids:
            ids[label] = _event_id(label, ids)
            events[label] = {"id": ids[label], "label": label}
        event = events[label]
        if gate is not None:
            if "gate" in event:
                raise _fail(f"line {line.number}: {label!r} is already defined above; name it without causes here")
            event["gate"] = gate
            event["children"] = list(dict.fromkeys(visit(child) for child in line.children))
        if is_root:
            root_cause.append(ids[label])
        return ids[label]

    top = visit(root)
    if len(set(root_cause)) > 1:
        raise _fail("mark one event as the (root cause)")
    return {"top": top, "root_cause": root_cause[0] if root_cause else None, "events": list(events.values())}


PARSERS = {"five_whys": five_whys, "fishbone": fishbone, "fault_tree": fault_tree}


# --- and back: the stored form as the outline the editor shows ------------------------------------


def _cause_lines(causes: list[dict[str, Any]], depth: int) -> Iterator[str]:
    for cause in causes:
        yield "  " * depth + str(cause.get("text", ""))
        yield from _cause_lines(list(cause.get("causes") or []), depth + 1)


def five_whys_outline(data: dict[str, Any]) -> str:
    return "\n".join([str(data.get("problem", "")), *_cause_lines(list(data.get("causes") or []), 1)])


def fishbone_outline(data: dict[str, Any]) -> str:
    lines = [str(data.get("effect", ""))]
    for name, causes in (data.get("categories") or {}).items():
        if causes:
            lines.append(f"{name.capitalize()}:")
            lines.extend(_cause_lines(list(causes), 1))
    return "\n".join(lines)


def fault_tree_outline(data: dict[str, Any]) -> str:
    events = {e["id"]: e for e in data.get("events") or []}
    written: set[str] = set()
    lines: list[str] = []

    def walk(event_id: str, depth: int) -> None:
        event = events.get(event_id)
        if event is None:
            return
        text = str(event.get("label") or event_id)
        if data.get("root_cause") == event_id:
            text += " (root cause)"
        if event.get("gate") and event_id not in written:
            written.add(event_id)
            lines.append("  " * depth + f"{text} [{str(event['gate']).upper()}]")
            for child in event.get("children") or []:
                walk(child, depth + 1)
        else:
            lines.append("  " * depth + text)

    walk(str(data.get("top", "")), 0)
    return "\n".join(lines)


OUTLINES = {"five_whys": five_whys_outline, "fishbone": fishbone_outline, "fault_tree": fault_tree_outline}
