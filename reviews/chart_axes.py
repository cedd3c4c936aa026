"""The one rule for the value axis of a chart of rates or scores (the use case page's KPI charts
and its adoption-scenario chart, drawn by Chart.js; the gate pack PDF's KPI charts, drawn as SVG on
the server by ``stagegates.pack_charts``). Here in ``reviews`` so both layers may use it.

A chart whose axis hugs the data makes noise look like wild swings (a quality score between 75.5
and 80 drawn over the full height). The axis therefore:

1. covers every value shown **and every threshold line** (a stop-loss threshold is always in view,
   so the distance to it can be read);
2. spans at least ``MIN_SPAN`` points (percentage points for rates, points for the 0–100 quality
   score), widened evenly around the middle of the data when it is narrower;
3. stays inside the scale's natural bounds (0–100) when the data does: a window that would cross
   one is shifted back inside, keeping its span;
4. ends on whole multiples of ``STEP`` (5 points) beyond the data and the thresholds (a value
   or a threshold exactly on a multiple gets one step of room, except at 0 and 100), so the
   ticks are round and nothing is drawn on the frame; the ticks are evenly spaced (``step``).

Money charts (net value per week, the waterfall) are not rates: Chart.js scales them as usual.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: The narrowest axis, in points: a move of 1 point is then at most a tenth of the chart's height.
MIN_SPAN = 10
#: Axis ends are multiples of this.
STEP = 5
#: Tick spacing: the smallest of these that divides the span into at most ``MAX_TICKS`` parts.
TICK_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 250, 500)
MAX_TICKS = 8
#: The natural bounds of a rate in % and of the quality score.
LOWEST, HIGHEST = 0, 100


def axis_range(values: Iterable[float | None], thresholds: Iterable[float] = ()) -> dict | None:
    """``{"min": …, "max": …, "step": …}`` for a chart of ``values`` (None: no data that week) with
    ``thresholds`` drawn as lines; None when there is nothing to draw."""
    shown = [float(v) for v in [*values, *thresholds] if v is not None]
    if not shown:
        return None
    lowest_shown, highest_shown = min(shown), max(shown)
    low, high = lowest_shown, highest_shown
    if high - low < MIN_SPAN:  # widen evenly around the middle
        middle = (low + high) / 2
        low, high = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    if low < LOWEST <= lowest_shown:  # shift back inside the scale, keeping the span
        low, high = LOWEST, high + (LOWEST - low)
    elif high > HIGHEST >= highest_shown:
        low, high = low - (high - HIGHEST), HIGHEST
    low, high = STEP * math.floor(low / STEP), STEP * math.ceil(high / STEP)
    if low == lowest_shown and low != LOWEST:  # nothing drawn on the frame
        low -= STEP
    if high == highest_shown and high != HIGHEST:
        high += STEP
    if low < LOWEST <= lowest_shown:
        low = LOWEST
    if high > HIGHEST >= highest_shown:
        high = HIGHEST
    span = high - low
    steps = [s for s in TICK_STEPS if span % s == 0 and span / s <= MAX_TICKS]
    if steps:
        step = steps[0]
    else:  # no round step divides the span: widen both ends to multiples of one that fits
        step = next((s for s in TICK_STEPS if math.ceil(span / s) <= MAX_TICKS), TICK_STEPS[-1])
        low, high = step * math.floor(low / step), step * math.ceil(high / step)
    return {"min": low, "max": high, "step": step}
