"""Line and bar charts as inline SVG, for the metrics pages.

Pure string building on the conventions of `kernel.svg`: every given text passes through `escape`,
colours are presentation attributes (so a chart reads without the stylesheet, dark on light), and
every coloured part has a `chart-` class (a series' parts `chart-series-<k>`) through which app.css
gives it the page's theme, and there is no <style> and no script. The value axis always starts
at zero: the metrics are counts, durations and shares, none negative. Text widths are estimated, erring
wide, since nothing here can measure them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from markupsafe import Markup

from firebell.kernel.scale import Unit, nice_ticks
from firebell.kernel.svg import FONT, FONT_SIZE, escape

INK = "#1d232b"
MUTED = "#5b6470"
GRID = "#e3e6ea"
AXIS = "#8a9099"
TARGET = "#8a4b00"
# Colour, dash and marker fill per series: lines differ by more than colour.
SERIES_STYLES: tuple[tuple[str, str, bool], ...] = (
    ("#1f4e8c", "", True),
    ("#c2410c", "6 3", False),
    ("#2f7d4f", "2 3", True),
    ("#7b3294", "8 3 2 3", False),
    ("#6b5800", "", False),
    ("#4a4a4a", "6 3", True),
)
POINT_RADIUS = 3.5
TICK_FONT = 11.0
ROW = 26.0
BUCKET_LABEL = 110.0  # the widest a bucket's label may be under the axis
# A mean glyph width at FONT_SIZE, wider than `svg.CHAR_WIDTH` and than most fonts' digits: here a short
# guess would let axis labels overlap, while a long one only spaces them out.
CHAR_WIDTH = 7.6


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a value per bucket of the chart, None where the bucket has no data."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Target:
    """A line at `value`, named `label` (say "target 5 min")."""

    value: float
    label: str


class BarState(StrEnum):
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float | None  # None: the category has no data for the period
    state: BarState | None = None


BAR_FILLS: dict[BarState | None, str] = {None: "#1f4e8c", BarState.MET: "#2f7d4f", BarState.MISSED: "#b3261e"}


def _check(values: Sequence[float | None]) -> None:
    if any(v is not None and not (math.isfinite(v) and v >= 0) for v in values):
        raise ValueError("chart values must be finite and not negative")


def _text_width(text: str, font_size: float = FONT_SIZE) -> float:
    return len(text) * CHAR_WIDTH * font_size / FONT_SIZE


def _clip(text: str, width: float) -> str:
    """`text` cut to fit `width` pixels, ending in '…' when cut."""
    fits = max(1, math.floor(width / CHAR_WIDTH + 1e-6))
    return text if len(text) <= fits else text[: fits - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class _Plot:
    """The plotting rectangle and the value at its far edge (top for lines, right for bars)."""

    left: float
    top: float
    right: float
    bottom: float
    full: float

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * min(value, self.full) / self.full

    def x(self, value: float) -> float:
        return self.left + (self.right - self.left) * min(value, self.full) / self.full

    def rect(self) -> str:
        return (
            f'<rect class="chart-plot" x="{self.left:.1f}" y="{self.top:.1f}" width="{self.right - self.left:.1f}"'
            f' height="{self.bottom - self.top:.1f}" fill="none"/>'
        )


def _document(width: float, height: float, body: str, *, kind: str, summary: str) -> Markup:
    # Every text in `body` and `summary` was escaped where it was put in, so the whole is safe markup.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" width="{width:.0f}" height="{height:.0f}"'
        f' viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(summary)}"'
        f' font-family="{escape(FONT)}" font-size="{FONT_SIZE:g}" fill="{INK}">{body}</svg>'
    )


def _empty(width: float, *, kind: str, title: str) -> Markup:
    """A short chart saying there is nothing to draw, rather than axes around nothing."""
    height = 64.0
    body = (
        f'<text class="chart-empty" x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle"'
        f' dominant-baseline="central" fill="{MUTED}">No data to chart</text>'
    )
    return _document(width, height, body, kind=kind, summary=f"{title}: no data")


def _line(x1: float, y1: float, x2: float, y2: float, *, cls: str, stroke: str, extra: str = "") -> str:
    return f'<line class="{cls}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"{extra}/>'


def _text(x: float, y: float, text: str, *, cls: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" dominant-baseline="central"{extra}>'
        f"{escape(text)}</text>"
    )


def _value_grid(plot: _Plot, ticks: Sequence[float], unit: Unit, *, across: bool) -> str:
    """Gridlines at the ticks with their labels: rows left of the plot (`across`), else columns below it."""
    small = f' font-size="{TICK_FONT:g}" fill="{MUTED}"'
    parts = []
    for tick in ticks:
        label = unit.format(tick)
        if across:
            y = plot.y(tick)
            parts.append(_line(plot.left, y, plot.right, y, cls="chart-grid", stroke=GRID))
            parts.append(_text(plot.left - 6, y, label, cls="chart-tick", anchor="end", extra=small))
        else:
            x = plot.x(tick)
            parts.append(_line(x, plot.top, x, plot.bottom, cls="chart-grid", stroke=GRID))
            parts.append(_text(x, plot.bottom + 12, label, cls="chart-tick", anchor="middle", extra=small))
    return "".join(parts)


def shown_labels(count: int, *, label_width: float, band: float, gap: float = 10.0) -> list[int]:
    """Which of `count` evenly spaced labels to show so none overlaps: every k-th, counted back from the last."""
    every = max(1, math.ceil((label_width + gap) / band)) if band > 0 else count
    return [i for i in range(count) if (count - 1 - i) % every == 0]


def _bucket_axis(plot: _Plot, buckets: Sequence[str], xs: Sequence[float]) -> str:
    width = max(_text_width(b, TICK_FONT) for b in buckets)
    parts = [_line(plot.left, plot.bottom, plot.right, plot.bottom, cls="chart-axis", stroke=AXIS)]
    for i in shown_labels(len(buckets), label_width=width, band=(plot.right - plot.left) / len(buckets)):
        parts.append(_line(xs[i], plot.bottom, xs[i], plot.bottom + 4, cls="chart-axis", stroke=AXIS))
        parts.append(
            _text(xs[i], plot.bottom + 14, buckets[i], cls="chart-bucket", anchor="middle", extra=f' fill="{MUTED}"')
        )
    return "".join(parts)


def _stroke(k: int) -> str:
    colour, dash, _solid = SERIES_STYLES[k % len(SERIES_STYLES)]
    return f'stroke="{colour}" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "")


def _marker(x: float, y: float, k: int, *, cls: str) -> str:
    """A series' point, open: the caller closes it, with or without a tooltip."""
    colour, _dash, solid = SERIES_STYLES[k % len(SERIES_STYLES)]
    cls += f" chart-series-{k % len(SERIES_STYLES)}" + ("" if solid else " hollow")
    return (
        f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="{POINT_RADIUS:g}"'
        f' fill="{colour if solid else "#ffffff"}" stroke="{colour}" stroke-width="1.5"'
    )


def _legend(series: Sequence[Series], width: float) -> tuple[str, float]:
    """The legend rows along the top, and their height; a series with no value at all says so."""
    x, row, parts = 8.0, 0, []
    for k, s in enumerate(series):
        name = _clip(s.name, 240) + ("" if any(v is not None for v in s.values) else " (no data)")
        item = 28 + _text_width(name) + 18
        if x > 8 and x + item > width - 8:
            x, row = 8.0, row + 1
        y = 10 + row * 18
        parts.append(
            f'<g class="chart-legend-item"><title>{escape(s.name)}</title>'
            f'<line class="chart-series-{k % len(SERIES_STYLES)}" x1="{x:.1f}" y1="{y:.1f}" x2="{x + 22:.1f}"'
            f' y2="{y:.1f}" {_stroke(k)}/>'
            f"{_marker(x + 11, y, k, cls='chart-swatch')}/>{_text(x + 28, y, name, cls='chart-legend-label')}</g>"
        )
        x += item
    return f'<g class="chart-legend">{"".join(parts)}</g>', (row + 1) * 18 + 2


def _series_svg(plot: _Plot, xs: Sequence[float], buckets: Sequence[str], series: Series, k: int, unit: Unit) -> str:
    """The line, broken where a value is missing, and a point with its exact value at each bucket that has one."""
    steps, points, pen_down = [], [], False
    for x, bucket, value in zip(xs, buckets, series.values, strict=True):
        if value is None:
            pen_down = False
            continue
        y = plot.y(value)
        steps.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
        tip = escape(f"{series.name} · {bucket}: {unit.format(value)}")
        points.append(f"{_marker(x, y, k, cls='chart-point')}><title>{tip}</title></circle>")
    line = (
        f'<path class="chart-line chart-series-{k % len(SERIES_STYLES)}" d="{" ".join(steps)}" fill="none"'
        f' {_stroke(k)} stroke-linejoin="round"/>'
    )
    return f'<g class="chart-series">{line}{"".join(points)}</g>'


def _halo(colour: str) -> str:
    return f' fill="{colour}" stroke="#ffffff" stroke-width="3" paint-order="stroke"'


def _target_rows(plot: _Plot, targets: Sequence[Target]) -> str:
    """Dashed lines across the plot, each labelled above its right end: below it when the next line up is
    close, at the left end when labels would still touch. The space above the plot leaves room for a label
    on the top line."""
    ordered = sorted(targets, key=lambda t: t.value)
    ys = [plot.y(t.value) for t in ordered]
    parts, last_y = [], math.inf
    for i, (target, y) in enumerate(zip(ordered, ys, strict=True)):
        label_y = y + 9 if i + 1 < len(ys) and y - ys[i + 1] < 14 else y - 8
        near = abs(label_y - last_y) < 14
        x, anchor = (plot.left + 4, "start") if near else (plot.right - 4, "end")
        last_y = math.inf if near else label_y
        parts.append(
            '<g class="chart-target">'
            + _line(
                plot.left, y, plot.right, y, cls="chart-target-line", stroke=TARGET, extra=' stroke-dasharray="5 4"'
            )
            + _text(x, label_y, target.label, cls="chart-target-label", anchor=anchor, extra=_halo(TARGET))
            + "</g>"
        )
    return "".join(parts)


def _line_summary(
    title: str, buckets: Sequence[str], series: Sequence[Series], targets: Sequence[Target], unit: Unit
) -> str:
    said = [f"{title}, {buckets[0]} to {buckets[-1]}."]
    for s in series:
        known = [v for v in s.values if v is not None]
        if known:
            low, high = unit.format(min(known)), unit.format(max(known))
            said.append(f"{s.name}: latest {unit.format(known[-1])}, lowest {low}, highest {high}.")
        else:
            said.append(f"{s.name}: no data.")
    said.extend(f"{t.label}." for t in targets)
    return " ".join(said)


def line_chart(
    *,
    title: str,
    buckets: Sequence[str],
    series: Sequence[Series],
    unit: Unit,
    targets: Sequence[Target] = (),
    width: float = 640,
    height: float = 260,
) -> Markup:
    """Trend lines over ordered buckets (oldest first), broken where a value is None; "no data" when no
    series has a value. Raises ValueError when a series' length differs from the buckets' or a value is
    negative or not finite."""
    for s in series:
        if len(s.values) != len(buckets):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(buckets)} buckets")
        _check(s.values)
    _check([t.value for t in targets])
    known = [v for s in series for v in s.values if v is not None]
    if not known:
        return _empty(width, kind="line-chart", title=title)
    ticks = nice_ticks(max(known + [t.value for t in targets]), steps=unit.steps)
    legend, legend_height = _legend(series, width)
    tick_width = max(_text_width(unit.format(t), TICK_FONT) for t in ticks) + 12
    labels = [_clip(b, BUCKET_LABEL) for b in buckets]  # the points' tooltips name the bucket in full
    half_label = max(_text_width(b, TICK_FONT) for b in labels) / 2 + 4
    plot = _Plot(
        left=max(tick_width, half_label),
        top=legend_height + 14,
        right=width - max(12.0, half_label),
        bottom=height - 24,
        full=ticks[-1],
    )
    band = (plot.right - plot.left) / len(buckets)
    xs = [plot.left + (i + 0.5) * band for i in range(len(buckets))]
    body = (
        plot.rect()
        + _value_grid(plot, ticks, unit, across=True)
        + _bucket_axis(plot, labels, xs)
        + _target_rows(plot, targets)
        + "".join(_series_svg(plot, xs, buckets, s, k, unit) for k, s in enumerate(series))
        + legend
    )
    return _document(
        width, height, body, kind="line-chart", summary=_line_summary(title, buckets, series, targets, unit)
    )


def _bar_text(bar: Bar, unit: Unit) -> str:
    if bar.value is None:
        return "no data"
    return unit.format(bar.value) + (f" · {bar.state.value}" if bar.state else "")


def _bar_row(plot: _Plot, y: float, bar: Bar, text: str, label_width: float) -> str:
    middle = y + ROW / 2
    shape, end = "", plot.left
    if bar.value is not None:
        end = plot.x(bar.value)
        state = f" {bar.state.value}" if bar.state else ""
        shape = (
            f'<rect class="chart-bar{state}" x="{plot.left:.1f}" y="{y + 5:.1f}" width="{end - plot.left:.1f}"'
            f' height="{ROW - 10:g}" rx="2" fill="{BAR_FILLS[bar.state]}"/>'
        )
    weight = ' font-weight="600"' if bar.state is BarState.MISSED else ""
    colour, none = (MUTED, " none") if bar.value is None else (INK, "")
    return (
        f'<g class="chart-row"><title>{escape(bar.label)}: {escape(text)}</title>'
        + _text(plot.left - 8, middle, _clip(bar.label, label_width - 12), cls="chart-label", anchor="end")
        + shape
        + _text(end + 6, middle, text, cls=f"chart-value{none}", extra=f' fill="{colour}"{weight}')
        + "</g>"
    )


def _target_column(plot: _Plot, target: Target, width: float) -> str:
    x = plot.x(target.value)
    half = _text_width(target.label) / 2
    label_x = min(max(x, half + 4), width - half - 4)
    return (
        '<g class="chart-target">'
        + _line(
            x, plot.top - 4, x, plot.bottom, cls="chart-target-line", stroke=TARGET, extra=' stroke-dasharray="5 4"'
        )
        + _text(label_x, plot.top - 12, target.label, cls="chart-target-label", anchor="middle", extra=_halo(TARGET))
        + "</g>"
    )


def bar_chart(
    *,
    title: str,
    bars: Sequence[Bar],
    unit: Unit,
    target: Target | None = None,
    width: float = 640,
) -> Markup:
    """Horizontal bars in the order given, one row each, the value (and met/missed) at the bar's end; the
    height follows the number of bars. Raises ValueError on a negative or non-finite value."""
    _check([b.value for b in bars] + ([target.value] if target else []))
    known = [b.value for b in bars if b.value is not None]
    if not known:
        return _empty(width, kind="bar-chart", title=title)
    ticks = nice_ticks(max(known + ([target.value] if target else [])), steps=unit.steps)
    texts = [_bar_text(b, unit) for b in bars]
    label_width = min(max(_text_width(b.label) for b in bars), 220.0) + 12
    top = 26.0 if target else 6.0
    plot = _Plot(
        left=label_width,
        top=top,
        right=width - max(_text_width(t) for t in texts) - 14,
        bottom=top + ROW * len(bars),
        full=ticks[-1],
    )
    rows = "".join(
        _bar_row(plot, plot.top + i * ROW, bar, text, label_width)
        for i, (bar, text) in enumerate(zip(bars, texts, strict=True))
    )
    body = plot.rect() + _value_grid(plot, ticks, unit, across=False) + rows
    body += _target_column(plot, target, width) if target else ""
    summary = f"{title}: " + "; ".join(f"{b.label} {t}" for b, t in zip(bars, texts, strict=True))
    summary += f". {target.label}." if target else "."
    return _document(width, plot.bottom + 22, body, kind="bar-chart", summary=summary)
