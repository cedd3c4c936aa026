"""The CFO report: gross efficiency, absorption cost, net value and the translation gap by use case,
by business unit and by month for a range of months, and the net value after 90 days at scale of
every scaled use case. The page and both exports (CSV, XLSX) read the same ``CfoReport``.

Figures come from the economics engine, one use case at a time (each has its own business case),
fed with per-month sums from SQL. Queries, whatever the portfolio size: the visible use cases with
their business cases (1), the range's sums (2), and for the 90-day figures the sums over the scaled
use cases' 90-day months (2) and which of those months have a monthly review (1).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from reviews.models import MonthlyReview
from reviews.selectors import Month, monthly_totals
from usecases import economics
from usecases.models import UseCase
from usecases.permissions import visible_use_cases

from .dashboard import (
    CfoFigures,
    MonthRange,
    business_case_inputs,
    portfolio_totals,
    range_totals,
    total,
)

STATUS_LABELS = {
    economics.NINETY_DAY_COMPLETE: "Complete",
    economics.NINETY_DAY_PENDING: "Pending",
}


@dataclass(frozen=True)
class UseCaseLine:
    use_case: UseCase
    figures: CfoFigures
    has_data: bool


@dataclass(frozen=True)
class BusinessUnitLine:
    business_unit: str
    use_case_count: int
    figures: CfoFigures


@dataclass(frozen=True)
class MonthLine:
    month: Month
    figures: CfoFigures
    has_data: bool

    @property
    def label(self) -> str:
        return economics.format_month(self.month.year, self.month.month)


@dataclass(frozen=True)
class NinetyDayLine:
    use_case: UseCase
    result: economics.NinetyDayValue

    @property
    def months(self) -> list[Month]:
        return [datetime.date(y, m, 1) for y, m in self.result.months]

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.result.status, self.result.status)

    @property
    def value(self) -> Decimal | None:
        return self.result.value

    @property
    def months_available(self) -> int:
        return self.result.months_available

    @property
    def is_complete(self) -> bool:
        return self.result.status == economics.NINETY_DAY_COMPLETE


@dataclass(frozen=True)
class CfoReport:
    month_range: MonthRange
    by_use_case: list[UseCaseLine]
    by_business_unit: list[BusinessUnitLine]
    by_month: list[MonthLine]
    total: CfoFigures
    ninety_days: list[NinetyDayLine]

    @property
    def has_data(self) -> bool:
        return any(line.has_data for line in self.by_use_case)


def cfo_report(*, user, month_range: MonthRange) -> CfoReport:
    """The report over the use cases ``user`` may see (a contributor: only theirs)."""
    use_cases = list(
        visible_use_cases(user).select_related("business_case", "value_owner").order_by("name")
    )
    totals = portfolio_totals(user=user, month_range=month_range)
    lines: list[UseCaseLine] = []
    units: dict[str, list[CfoFigures]] = defaultdict(list)
    months: dict[Month, list[CfoFigures]] = defaultdict(list)
    for use_case in use_cases:
        bc = business_case_inputs(use_case)
        per_month = totals.get(use_case.pk, {})
        figures = CfoFigures.of(economics.period_figures(range_totals(per_month, month_range), bc))
        lines.append(UseCaseLine(use_case, figures, has_data=bool(per_month)))
        units[use_case.business_unit].append(figures)
        for month, month_totals in per_month.items():
            months[month].append(CfoFigures.of(economics.period_figures(month_totals, bc)))
    return CfoReport(
        month_range=month_range,
        by_use_case=lines,
        by_business_unit=[
            BusinessUnitLine(unit, len(figs), total(figs))
            for unit, figs in sorted(units.items(), key=lambda kv: kv[0].lower())
        ],
        by_month=[
            MonthLine(month, total(months.get(month, [])), has_data=month in months)
            for month in month_range.months
        ],
        total=total(line.figures for line in lines),
        ninety_days=ninety_day_lines(use_cases),
    )


def ninety_day_lines(use_cases: list[UseCase]) -> list[NinetyDayLine]:
    """Net value after 90 days at scale for every use case with a ``scaled_on`` date, as the
    engine computes it: the sum of the monthly net values of the three full months after
    ``scaled_on``, complete once each has a monthly review. Three queries (none without any
    scaled use case)."""
    scaled = [uc for uc in use_cases if uc.scaled_on is not None]
    if not scaled:
        return []
    windows = {
        uc.pk: [datetime.date(y, m, 1) for y, m in economics.ninety_day_months(uc.scaled_on)]
        for uc in scaled
    }
    first = min(w[0] for w in windows.values())
    last = max(w[-1] for w in windows.values())
    ids = [uc.pk for uc in scaled]
    sums = monthly_totals(start=first, end=last, use_case_ids=ids)
    reviewed = set(
        MonthlyReview.objects.filter(
            use_case_id__in=ids, month_start__gte=first, month_start__lte=last
        ).values_list("use_case_id", "month_start")
    )
    lines = []
    for use_case in scaled:
        bc = business_case_inputs(use_case)
        per_month = sums.get(use_case.pk, {})
        net_values = {
            (m.year, m.month): economics.period_figures(
                per_month.get(m, economics.PeriodTotals()), bc
            ).net_value
            for m in windows[use_case.pk]
            if (use_case.pk, m) in reviewed
        }
        lines.append(
            NinetyDayLine(use_case, economics.net_value_90_days(use_case.scaled_on, net_values))
        )
    return sorted(lines, key=lambda line: (line.use_case.scaled_on, line.use_case.name.lower()))
