"""The timeline analysis drawn: one bar per phase, longest first, for the postmortem page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from firebell.kernel.svg import FONT, escape

ROW = 26.0
LABEL = 170.0
BAR = 360.0
TEXT = 110.0


def phases_svg(phases: Sequence[tuple[str, timedelta, str]], *, title: str = "Timeline analysis") -> str:
    """`phases` are (label, duration, duration as text), longest first; empty when there are none."""
    if not phases:
        return ""
    longest = max(d.total_seconds() for _l, d, _t in phases) or 1.0
    height = ROW * len(phases) + 8
    width = LABEL + BAR + TEXT
    rows = []
    for i, (label, duration, text) in enumerate(phases):
        y = 4 + i * ROW
        length = max(2.0, BAR * duration.total_seconds() / longest)
        tone = "#b3261e" if i == 0 else "#1f4e8c"
        rows.append(
            f'<text x="{LABEL - 8:.0f}" y="{y + 17:.0f}" text-anchor="end" class="fb-phase">{escape(label)}</text>'
            f'<rect x="{LABEL:.0f}" y="{y + 4:.0f}" width="{length:.1f}" height="{ROW - 10:.0f}" rx="3" '
            f'fill="{tone}" fill-opacity="0.85" class="fb-bar"/>'
            f'<text x="{LABEL + length + 6:.1f}" y="{y + 17:.0f}" class="fb-duration">{escape(text)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="{escape(FONT)}" font-size="12" fill="#1d232b">'
        f"<title>{escape(title)}</title>{''.join(rows)}</svg>"
    )
