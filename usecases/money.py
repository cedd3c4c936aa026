"""The one rounding rule for money that is shown or exported (docs/figures.md).

The engine (``economics``) never rounds. Every page, CSV and XLSX that shows CFO figures or the
value-leakage waterfall rounds by this rule, so that every table foots to the cent (portfolio
figures on PostgreSQL round in SQL, ``reviews.selectors.rounded_figures``, with the same rule,
property-tested against ``Figures`` here):

1. The atom is **one use case's one calendar month** (its weekly reviews of that month and its
   monthly review). Its figures are rounded half-up to the cent (``ROUND_HALF_UP``: a tie goes
   away from zero): pilot promise, adoption gap, gross efficiency, translation gap, rework and the
   six monthly costs.
2. Within an atom, the figures that are sums or differences are derived from the rounded ones:
   absorption cost = rework + the six costs; net value = gross efficiency − translation gap −
   absorption cost; effort gap = pilot promise − adoption gap − gross efficiency.
3. Every other figure (a use case over a range of months, a business unit, a month of the
   portfolio, a total, 90 days at scale) is the **sum of its rounded atoms**.

So a month-by-month table adds up to the use case's range figures, the use case rows add up to
the business units and to the portfolio total, and every waterfall runs from its first bar to its
last by the amounts it shows. A figure may differ by a few cents from the engine's unrounded
figure of the whole range rounded once; that difference is the price of footing.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import economics

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value) -> Decimal | None:
    """``value`` rounded half-up (ties away from zero) to the cent; None stays None."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(value)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


#: The waterfall steps an atom rounds (everything else is derived from them).
ROUNDED_STEPS = economics.WEIGHTED_AMOUNT_STEPS
COST_STEPS = economics.COST_STEPS


@dataclass(frozen=True)
class Figures:
    """Money figures rounded by the rule above: an atom, or a sum of atoms (``+``, ``total``)."""

    pilot_promise: Decimal = ZERO
    adoption_gap: Decimal = ZERO
    gross_efficiency: Decimal = ZERO
    translation_gap: Decimal = ZERO
    rework: Decimal = ZERO
    integration: Decimal = ZERO
    support: Decimal = ZERO
    training: Decimal = ZERO
    run: Decimal = ZERO
    maintenance: Decimal = ZERO
    other: Decimal = ZERO

    @classmethod
    def of_steps(cls, steps: Iterable[economics.WaterfallStep]) -> Figures:
        """An atom: the engine's waterfall of one use case's one month, rounded."""
        amounts = {step.step: step.amount for step in steps}
        return cls(**{name: cents(amounts[name]) for name in ROUNDED_STEPS})

    @classmethod
    def of_period(cls, totals: economics.PeriodTotals, bc: economics.BusinessCaseInputs):
        """An atom from one use case's month totals and its business case."""
        return cls.of_steps(economics.waterfall(totals, bc))

    @classmethod
    def of_weighted(cls, weighted: economics.WeightedTotals) -> Figures:
        """An atom from the weighted sums of one use case's month."""
        return cls(*map(cents, economics.weighted_amounts(weighted)))

    @classmethod
    def of_weighted_sums(cls, weekly, costs: dict | None) -> Figures:
        """An atom from SQL's weighted sums as read: ``weekly`` the weekly ``WeightedTotals``
        sums by name (promise, promise_with_ai, saved, reclaimed, rework; None: no weekly
        review), ``costs`` the monthly review's sums by cost field (None: no monthly review)."""
        amounts = economics.weighted_weekly_amounts(**weekly) if weekly else (ZERO,) * 5
        rounded = [cents(a) for a in amounts]
        for name in economics.COST_FIELDS_BY_STEP:
            value = costs.get(name) if costs else None
            rounded.append(ZERO if value is None else cents(value))
        return cls(*rounded)

    def __add__(self, other: Figures) -> Figures:
        return total((self, other))

    @property
    def costs(self) -> Decimal:
        return sum((getattr(self, name) for name in COST_STEPS), ZERO)

    @property
    def absorption_cost(self) -> Decimal:
        return self.rework + self.costs

    @property
    def net_value(self) -> Decimal:
        return self.gross_efficiency - self.translation_gap - self.absorption_cost

    @property
    def rework_cost(self) -> Decimal:
        return self.rework

    @property
    def effort_gap(self) -> Decimal:
        return self.pilot_promise - self.adoption_gap - self.gross_efficiency

    def waterfall(self) -> list[economics.WaterfallStep]:
        """The 13 waterfall steps with these (rounded and derived) amounts."""
        return [
            economics.WaterfallStep(step.step, step.leakage_point, getattr(self, step.step))
            for step in _EMPTY_WATERFALL
        ]


def net_value_of_period(totals: economics.PeriodTotals, bc: economics.BusinessCaseInputs):
    """``Figures.of_period(totals, bc).net_value`` without the waterfall's other steps: the
    rounded gross efficiency − the rounded translation gap − (the rounded rework + the rounded
    costs), the same roundings of the same engine amounts added in the same order (the 90-day
    lines need only the net value of each month)."""
    figures = economics.period_figures(totals, bc)
    costs = sum((cents(getattr(totals, name)) for name in economics.COST_FIELDS_BY_STEP), ZERO)
    absorption = cents(figures.rework_cost) + costs
    return cents(figures.gross_efficiency) - cents(figures.translation_gap) - absorption


_VALUES = operator.attrgetter(*ROUNDED_STEPS)


def total(items: Iterable[Figures]) -> Figures:
    """The sum of rounded figures (the rule's step 3), column by column."""
    rows = [_VALUES(f) for f in items]
    if not rows:
        return Figures()
    return Figures(*(sum(column, ZERO) for column in zip(*rows, strict=True)))


_EMPTY_WATERFALL = economics.waterfall(
    economics.PeriodTotals(), economics.BusinessCaseInputs(0, 0, 0, 0, 0, 0, 0, 0)
)
