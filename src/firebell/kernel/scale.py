"""Values along a chart's axis: round tick values from zero up, and the units they read in.

Pure. A `Unit` pairs a formatter with the tick spacings that read well in it: minutes and hours for
durations (a tick every 15 min, not every 1000 s), whole numbers for counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_TINY = 1e-9  # a top value below this draws as zero: keeps the tick arithmetic clear of underflow


@dataclass(frozen=True, slots=True)
class Unit:
    """How values read: `format` for ticks, tooltips and bar ends; `steps` the tick spacings to choose
    from, ascending (empty: 1, 2 or 5 times a power of ten; past the last: the last times 1, 2, 5, 10…)."""

    format: Callable[[float], str]
    steps: tuple[float, ...] = ()


def _number(value: float) -> str:
    """One decimal at most, with thousands separated; two significant digits below one."""
    if 0 < abs(value) < 1:
        return f"{value:.2g}"
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def duration_text(seconds: float) -> str:
    """`45 s`, `4 min`, `1.5 h`, `3 d` for a number of seconds; `0` for none."""
    if seconds == 0:
        return "0"
    for size, name, below in ((1, "s", 60), (60, "min", 60), (3600, "h", 24)):
        value = round(seconds / size, 1)
        if value < below:
            return f"{_number(value)} {name}"
    return f"{_number(seconds / 86400)} d"


def percent_text(value: float) -> str:
    """`12 %`, `99.5 %` for a share given out of 100."""
    return f"{_number(value)} %"


def count_text(value: float) -> str:
    """`7`, `1,204`."""
    return _number(value)


SECONDS = Unit(
    duration_text, (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
)
PERCENT = Unit(percent_text)
COUNT = Unit(count_text, (1,))


def _decade_step(raw: float) -> float:
    """The least of 1, 2, 5 times a power of ten that is at least `raw` (> 0)."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-12))


def _step(raw: float, steps: Sequence[float]) -> float:
    if not steps:
        return _decade_step(raw)
    fitting = [s for s in steps if s >= raw]
    return fitting[0] if fitting else steps[-1] * _decade_step(raw / steps[-1])


def nice_ticks(high: float, *, steps: Sequence[float] = (), count: int = 5) -> tuple[float, ...]:
    """Evenly spaced round values from 0 to the first at or above `high`, at most `count` + 1 of them."""
    if high < _TINY:
        return (0.0, _step(1.0, steps))
    step = _step(high / count, steps)
    intervals = max(1, math.ceil(high / step - 1e-9))
    return tuple(float(f"{k * step:.12g}") for k in range(intervals + 1))  # 0.3, not 0.30000000000000004
