"""Unfilled template placeholders in a runbook's prose: `{Service Name}`, `YYYY-MM-DD`, `[Link]`, `@handle`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_PATTERNS = (
    re.compile(r"(?<![{$])\{(?!\{)[A-Za-z][^{}\n]{0,120}\}(?!\})"),  # {Service Name}, not {{ $labels.x }}
    re.compile(r"\b(YYYY-MM-DD|YYYY/MM/DD|DD/MM/YYYY|MM/DD/YYYY|HH:MM)\b"),
    re.compile(r"\bv?X\.Y(\.Z)?\b"),
    re.compile(
        r"\[(link|url|tbd|todo|names?|rotation|team|owner|service|service name|title|date|insert[^\]]*)\](?!\()", re.I
    ),
    re.compile(r"\]\((link|url|todo|tbd)\)", re.I),
    re.compile(r"\[[A-Z][A-Z0-9 _-]{2,}\](?!\()"),  # [SERVICE]
    re.compile(r"\[[A-Z][a-z]+( [\w/-]+){2,}\](?![(:])"),  # [Detailed recovery steps based on cause]
    re.compile(r"(?<![\w.])@(handle|name|username|user|team|someone)\b"),
    re.compile(r"\+?[\dx]{0,3}[- ]?\(?x{3}\)?[- .]x{3}[- .]x{4}", re.I),
    re.compile(r"\b(TODO|TBD|FIXME)\b"),
    re.compile(r"\b[\w.-]*\bexample\.(com|org|net)\b"),
)


@dataclass(frozen=True, slots=True)
class Placeholder:
    text: str
    line: int  # 1-based


def find_placeholders(lines: Sequence[str], skip: Iterable[tuple[int, int]] = ()) -> tuple[Placeholder, ...]:
    """Placeholders on every line outside `skip` (0-based [start, end) ranges: code blocks), in order."""
    skipped = {n for start, end in skip for n in range(start, end)}
    found: list[Placeholder] = []
    for number, line in enumerate(lines):
        if number in skipped:
            continue
        hits: dict[int, str] = {}
        for pattern in _PATTERNS:
            for match in pattern.finditer(line):
                if not any(start <= match.start() < start + len(text) for start, text in hits.items()):
                    hits[match.start()] = match.group(0)
        found.extend(Placeholder(hits[start], number + 1) for start in sorted(hits))
    return tuple(found)


def without_placeholders(text: str) -> str:
    """The text with every placeholder taken out, to judge whether anything real is left."""
    for pattern in _PATTERNS:
        text = pattern.sub(" ", text)
    return text
