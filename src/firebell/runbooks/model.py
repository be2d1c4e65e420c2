"""A runbook written in markdown, read into the parts of the runbook template. Pure.

Headings and bold labels at the start of a line ("**Resolution Steps**:") are the parts; each part
keeps the content written directly under it (text, links, code blocks, list items and table rows)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from markdown_it import MarkdownIt
from markdown_it.token import Token

from firebell.runbooks.placeholders import Placeholder, find_placeholders, without_placeholders
from firebell.runbooks.vocabulary import Kind, heading_kinds, label_kinds

URL = re.compile(r"https?://[^\s<>()\[\]|`'\"]+")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_PLAIN_FIELD = re.compile(
    r"^\s*(last reviewed|last updated|reviewed by|review date|owner|criticality|tier)\s*:\s*(.+)$", re.I
)


def markdown() -> MarkdownIt:
    """The one markdown dialect runbooks are read and shown in: CommonMark with tables, raw HTML off."""
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Code:
    info: str  # the fence's language, lower case ("" for none)
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Content:
    text: str = ""
    links: tuple[Link, ...] = ()
    images: tuple[str, ...] = ()
    code: tuple[Code, ...] = ()
    entries: int = 0  # list items and table body rows

    def __add__(self, other: Content) -> Content:
        return merged((self, other))

    def substantive(self) -> bool:
        """Says something real: code, or words left once template placeholders are taken out."""
        if any(c.text.strip() for c in self.code):
            return True
        return len(re.findall(r"[A-Za-z0-9]{2,}", without_placeholders(self.text))) >= 2


def merged(contents: Iterable[Content]) -> Content:
    """Several contents as one, in one pass (adding them one by one would copy text over and over)."""
    parts = list(contents)
    return Content(
        "\n".join(c.text for c in parts if c.text),
        tuple(link for c in parts for link in c.links),
        tuple(image for c in parts for image in c.images),
        tuple(code for c in parts for code in c.code),
        sum(c.entries for c in parts),
    )


@dataclass(frozen=True, slots=True)
class Part:
    title: str
    kinds: frozenset[Kind]
    depth: int  # heading level 1-6; a bold label is 7; the text before the first heading is 0
    line: int  # 1-based
    anchor: str  # the heading's id; a label has its heading's
    parent: int | None
    own: Content
    end: int = 0  # the line after its subtree (1-based, exclusive)

    @property
    def heading(self) -> bool:
        return 1 <= self.depth <= 6


@dataclass(frozen=True, slots=True)
class FieldValue:
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Runbook:
    title: str
    parts: tuple[Part, ...]
    fields: dict[str, FieldValue]  # by lower-case name: "owner", "last updated", ...
    placeholders: tuple[Placeholder, ...]
    lines: tuple[str, ...]
    code_lines: tuple[tuple[int, int], ...]  # 0-based [start, end) of code blocks

    def of_kind(self, kind: Kind) -> list[int]:
        return [i for i, p in enumerate(self.parts) if kind in p.kinds]

    def descendants(self, index: int) -> Iterator[int]:
        """The parts inside this one, in order (a label holds nothing)."""
        for i in range(index + 1, len(self.parts)):
            if self.parts[i].depth <= self.parts[index].depth:
                return
            yield i

    def subtree(self, index: int) -> Content:
        return self.content_of([index])

    def content_of(self, indexes: Sequence[int]) -> Content:
        """The content of several parts and what is inside them, each counted once."""
        chosen: list[int] = []
        for i in sorted(set(indexes)):
            if not chosen or i > chosen[-1]:
                chosen += [i, *self.descendants(i)]
        return merged(self.parts[i].own for i in chosen)

    def source(self, index: int) -> str:
        """The markdown a part and its subtree are written in."""
        part = self.parts[index]
        return "\n".join(self.lines[part.line - 1 : part.end - 1])

    def value_of(self, *names: str) -> FieldValue | None:
        for name in names:
            if name in self.fields:
                return self.fields[name]
        return None

    def within(self, index: int, line: int) -> bool:
        return self.parts[index].line <= line < self.parts[index].end


def slug(title: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return re.sub(r" ", "-", text) or "section"


def anchors(titles: Sequence[str]) -> list[str]:
    """Unique anchors for headings in document order: repeats get -1, -2, ..."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for title in titles:
        base = slug(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.append(base if count == 0 else f"{base}-{count}")
    return out


def heading_titles(tokens: Sequence[Token]) -> list[str]:
    return [plain(tokens[i + 1].children or []) for i, t in enumerate(tokens) if t.type == "heading_open"]


def plain(children: Sequence[Token]) -> str:
    out: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "image"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
    return "".join(out)


def parse_date(text: str) -> date | None:
    match = _ISO_DATE.search(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse(text: str) -> Runbook:
    """Read a markdown runbook into its parts, header fields and placeholders."""
    tokens = markdown().parse(text)
    builder = _Builder(anchors(heading_titles(tokens)))
    for index, token in enumerate(tokens):
        builder.take(token, tokens[index + 1] if index + 1 < len(tokens) else None)
    lines = tuple(text.splitlines())
    code = tuple((t.map[0], t.map[1]) for t in tokens if t.type in ("fence", "code_block") and t.map)
    parts = builder.finish(len(lines) + 1)
    title = next((p.title for p in parts if p.depth == 1), next((p.title for p in parts if p.heading), ""))
    return Runbook(title, parts, builder.fields, find_placeholders(lines, code), lines, code)


@dataclass(slots=True)
class _Draft:
    title: str
    kinds: frozenset[Kind]
    depth: int
    line: int
    anchor: str
    parent: int | None
    texts: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    code: list[Code] = field(default_factory=list)
    entries: int = 0

    def content(self) -> Content:
        text = "\n".join(t for t in self.texts if t)
        return Content(text, tuple(self.links), tuple(self.images), tuple(self.code), self.entries)


class _Builder:
    """Walks the token stream once, opening a part at each heading and each line-leading bold label."""

    def __init__(self, heading_anchors: list[str]) -> None:
        self.anchors = iter(heading_anchors)
        self.drafts = [_Draft("", frozenset({Kind.OTHER}), 0, 1, "", None)]
        self.fields: dict[str, FieldValue] = {}
        self.in_heading = False
        self.in_tbody = False

    def take(self, token: Token, following: Token | None) -> None:
        line = token.map[0] + 1 if token.map else 0
        if token.type == "heading_open":
            title = plain(following.children or []) if following is not None else ""
            self._open(title, int(token.tag[1]), line, heading=True)
            self.in_heading = True
        elif token.type == "heading_close":
            self.in_heading = False
        elif token.type == "inline" and not self.in_heading:
            self._inline(token, line)
        elif token.type in ("fence", "code_block"):
            self.drafts[-1].code.append(Code(token.info.strip().lower(), token.content, line))
        elif token.type == "list_item_open" or (token.type == "tr_open" and self.in_tbody):
            self.drafts[-1].entries += 1
        elif token.type in ("tbody_open", "tbody_close"):
            self.in_tbody = token.type == "tbody_open"

    def _open(self, title: str, depth: int, line: int, *, heading: bool) -> None:
        parent: int | None = len(self.drafts) - 1
        while parent is not None and self.drafts[parent].depth >= depth:
            parent = self.drafts[parent].parent
        above = self.drafts[parent] if parent is not None else None
        if heading:
            kinds, anchor = heading_kinds(title, above.kinds if above else frozenset()), next(self.anchors)
        else:
            kinds, anchor = label_kinds(title), above.anchor if above else ""
        self.drafts.append(_Draft(title.strip(), kinds, depth, line, anchor, parent))

    def _inline(self, token: Token, first_line: int) -> None:
        for offset, segment in enumerate(_segments(token.children or [])):
            line = first_line + offset
            found = _bold_fields(segment)
            for name, value, _start in found:
                self.fields.setdefault(name.lower(), FieldValue(value, line))
            text = plain(segment)
            if found and found[0][2] is not None:  # a label: its words are its title, not its content
                self._open(found[0][0], 7, line, heading=False)
                text = plain(segment[found[0][2] :]).strip().removeprefix(":").strip()
            match = _PLAIN_FIELD.match(text)
            if match:
                self.fields.setdefault(match[1].lower(), FieldValue(match[2].strip(), line))
            draft = self.drafts[-1]
            draft.texts.append(text)
            draft.links += _links(segment, text, line)
            draft.images += _images(segment)

    def finish(self, last_line: int) -> tuple[Part, ...]:
        ends = [last_line] * len(self.drafts)
        open_parts: list[int] = []
        for i, draft in enumerate(self.drafts):
            while open_parts and self.drafts[open_parts[-1]].depth >= draft.depth:
                ends[open_parts.pop()] = draft.line
            open_parts.append(i)
        return tuple(
            Part(d.title, d.kinds, d.depth, d.line, d.anchor, d.parent, d.content(), ends[i])
            for i, d in enumerate(self.drafts)
        )


def _segments(children: Sequence[Token]) -> list[list[Token]]:
    """An inline's children split at line breaks: each line can open with a label."""
    segments: list[list[Token]] = [[]]
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            segments.append([])
        else:
            segments[-1].append(child)
    return segments


def _bold_fields(segment: Sequence[Token]) -> list[tuple[str, str, int | None]]:
    """(name, value, where the value starts if the name leads the line) for each `**Name**: value` or
    `**Name:** value` on a line; a value runs to the next bold text."""
    strong = [i for i, c in enumerate(segment) if c.type == "strong_open"]
    found: list[tuple[str, str, int | None]] = []
    for n, start in enumerate(strong):
        close = next((j for j in range(start, len(segment)) if segment[j].type == "strong_close"), None)
        if close is None:
            break
        name = plain(segment[start + 1 : close]).strip()
        after = segment[close + 1] if close + 1 < len(segment) else None
        if not (name.endswith(":") or (after is not None and after.type == "text" and after.content.startswith(":"))):
            continue
        stop = strong[n + 1] if n + 1 < len(strong) else len(segment)
        value = plain(segment[close + 1 : stop]).strip().removeprefix(":").strip()
        leading = all(c.type == "text" and not c.content.strip() for c in segment[:start])
        found.append((name.rstrip(":").strip(), value, close + 1 if leading else None))
    return found


def _links(segment: Sequence[Token], text: str, line: int) -> tuple[Link, ...]:
    """Markdown links with the words they are written with, then bare URLs in the text."""
    links: list[Link] = []
    for i, child in enumerate(segment):
        if child.type == "link_open":
            close = next((j for j in range(i, len(segment)) if segment[j].type == "link_close"), len(segment))
            links.append(Link(str(child.attrGet("href") or ""), plain(segment[i + 1 : close]), line))
    links += [Link(url.rstrip(".,;:"), "", line) for url in URL.findall(text)]
    return tuple(links)


def _images(segment: Sequence[Token]) -> tuple[str, ...]:
    return tuple(str(c.attrGet("src") or "") for c in segment if c.type == "image")
