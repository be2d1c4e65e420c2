from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from firebell.kernel.charts import Bar, BarState, Series, Target, bar_chart, line_chart, shown_labels
from firebell.kernel.scale import COUNT, PERCENT, SECONDS, Unit, duration_text, nice_ticks, percent_text

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script>&'


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 (our own output)


def _all(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in e.get("class", "").split()]


def _plot(root: ET.Element) -> tuple[float, float, float, float]:
    (rect,) = _all(root, "chart-plot")
    left, top = float(rect.get("x", "")), float(rect.get("y", ""))
    return left, top, left + float(rect.get("width", "")), top + float(rect.get("height", ""))


def _points(root: ET.Element) -> list[tuple[float, float]]:
    return [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in _all(root, "chart-point")]


def _tip(element: ET.Element) -> str:
    title = element.find(f"{NS}title")
    assert title is not None
    return title.text or ""


def _texts(root: ET.Element, cls: str) -> list[str]:
    return ["".join(e.itertext()) for e in _all(root, cls)]


@pytest.mark.parametrize(
    ("high", "ticks"),
    [
        (10, (0, 2, 4, 6, 8, 10)),
        (11, (0, 5, 10, 15)),
        (7, (0, 2, 4, 6, 8)),
        (0.3, (0, 0.1, 0.2, 0.3)),
        (99.5, (0, 20, 40, 60, 80, 100)),
        (1234, (0, 500, 1000, 1500)),
        (0, (0, 1)),
    ],
)
def test_ticks_are_round_numbers_from_zero_to_the_first_at_or_above_the_top(high: float, ticks: tuple[float]) -> None:
    assert nice_ticks(high) == ticks


@pytest.mark.parametrize(
    ("high", "labels"),
    [
        (700, ["0", "5 min", "10 min", "15 min"]),
        (5400, ["0", "30 min", "1 h", "1.5 h"]),
        (45, ["0", "10 s", "20 s", "30 s", "40 s", "50 s"]),
        (3 * 86400, ["0", "1 d", "2 d", "3 d"]),
        (0, ["0", "1 s"]),
    ],
)
def test_duration_ticks_fall_on_minutes_and_hours(high: float, labels: list[str]) -> None:
    assert [duration_text(t) for t in nice_ticks(high, steps=SECONDS.steps)] == labels


def test_counts_tick_in_whole_numbers() -> None:
    assert nice_ticks(0.4, steps=COUNT.steps) == (0, 1)
    assert nice_ticks(3, steps=COUNT.steps) == (0, 1, 2, 3)


@given(st.floats(min_value=0, max_value=1e12), st.sampled_from([(), SECONDS.steps, COUNT.steps]))
def test_ticks_always_cover_the_top_evenly_and_stay_few(high: float, steps: tuple[float, ...]) -> None:
    ticks = nice_ticks(high, steps=steps)
    assert ticks[0] == 0
    assert ticks[-1] >= high * (1 - 1e-9)
    assert 2 <= len(ticks) <= 6
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) - min(gaps) <= 1e-9 * ticks[-1]


def test_values_read_in_their_unit() -> None:
    assert [duration_text(s) for s in (0, 45, 240, 252, 5400, 59.97, 90000)] == [
        "0",
        "45 s",
        "4 min",
        "4.2 min",
        "1.5 h",
        "1 min",
        "1 d",
    ]
    assert [percent_text(v) for v in (12, 99.5, 0.04)] == ["12 %", "99.5 %", "0.04 %"]


def _trend(values: tuple[float | None, ...], targets: tuple[Target, ...] = ()) -> ET.Element:
    buckets = [f"2026-W{n:02d}" for n in range(1, len(values) + 1)]
    return _svg(
        line_chart(title="MTTA", buckets=buckets, series=[Series("SEV-1", values)], unit=COUNT, targets=targets)
    )


def test_points_land_on_their_bucket_and_value() -> None:
    root = _trend((0, 5, 10))
    left, top, right, bottom = _plot(root)
    band = (right - left) / 3
    expected = [(left + (i + 0.5) * band, bottom - (bottom - top) * v / 10) for i, v in enumerate((0, 5, 10))]
    for (x, y), (ex, ey) in zip(_points(root), expected, strict=True):
        assert x == pytest.approx(ex, abs=0.06)
        assert y == pytest.approx(ey, abs=0.06)
    assert _texts(root, "chart-tick")[:6] == ["0", "2", "4", "6", "8", "10"]


def test_a_missing_value_breaks_the_line_and_has_no_point() -> None:
    root = _trend((1, None, 3, 4))
    (path,) = _all(root, "chart-line")
    moves = path.get("d", "").split()
    assert [m[0] for m in moves] == ["M", "M", "L"]
    assert len(_points(root)) == 3
    assert [p[0] for p in _points(root)] == [float(m[1:].split(",")[0]) for m in moves]


def test_points_carry_their_exact_value_as_a_tooltip() -> None:
    buckets = ["2026-11", "2026-12"]
    chart = line_chart(title="MTTA", buckets=buckets, series=[Series("SEV-1", (252, 5400))], unit=SECONDS)
    tips = [_tip(c) for c in _all(_svg(chart), "chart-point")]
    assert tips == ["SEV-1 · 2026-11: 4.2 min", "SEV-1 · 2026-12: 1.5 h"]


def test_equal_values_and_all_zeros_still_draw_inside_the_plot() -> None:
    flat = _trend((7, 7, 7))
    _, top, _, bottom = _plot(flat)
    assert [y for _, y in _points(flat)] == [pytest.approx(bottom - (bottom - top) * 7 / 8, abs=0.06)] * 3
    zeros = _trend((0, 0))
    assert {y for _, y in _points(zeros)} == {_plot(zeros)[3]}
    assert _texts(zeros, "chart-tick")[:2] == ["0", "1"]


def test_the_target_line_sits_at_its_value_with_its_label() -> None:
    root = _trend((2, 10), targets=(Target(5, "target 5"),))
    _, top, _, bottom = _plot(root)
    (line,) = _all(root, "chart-target-line")
    assert float(line.get("y1", "")) == float(line.get("y2", "")) == pytest.approx((top + bottom) / 2, abs=0.06)
    assert _texts(root, "chart-target-label") == ["target 5"]


def test_a_target_above_the_data_raises_the_scale() -> None:
    root = _trend((1, 2), targets=(Target(30, "target"),))
    assert _texts(root, "chart-tick") == ["0", "10", "20", "30"]


def test_x_labels_are_thinned_so_none_overlaps_and_the_latest_is_kept() -> None:
    assert shown_labels(5, label_width=40, band=100) == [0, 1, 2, 3, 4]
    shown = shown_labels(52, label_width=60, band=10)
    assert shown[-1] == 51
    assert all((b - a) * 10 >= 60 for a, b in itertools.pairwise(shown))
    root = _trend(tuple(float(i) for i in range(52)))
    labels = _all(root, "chart-bucket")
    assert labels[-1].text == "2026-W52"
    xs = [float(e.get("x", "")) for e in labels]
    assert 4 <= len(xs) < 52
    assert all(b - a >= 8 * 7 for a, b in itertools.pairwise(xs))  # 8 characters at a generous 7 px


def test_long_bucket_names_are_cut_under_the_axis_and_whole_in_the_tooltips() -> None:
    name = "the week the payment provider went down for the third time"
    root = _svg(line_chart(title="t", buckets=[name, "next"], series=[Series("s", (1, 2))], unit=COUNT))
    (first, _) = _texts(root, "chart-bucket")
    assert first.endswith("…")
    assert name.startswith(first[:-1])
    assert name in _tip(_all(root, "chart-point")[0])
    left, _, right, _ = _plot(root)
    assert right - left > 400


def test_hostile_names_come_out_as_text() -> None:
    chart = line_chart(
        title=HOSTILE,
        buckets=[HOSTILE, "b"],
        series=[Series(HOSTILE, (1, 2))],
        unit=COUNT,
        targets=[Target(1, HOSTILE)],
    )
    bars = bar_chart(title=HOSTILE, bars=[Bar(HOSTILE, 3)], unit=COUNT, target=Target(1, HOSTILE))
    for markup in (chart, bars):
        assert "<script>" not in markup
        assert "&lt;script&gt;" in markup
        root = _svg(markup)
        assert HOSTILE in root.get("aria-label", "")
        assert any(HOSTILE in "".join(e.itertext()) for e in root.iter())


def test_charts_are_markup_that_a_template_leaves_alone() -> None:
    chart = line_chart(title="t", buckets=["a"], series=[Series("s", (1,))], unit=COUNT)
    assert isinstance(chart, Markup)
    page = jinja2.Environment(autoescape=True).from_string("<div>{{ chart }}</div>").render(chart=chart)
    assert page == f"<div>{chart}</div>"


def test_the_chart_names_itself_for_screen_readers() -> None:
    root = _svg(
        line_chart(
            title="MTTA per week",
            buckets=["2026-W46", "2026-W47"],
            series=[Series("SEV-1", (240, 120)), Series("SEV-2", (None, None))],
            unit=SECONDS,
            targets=[Target(300, "target 5 min")],
        )
    )
    assert root.get("role") == "img"
    assert root.get("aria-label") == (
        "MTTA per week, 2026-W46 to 2026-W47. SEV-1: latest 2 min, lowest 2 min, highest 4 min."
        " SEV-2: no data. target 5 min."
    )
    assert root.get("viewBox") == "0 0 640 260"
    assert _texts(root, "chart-legend-label") == ["SEV-1", "SEV-2 (no data)"]


@pytest.mark.parametrize("series", [[], [Series("SEV-1", (None, None))], [Series("a", (None, None))] * 3])
def test_nothing_to_draw_says_so(series: list[Series]) -> None:
    root = _svg(line_chart(title="MTTA", buckets=["a", "b"], series=series, unit=COUNT))
    assert _texts(root, "chart-empty") == ["No data to chart"]
    assert not _points(root)
    assert root.get("aria-label") == "MTTA: no data"
    assert _texts(_svg(line_chart(title="t", buckets=[], series=[], unit=COUNT)), "chart-empty")
    assert _texts(_svg(bar_chart(title="t", bars=[Bar("x", None)], unit=COUNT)), "chart-empty")
    assert _texts(_svg(bar_chart(title="t", bars=[], unit=COUNT)), "chart-empty")


def test_values_the_chart_cannot_show_are_refused() -> None:
    with pytest.raises(ValueError, match="3 buckets"):
        line_chart(title="t", buckets=["a", "b", "c"], series=[Series("s", (1, 2))], unit=COUNT)
    with pytest.raises(ValueError, match="not negative"):
        line_chart(title="t", buckets=["a"], series=[Series("s", (-1,))], unit=COUNT)
    with pytest.raises(ValueError, match="not negative"):
        bar_chart(title="t", bars=[Bar("a", float("nan"))], unit=COUNT)


def test_bars_keep_their_order_state_and_value_text() -> None:
    long_name = "payments-gateway-eu-west-1-primary-cluster-and-then-some"
    root = _svg(
        bar_chart(
            title="MTTR per service",
            bars=[Bar("checkout", 5400, BarState.MISSED), Bar(long_name, 1800, BarState.MET), Bar("search", None)],
            unit=SECONDS,
            target=Target(3600, "target 1 h"),
        )
    )
    assert [e.get("class") for e in _all(root, "chart-bar")] == ["chart-bar missed", "chart-bar met"]
    assert _texts(root, "chart-value") == ["1.5 h · missed", "30 min · met", "no data"]
    labels = _texts(root, "chart-label")
    assert labels[0] == "checkout"
    assert labels[1].endswith("…")
    assert long_name.startswith(labels[1][:-1])
    tips = [_tip(g) for g in _all(root, "chart-row")]
    assert tips[1] == f"{long_name}: 30 min · met"
    left, top, right, bottom = _plot(root)
    widths = [float(e.get("width", "")) for e in _all(root, "chart-bar")]
    assert widths[0] == pytest.approx((right - left) * 5400 / 5400, abs=0.06)  # the ticks end at 1.5 h
    assert widths[1] == pytest.approx((right - left) / 3, abs=0.06)
    (line,) = _all(root, "chart-target-line")
    assert float(line.get("x1", "")) == pytest.approx(left + (right - left) * 2 / 3, abs=0.06)
    assert float(line.get("y2", "")) == bottom
    assert float(root.get("height", "")) > bottom > top


@st.composite
def trends(draw: st.DrawFn) -> tuple[list[str], list[Series]]:
    size = draw(st.integers(min_value=1, max_value=60))
    value = st.none() | st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
    lines = draw(st.lists(st.lists(value, min_size=size, max_size=size), min_size=1, max_size=4))
    return [f"2026-W{k:02d}" for k in range(size)], [Series(f"s{k}", tuple(v)) for k, v in enumerate(lines)]


@given(trends(), st.sampled_from([COUNT, SECONDS, PERCENT]))
def test_any_trend_is_well_formed_and_every_point_is_inside_the_plot(
    trend: tuple[list[str], list[Series]], unit: Unit
) -> None:
    buckets, series = trend
    root = _svg(line_chart(title="t", buckets=buckets, series=series, unit=unit))
    known = sum(v is not None for s in series for v in s.values)
    if not known:
        assert _texts(root, "chart-empty")
        return
    left, top, right, bottom = _plot(root)
    points = _points(root)
    assert len(points) == known
    assert all(left <= x <= right and top - 0.051 <= y <= bottom + 0.051 for x, y in points)


def test_every_coloured_part_carries_a_class_the_theme_can_colour() -> None:
    """The stylesheet recolours a chart for the page's theme: each series' line, points and legend swatch
    say which series they are, open markers say so, and a bar without data says it has none."""
    series = [Series(f"s{k}", (1.0, 2.0)) for k in range(7)]
    root = _svg(line_chart(title="t", buckets=["a", "b"], series=series, unit=COUNT))
    for k in range(7):
        classed = [e for e in root.iter() if f"chart-series-{k % 6}" in (e.get("class") or "").split()]
        tags = {e.tag.rsplit("}", 1)[-1] for e in classed}
        assert tags == {"path", "circle", "line"}, (k, tags)
    hollow = [e for e in root.iter() if "hollow" in (e.get("class") or "").split()]
    assert hollow
    assert all(e.get("fill") == "#ffffff" for e in hollow)  # the fallback without the stylesheet
    bars = _svg(bar_chart(title="t", bars=[Bar("x", 3.0), Bar("y", None)], unit=COUNT))
    assert [e.get("class") for e in _all(bars, "chart-value")] == ["chart-value", "chart-value none"]
