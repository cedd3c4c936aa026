"""The bars of a value-leakage waterfall as the charts draw them: each step with where its bar
starts and ends. Totals rise from 0; deductions hang from the running value (a negative
deduction rises above it). One rule for the dashboard and the use case page (Chart.js,
``static/js/charts.js``) and the gate pack PDF (SVG drawn on the server,
``stagegates.pack_charts``)."""

import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from . import economics, money

ZERO = Decimal(0)


def _exact():
    return decimal.localcontext(prec=economics.PRECISION)


@dataclass(frozen=True)
class WaterfallBar:
    """One step of a waterfall (a use case's or the portfolio's), with where its bar starts and
    ends on the chart."""

    step: str
    leakage_point: str | None
    amount: Decimal
    low: Decimal
    high: Decimal

    @property
    def label(self) -> str:
        return economics.STEP_LABELS[self.step]

    @property
    def is_total(self) -> bool:
        return self.leakage_point is None

    def as_chart(self) -> dict:
        return {
            "step": self.step,
            "label": self.label,
            "leakage_point": self.leakage_point,
            "amount": str(money.cents(self.amount)),
            "low": str(money.cents(self.low)),
            "high": str(money.cents(self.high)),
        }


def waterfall_bars(
    steps_per_use_case: Iterable[list[economics.WaterfallStep]],
) -> list[WaterfallBar]:
    """Add up per-use-case waterfalls step by step, and place each bar: totals rise from 0,
    deductions hang from the running value (a negative deduction rises above it)."""
    order: list[tuple[str, str | None]] = []
    sums: dict[str, Decimal] = {}
    with _exact():
        for steps in steps_per_use_case:
            for step in steps:
                if step.step not in sums:
                    order.append((step.step, step.leakage_point))
                    sums[step.step] = ZERO
                sums[step.step] += step.amount
        if not order:
            empty = economics.waterfall(
                economics.PeriodTotals(),
                economics.BusinessCaseInputs(0, 0, 0, 0, 0, 0, 0, 0),
            )
            order = [(s.step, s.leakage_point) for s in empty]
            sums = {s.step: ZERO for s in empty}
        bars, running = [], ZERO
        for step, leakage_point in order:
            amount = sums[step]
            if leakage_point is None:
                running = amount
                bars.append(WaterfallBar(step, None, amount, ZERO, amount))
            else:
                bars.append(WaterfallBar(step, leakage_point, amount, running - amount, running))
                running -= amount
    return bars
