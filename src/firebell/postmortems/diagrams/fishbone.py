"""The fishbone as inline SVG: a spine to the effect, and one slanted bone per category.

Methods, materials and environment hang above the spine, machines and manpower below it, each with its
causes listed along the bone (sub-causes indented, in a smaller type). A cause too long for its line is
cut with "…" and shown whole as a tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass

from firebell.kernel.diagram import Box, Shape, Tone
from firebell.kernel.svg import FONT, document, escape, height_for, shape, text_lines, wrap
from firebell.postmortems.rca.causes import Cause
from firebell.postmortems.rca.fishbone import Bone, Category, Fishbone

MARGIN = 16.0
COLUMN = 300.0  # width given to one bone and its causes
ROW = 17.0
LABEL = (130.0, 26.0)
EFFECT_WIDTH = 190.0
MAX_SLANT = 60.0
ABOVE = (Category.METHODS, Category.MATERIALS, Category.ENVIRONMENT)
BELOW = (Category.MACHINES, Category.MANPOWER)


@dataclass(frozen=True, slots=True)
class _Row:
    level: int
    text: str


def _rows(causes: tuple[Cause, ...]) -> list[_Row]:
    rows: list[_Row] = []
    stack = [(0, c) for c in reversed(causes)]
    while stack:
        level, cause = stack.pop()
        rows.append(_Row(level, cause.text))
        stack.extend((level + 1, c) for c in reversed(cause.causes))
    return rows or [_Row(-1, "none listed")]


def fishbone_svg(bones: Fishbone, *, id_prefix: str = "fishbone") -> str:
    """The fishbone as an inline <svg> element."""
    above = max(len(_rows(bones.bone(c).causes)) for c in ABOVE)
    below = max(len(_rows(bones.bone(c).causes)) for c in BELOW)
    reach_up, reach_down = (above + 1) * ROW + 8, (below + 1) * ROW + 8
    effect_height = height_for(bones.effect, EFFECT_WIDTH, 6)
    spine = max(MARGIN + LABEL[1] + reach_up, MARGIN + effect_height / 2)
    height = max(spine + reach_down + LABEL[1] + MARGIN, spine + effect_height / 2 + MARGIN)
    head = MARGIN + len(ABOVE) * COLUMN
    parts = [
        f'<line class="fb-spine" x1="{MARGIN:.1f}" y1="{spine:.1f}" x2="{head:.1f}" y2="{spine:.1f}"'
        f' stroke="#4a4a4a" stroke-width="3" marker-end="url(#{id_prefix}-arrow)"/>'
    ]
    for k, category in enumerate(ABOVE):
        parts.append(_bone(bones.bone(category), MARGIN + k * COLUMN, spine, spine - reach_up))
    for k, category in enumerate(BELOW):
        parts.append(_bone(bones.bone(category), MARGIN + (k + 0.5) * COLUMN, spine, spine + reach_down))
    effect = Box(head + 4, spine - effect_height / 2, EFFECT_WIDTH, effect_height)
    lines = wrap(bones.effect, EFFECT_WIDTH - 16, 6)
    parts.append(
        f'<g class="fb-effect"><title>{escape(bones.effect)}</title>{shape(Shape.ROUNDED, effect, Tone.ACCENT)}'
        f"{text_lines(lines, effect.center[0], spine, weight='bold')}</g>"
    )
    width = head + 4 + EFFECT_WIDTH + MARGIN
    return document(width, height, "".join(parts), title=f"Fishbone: {bones.effect}", id_prefix=id_prefix)


def _bone(bone: Bone, left: float, spine: float, end: float) -> str:
    """One category: its label at the far `end` of a bone that meets the spine near the column's right."""
    joint = left + COLUMN - 20
    slant = min(0.3 * abs(spine - end), MAX_SLANT)
    far = joint - slant
    up = end < spine

    def bone_x(y: float) -> float:
        return far + (joint - far) * (y - end) / (spine - end)

    label_w, label_h = LABEL
    label = Box(far - label_w / 2, end - label_h if up else end, label_w, label_h)
    parts = [
        f'<g class="fb-bone"><title>{escape(bone.category.label)}</title>'
        f'<line x1="{far:.1f}" y1="{end:.1f}" x2="{joint:.1f}" y2="{spine:.1f}" stroke="#4a4a4a" stroke-width="2"/>'
        f"{shape(Shape.HEXAGON, label, Tone.PLAIN)}"
        f"{text_lines([bone.category.label.upper()], far, label.center[1], weight='bold')}"
    ]
    for r, row in enumerate(_rows(bone.causes)):
        y = end + (r + 1) * ROW if up else spine + (r + 1) * ROW + 4
        parts.append(_row(row, left, y, bone_x(y)))
    parts.append("</g>")
    return "".join(parts)


def _row(row: _Row, left: float, y: float, bone_at: float) -> str:
    """A cause written left-aligned in its column; a main cause sits on a rib that runs to the bone."""
    size = 11.0 if row.level <= 0 else 10.0
    start = left + 6 + 12 * max(row.level, 0)
    line = wrap(row.text, max(bone_at - 10 - start, 20.0), 1, font_size=size)
    fill = "#1a1a1a" if row.level == 0 else "#5a5a5a"
    style = ' font-style="italic"' if row.level < 0 else ""
    rib = (
        f'<line x1="{start - 2:.1f}" y1="{y + 7:.1f}" x2="{bone_at:.1f}" y2="{y + 7:.1f}" stroke="#8a8a8a"/>'
        if row.level == 0
        else ""
    )
    return (
        f'<g class="fb-cause"><title>{escape(row.text)}</title>{rib}'
        f'<text x="{start:.1f}" y="{y:.1f}" dominant-baseline="central" font-family="{escape(FONT)}"'
        f' font-size="{size:g}" fill="{fill}"{style}>'
        f"{escape(line[0])}</text></g>"
    )
