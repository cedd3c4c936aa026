"""Reads over reviews, aggregated in SQL (one GROUP BY query per review kind, whatever the range
or portfolio size), handed to the pure economics engine.

Months are identified by their first day (``datetime.date``); weekly reviews carry the month of
their Thursday in ``month_start``.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from usecases import economics
from usecases.models import BusinessCase, UseCase

from .models import MonthlyReview, WeeklyReview

Month = datetime.date  # first day of a calendar month
DEC = DecimalField(max_digits=30, decimal_places=6)

# Annotation names carry a prefix: an annotation named like a field would shadow it in F().
WEEKLY_SUMS = {
    "sum_tasks_total": Sum("tasks_total"),
    "sum_tasks_with_ai": Sum("tasks_with_ai"),
    "sum_ai_minutes_saved": Sum(
        ExpressionWrapper(F("tasks_with_ai") * F("minutes_saved_per_task"), output_field=DEC)
    ),
    "sum_rework_minutes": Sum(
        ExpressionWrapper(F("reworked_outputs") * F("rework_minutes_per_output"), output_field=DEC)
    ),
}
COST_FIELDS = (
    "training_cost",
    "support_cost",
    "integration_cost",
    "run_cost",
    "maintenance_cost",
    "other_cost",
)
MONTHLY_SUMS = {f"sum_{name}": Sum(name) for name in COST_FIELDS}


def month_start(year_month: tuple[int, int]) -> Month:
    return datetime.date(year_month[0], year_month[1], 1)


def monthly_totals(
    *, start: Month, end: Month, use_case_ids=None
) -> dict[int, dict[Month, economics.PeriodTotals]]:
    """``{use_case_id: {month: PeriodTotals}}`` for every month in [start, end] that has a weekly
    or a monthly review. ``use_case_ids`` may be a list or a queryset of ids (a subquery);
    ``None`` means the whole portfolio. Two queries."""
    weekly = WeeklyReview.objects.filter(month_start__gte=start, month_start__lte=end)
    monthly = MonthlyReview.objects.filter(month_start__gte=start, month_start__lte=end)
    if use_case_ids is not None:
        weekly = weekly.filter(use_case_id__in=use_case_ids)
        monthly = monthly.filter(use_case_id__in=use_case_ids)
    parts: dict[int, dict[Month, dict]] = defaultdict(lambda: defaultdict(dict))
    for row in weekly.order_by().values("use_case_id", "month_start").annotate(**WEEKLY_SUMS):
        parts[row.pop("use_case_id")][row.pop("month_start")].update(_unprefix(row))
    for row in monthly.order_by().values("use_case_id", "month_start").annotate(**MONTHLY_SUMS):
        parts[row.pop("use_case_id")][row.pop("month_start")].update(_unprefix(row))
    return {
        uc_id: {month: economics.PeriodTotals(**sums) for month, sums in months.items()}
        for uc_id, months in parts.items()
    }


def _unprefix(row: dict) -> dict:
    return {key.removeprefix("sum_"): value for key, value in row.items()}


def months_with_monthly_review(*, use_case_id: int, months: list[Month]) -> set[Month]:
    return set(
        MonthlyReview.objects.filter(use_case_id=use_case_id, month_start__in=months).values_list(
            "month_start", flat=True
        )
    )


@dataclass(frozen=True)
class UseCaseEconomics:
    start: Month
    end: Month
    totals: economics.PeriodTotals
    figures: economics.PeriodFigures
    waterfall: list[economics.WaterfallStep]
    by_month: list[tuple[Month, economics.PeriodFigures]]
    net_value_90_days: economics.NinetyDayValue


def use_case_economics(use_case: UseCase, *, start: Month, end: Month) -> UseCaseEconomics:
    """The CFO figures, waterfall, per-month figures and the 90-day figure of one use case for the
    months [start, end], with the current business case. Four queries (business case, weekly sums,
    monthly sums, months with a monthly review among the 90-day months)."""
    business_case = BusinessCase.objects.filter(use_case=use_case).first() or BusinessCase(
        use_case=use_case
    )
    bc = business_case.inputs()
    ninety_months = (
        [month_start(m) for m in economics.ninety_day_months(use_case.scaled_on)]
        if use_case.scaled_on
        else []
    )
    query_start = min([start, *ninety_months])
    query_end = max([end, *ninety_months])
    per_month = monthly_totals(start=query_start, end=query_end, use_case_ids=[use_case.pk]).get(
        use_case.pk, {}
    )
    in_range = {m: t for m, t in per_month.items() if start <= m <= end}
    totals = sum(in_range.values(), economics.PeriodTotals())
    reviewed = (
        months_with_monthly_review(use_case_id=use_case.pk, months=ninety_months)
        if ninety_months
        else set()
    )
    ninety_net = {
        (m.year, m.month): economics.period_figures(
            per_month.get(m, economics.PeriodTotals()), bc
        ).net_value
        for m in reviewed
    }
    return UseCaseEconomics(
        start=start,
        end=end,
        totals=totals,
        figures=economics.period_figures(totals, bc),
        waterfall=economics.waterfall(totals, bc),
        by_month=[(m, economics.period_figures(in_range[m], bc)) for m in sorted(in_range)],
        net_value_90_days=economics.net_value_90_days(use_case.scaled_on, ninety_net),
    )
