"""The gate pack's charts as SVG drawn on the server (the PDF needs no browser).

They draw the pack's own figures (``gatepack.GatePack``, live or frozen) the way the web charts
draw theirs (``static/js/charts.js``): the same colours, the KPI value axis of
``reviews.chart_axes.axis_range`` (every threshold in view, at least 10 points wide, round
ends), red dashed stop-loss lines with red points where a week breaches one, grey dashed lines at
model/prompt changes, and the waterfall bars placed by ``usecases.waterfall_bars`` (totals rise
from 0, deductions hang from the running value). Nothing is computed here but positions: every
number printed is one of the pack's, formatted by the same filters as the pages. (The scenario
comparison is the pack page's table: its figures are quarter totals, not a weekly series.)

Each function returns SVG markup (safe: every text is escaped) sized by its ``viewBox``; the PDF
stylesheet sets the width.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reviews.chart_axes import axis_range
from reviews.models import Metric
from usecases import economics
from usecases.templatetags.money import money
from usecases.waterfall_bars import waterfall_bars

# The web charts' colours (static/js/charts.js COLORS, SCENARIO_COLORS).
LINE = "#1f5fbf"
THRESHOLD = "#b3261e"
MARKER = "#5d6778"
GRID = "#e6e9ef"
AXIS_TEXT = "#4a5361"
LEAK_COLORS = {
    "adoption": "#a86400",
    "execution": "#b3261e",
    "translation": "#7a4fb5",
    "control": "#5d6778",
}
GAIN = "#1c7c4a"
FONT = 'font-family="DejaVu Sans, sans-serif"'

#: The four weekly KPIs of the trend: (metric, label, is a fraction shown in %).
KPIS = (
    (Metric.ADOPTION_RATE, "Adoption rate", True),
    (Metric.REWORK_RATE, "Rework rate", True),
    (Metric.EXCEPTION_SHARE, "Exception share", True),
    (Metric.QUALITY_SCORE, "Quality score", False),
)


@dataclass(frozen=True)
class ChangeMarker:
    """A model/prompt change on the trend's week axis."""

    effective_date: datetime.date
    label: str


def _svg(width: int, height: int, body: list[str], label: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _text(x, y, text, *, size=7, anchor="start", color=AXIS_TEXT, weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{color}" font-weight="{weight}" {FONT}>{escape(text)}</text>'
    )


def _label(x, y, text, *, size=6, anchor="start", color=AXIS_TEXT) -> str:
    """A text on a white box, readable over the lines (the web charts' label plugin)."""
    width = len(text) * size * 0.56  # DejaVu Sans averages a little over half an em
    left = x - width if anchor == "end" else x
    return (
        f'<rect x="{left - 1.5:.1f}" y="{y - size:.1f}" width="{width + 3:.1f}" '
        f'height="{size + 2.5:.1f}" fill="#ffffff" fill-opacity="0.85"/>'
        + _text(x, y, text, size=size, anchor=anchor, color=color)
    )


def _line(x0, y0, x1, y1, *, color, width=1.0, dash="") -> str:
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{color}" '
        f'stroke-width="{width}"{dashes}/>'
    )


def _number(value: float, unit: str) -> str:
    text = f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == "%" else text


# --- KPI trends -----------------------------------------------------------------------------------


def kpi_chart(
    trend, thresholds, metric: str, label: str, fraction: bool, markers=()
) -> SafeString | None:
    """One KPI per week (``trend``: the pack's weeks, newest first) against the stop-loss
    thresholds on ``metric`` (red dashed), with the model/prompt changes (grey dashed); None
    without a week to draw."""
    weeks = sorted(trend, key=lambda w: w.week_start)
    if not weeks:
        return None
    scale = 100 if fraction else 1
    unit = "%" if fraction else ""
    values = [float(Decimal(getattr(w, metric)) * scale) for w in weeks]
    lines = [t for t in thresholds if t.metric == metric]
    levels = [float(Decimal(t.threshold) * scale) for t in lines]
    axis = axis_range(values, levels)
    width, height = 260, 150
    left, right, top, bottom = 34, 8, 16, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    first = weeks[0].week_start
    span = max((weeks[-1].week_start - first).days / 7, 1)

    def px(position: float) -> float:
        return left + (position / span) * plot_w if len(weeks) > 1 else left + plot_w / 2

    def py(value: float) -> float:
        return top + (axis["max"] - value) / (axis["max"] - axis["min"]) * plot_h

    body = [_text(left, 10, label, size=8, color="#1b2330", weight="bold")]
    labels: list[str] = []
    tick, n = axis["min"], 0
    while tick <= axis["max"] + 1e-9:
        y = py(tick)
        body.append(_line(left, y, left + plot_w, y, color=GRID, width=0.6))
        if n % 2 == 0 or tick + axis["step"] > axis["max"] + 1e-9:  # every other tick labelled
            body.append(_text(left - 3, y + 2.5, _number(tick, unit), size=6, anchor="end"))
        tick, n = tick + axis["step"], n + 1
    body.append(_line(left, top + plot_h, left + plot_w, top + plot_h, color="#9aa3b2", width=0.6))
    for t, level in zip(lines, levels, strict=True):
        y = py(level)
        body.append(_line(left, y, left + plot_w, y, color=THRESHOLD, width=1, dash="4 3"))
        text = f"Stop-loss: {t.side} {t.threshold_text}"
        ty = y + 8 if y - top < 10 else y - 2.5
        labels.append(_label(left + plot_w - 2, ty, text, size=6, anchor="end", color=THRESHOLD))
    last_sunday = weeks[-1].week_start + datetime.timedelta(days=6)
    for i, m in enumerate(sorted(markers, key=lambda m: m.effective_date)):
        if not first <= m.effective_date <= last_sunday:
            continue
        position = min(max((m.effective_date - first).days / 7 - 0.5, 0), span)
        x = px(position)
        body.append(_line(x, top, x, top + plot_h, color=MARKER, width=0.8, dash="2 2"))
        labels.append(_label(x + 2, top + 7 + (i % 2) * 8, m.label, size=6, color=MARKER))
    # the line, broken where a week has no review
    segment: list[str] = []
    previous = None
    polylines = []
    for w, v in zip(weeks, values, strict=True):
        position = (w.week_start - first).days / 7
        if previous is not None and position - previous > 1:
            polylines.append(segment)
            segment = []
        segment.append(f"{px(position):.1f},{py(v):.1f}")
        previous = position
    polylines.append(segment)
    for points in polylines:
        if len(points) > 1:
            body.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" '
                'stroke-width="1.4"/>'
            )
    for w, v in zip(weeks, values, strict=True):
        breach = metric in w.breaches
        x, y = px((w.week_start - first).days / 7), py(v)
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2.2 if breach else 1.5}" '
            f'fill="{THRESHOLD if breach else LINE}"/>'
        )
    body.extend(labels)  # on top of the lines and the data
    body.append(_text(left, height - 6, weeks[0].week, size=6))
    if len(weeks) > 1:
        body.append(_text(left + plot_w, height - 6, weeks[-1].week, size=6, anchor="end"))
    return _svg(width, height, body, f"{label} per week against the stop-loss thresholds")


def kpi_charts(pack, markers=()) -> list[SafeString]:
    """The four KPI charts of a pack (none without a weekly review in the trend)."""
    charts = [
        kpi_chart(pack.trend, pack.thresholds, metric, label, fraction, markers)
        for metric, label, fraction in KPIS
    ]
    return [c for c in charts if c is not None]


# --- the waterfall --------------------------------------------------------------------------------


def waterfall_chart(steps: list[economics.WaterfallStep]) -> SafeString:
    """The quarter's value-leakage waterfall as horizontal bars (the web chart's layout)."""
    bars = waterfall_bars([steps])
    names = {s.step: s.explained_label for s in steps}  # as the pack page's table names them
    label_w, amount_w, row, width = 235, 80, 17, 540
    plot_l, plot_r = label_w, width - amount_w
    height = 14 + row * len(bars)
    ends = [float(b.low) for b in bars] + [float(b.high) for b in bars] + [0.0]
    low, high = min(ends), max(ends)
    if high == low:
        high = low + 1

    def px(value: float) -> float:
        return plot_l + (value - low) / (high - low) * (plot_r - plot_l)

    body = [_line(px(0), 4, px(0), height - 4, color="#9aa3b2", width=0.6)]
    for i, bar in enumerate(bars):
        y = 8 + i * row
        if bar.is_total:
            color = LINE
        elif bar.amount < 0:
            color = GAIN
        else:
            color = LEAK_COLORS.get(bar.leakage_point, LEAK_COLORS["control"])
        x0, x1 = sorted((px(float(bar.low)), px(float(bar.high))))
        body.append(
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1.5):.1f}" height="{row - 5}" '
            f'rx="1" fill="{color}"/>'
        )
        label = names.get(bar.step, bar.label)
        name = label if bar.is_total else f"− {label}"
        weight = "bold" if bar.is_total else "normal"
        body.append(
            _text(plot_l - 4, y + row / 2 + 2.5, name, size=7.5, anchor="end", weight=weight)
        )
        body.append(_text(width - 2, y + row / 2 + 2.5, money(bar.amount), size=7.5, anchor="end"))
    return _svg(width, height, body, "Value-leakage waterfall of the quarter")
