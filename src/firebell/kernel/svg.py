"""Inline SVG for the web pages: escaped text, wrapped labels, and a drawn `kernel.diagram` layout.

Pure string building. Every piece of text passes through `escape`, so stored text never becomes markup;
the drawing uses presentation attributes (no <style>, which would leak into the page) and no script.
Each element carries a `fb-` class so a page's stylesheet can restyle it.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable, Sequence

from firebell.kernel.diagram import Box, Graph, Layout, Node, Shape, Tone

FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
FONT_SIZE = 12.0
LINE_HEIGHT = 15.0
CHAR_WIDTH = 6.8  # a rough mean for FONT at FONT_SIZE; wrapping errs on the short side
PADDING = 8.0

# (fill, stroke, stroke width, dash) per tone; the stroke width and dash differ so tone is not colour alone.
TONES: dict[Tone, tuple[str, str, float, str]] = {
    Tone.PLAIN: ("#ffffff", "#4a4a4a", 1.2, ""),
    Tone.ACCENT: ("#e8f0fb", "#1f4e8c", 2.0, ""),
    Tone.HIGHLIGHT: ("#fdecea", "#b3261e", 3.0, ""),
    Tone.MUTED: ("#f4f4f4", "#8a8a8a", 1.0, "4 3"),
}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,40}$")


def escape(text: str) -> str:
    """Text safe in SVG/XML content and attribute values: characters XML forbids are dropped."""
    return html.escape(_NOT_XML.sub("", text), quote=True)


def wrap(text: str, width: float, max_lines: int, font_size: float = FONT_SIZE) -> list[str]:
    """The text in lines that fit `width` pixels; the last kept line ends in '…' when text is cut."""
    per_line = max(1, int(width / (CHAR_WIDTH * font_size / FONT_SIZE)))
    lines = textwrap.wrap(" ".join(text.split()), per_line, break_long_words=True) or [""]
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    if len(last) >= per_line:  # make room for the ellipsis, at a word break where there is one
        last = last.rsplit(" ", 1)[0] if " " in last else last[: per_line - 1]
    kept[-1] = last.rstrip() + "…"
    return kept


def _inset(kind: Shape) -> float:
    """Room left free at each side of a label: more where the outline narrows at the ends."""
    return 16.0 if kind in (Shape.STADIUM, Shape.HEXAGON) else PADDING


def height_for(text: str, width: float, max_lines: int, kind: Shape = Shape.BOX) -> float:
    """The height of a `kind` node `width` wide that shows the text in at most `max_lines` lines."""
    return len(wrap(text, width - 2 * _inset(kind), max_lines)) * LINE_HEIGHT + 2 * PADDING


def text_lines(lines: Sequence[str], x: float, y_middle: float, *, weight: str = "") -> str:
    """A <text> of several lines centred vertically on `y_middle`."""
    top = y_middle - (len(lines) - 1) * LINE_HEIGHT / 2
    bold = f' font-weight="{weight}"' if weight else ""
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{top + k * LINE_HEIGHT:.1f}">{escape(line)}</tspan>' for k, line in enumerate(lines)
    )
    return (
        f'<text text-anchor="middle" dominant-baseline="central" font-family="{escape(FONT)}"'
        f' font-size="{FONT_SIZE:g}"{bold} fill="#1a1a1a">{spans}</text>'
    )


def shape(kind: Shape, box: Box, tone: Tone) -> str:
    """The outline of a node."""
    fill, stroke, stroke_width, dash = TONES[tone]
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width:g}"'
    if dash:
        paint += f' stroke-dasharray="{dash}"'
    x, y, w, h = box.x, box.y, box.width, box.height
    if kind is Shape.HEXAGON:
        d = min(h / 2, w / 4)
        points = [(x + d, y), (x + w - d, y), (x + w, y + h / 2), (x + w - d, y + h), (x + d, y + h), (x, y + h / 2)]
        return f'<polygon points="{_points(points)}" {paint}/>'
    radius = {Shape.BOX: 0.0, Shape.ROUNDED: 8.0, Shape.STADIUM: h / 2}[kind]
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius:.1f}" {paint}/>'


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)


def node_svg(node: Node, box: Box) -> str:
    """A node: its outline, its wrapped label, and the whole label as a tooltip."""
    lines = wrap(node.label, box.width - 2 * _inset(node.shape), max(1, int((box.height - PADDING) // LINE_HEIGHT)))
    cx, cy = box.center
    return (
        f'<g class="fb-node fb-{node.tone.value}"><title>{escape(node.label)}</title>'
        f"{shape(node.shape, box, node.tone)}{text_lines(lines, cx, cy)}</g>"
    )


def document(width: float, height: float, body: str, *, title: str, id_prefix: str) -> str:
    """An <svg> element to inline in a page; `id_prefix` keeps ids unique when a page has several."""
    if not _PREFIX.match(id_prefix):
        raise ValueError(f"id_prefix {id_prefix!r}: use a letter, then letters, digits, '_' or '-'")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="fb-diagram" width="{width:.0f}" height="{height:.0f}"'
        f' viewBox="0 0 {width:.1f} {height:.1f}" role="img"'
        f' aria-labelledby="{id_prefix}-title">'
        f'<title id="{id_prefix}-title">{escape(title)}</title>'
        f'<defs><marker id="{id_prefix}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9"'
        ' markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#4a4a4a"/></marker></defs>'
        f"{body}</svg>"
    )


def polyline(points: Sequence[tuple[float, float]], *, arrow_id: str | None) -> str:
    end = f' marker-end="url(#{arrow_id})"' if arrow_id else ""
    return (
        f'<polyline class="fb-edge" points="{_points(points)}" fill="none" stroke="#4a4a4a" stroke-width="1.3"{end}/>'
    )


def graph_svg(graph: Graph, placed: Layout, *, title: str, id_prefix: str) -> str:
    """The laid-out graph as an inline <svg>: edges first, nodes over them."""
    arrow = f"{id_prefix}-arrow"
    edges = "".join(
        polyline(route, arrow_id=arrow if edge.arrow else None)
        for edge, route in zip(graph.edges, placed.routes, strict=True)
    )
    nodes = "".join(node_svg(node, placed.boxes[node.id]) for node in graph.nodes)
    return document(placed.width, placed.height, edges + nodes, title=title, id_prefix=id_prefix)
