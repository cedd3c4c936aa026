"""The CFO report: gross efficiency, absorption cost, net value and the translation gap by use case,
by business unit and by month for a range of months, and the net value after 90 days at scale of
every scaled use case. The page and both exports (CSV, XLSX) read the same ``CfoReport``.

Every figure follows the one rounding rule (``usecases.money``, docs/figures.md): each use
case's month weighted by its own business case and rounded to the cent on its own, and the use
case, business unit and month lines and the total summed from those rounded months, all in the
same two queries (``reviews.selectors.rounded_figures``, one query with GROUPING SETS per
review kind on PostgreSQL). The page shows one page of use case lines and of 90-day lines
(``PAGE_SIZE`` each), and reads the figures of its page's use cases only (``use_case_rows``:
through the (use case, month) index; the units, months and total still sum every atom, summed
per unit and month first); the exports take them all. Queries,
whatever the portfolio size: use case counts per unit (1), the use cases (1), the rounded
figures (2), the scaled use cases (1) and their 90-day sums and reviewed months (2).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils.safestring import SafeString

from reviews.selectors import Month, monthly_totals_and_reviewed, rounded_figures
from usecases import economics, money
from usecases.models import UseCase
from usecases.permissions import visible_use_case_ids, visible_use_cases
from usecases.selectors import business_case_inputs

from .cfo_rows import figure_cells
from .dashboard import CfoFigures, CountedPaginator, MonthRange

#: Use case lines and 90-day lines per page of the report page.
PAGE_SIZE = 50

#: The use case fields a use case line shows (``cfo_rows.use_case_row``, ``exports``).
LINE_FIELDS = ("pk", "name", "business_unit", "stage")

#: A month without reviews (the engine's totals are immutable: one for every such month).
NO_REVIEWS = economics.PeriodTotals()

STATUS_LABELS = {
    economics.NINETY_DAY_COMPLETE: "Complete",
    economics.NINETY_DAY_PENDING: "Pending",
}


class _Cells:
    @property
    def cells(self) -> SafeString:
        """The line's four figure cells on the report page (``cfo_rows``)."""
        return figure_cells(self.figures, self.has_data)


@dataclass(frozen=True)
class UseCaseLine(_Cells):
    use_case: UseCase
    figures: CfoFigures
    has_data: bool


@dataclass(frozen=True)
class BusinessUnitLine(_Cells):
    business_unit: str
    use_case_count: int
    figures: CfoFigures
    has_data: bool = True


@dataclass(frozen=True)
class MonthLine(_Cells):
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
    use_case_count: int
    by_use_case: list[UseCaseLine]
    by_business_unit: list[BusinessUnitLine]
    by_month: list[MonthLine]
    total: CfoFigures
    has_data: bool
    ninety_day_count: int
    ninety_days: list[NinetyDayLine]
    use_case_page: Page | None = None
    ninety_page: Page | None = None

    @property
    def total_cells(self) -> SafeString:
        return figure_cells(self.total)


def cfo_report(
    *,
    user,
    month_range: MonthRange,
    paginate: bool = False,
    page=None,
    ninety_page=None,
    ninety_days: bool = True,
) -> CfoReport:
    """The report over the use cases ``user`` may see (a contributor: only theirs). With
    ``paginate``, only page ``page`` of the use case lines and page ``ninety_page`` of the 90-day
    lines are listed (the page); without, all of them (the exports). Every figure is a sum of
    rounded use case months (``usecases.money``), so each table foots to the one total. Without
    ``ninety_days`` the 90-day lines are left out (``ninety_days`` empty, their count kept; two
    queries fewer): for a CSV of another table."""
    visible = visible_use_cases(user)
    unit_counts, scaled_count = {}, 0
    for unit, count, scaled in (
        visible.order_by()
        .values_list("business_unit")
        .annotate(n=Count("pk"), scaled=Count("pk", filter=Q(scaled_on__isnull=False)))
    ):
        unit_counts[unit] = count
        scaled_count += scaled
    use_case_count = sum(unit_counts.values())

    # What a line shows (the page's row, the exports' columns): no business case, no owner.
    use_cases = visible.only(*LINE_FIELDS).order_by(Lower("name"), "pk")
    scaled = (
        visible.filter(scaled_on__isnull=False)
        .select_related("business_case")
        .order_by("scaled_on", Lower("name"), "pk")
    )
    use_case_page = ninety = rows = None
    if paginate:
        use_case_page = CountedPaginator(use_cases, PAGE_SIZE, count=use_case_count).get_page(page)
        use_cases = list(use_case_page.object_list)
        rows = [uc.pk for uc in use_cases]  # the page's figures only; the totals cover them all
        ninety = CountedPaginator(scaled, PAGE_SIZE, count=scaled_count).get_page(ninety_page)
        scaled = ninety.object_list
    per_use_case, by_unit, by_month, total = rounded_figures(
        start=month_range.start,
        end=month_range.end,
        use_case_ids=visible_use_case_ids(user),
        groupings=(("use_case_id",), ("business_unit",), ("month_start",), ()),
        use_case_rows=rows,
    )
    lines = [
        UseCaseLine(uc, per_use_case.get((uc.pk,), CfoFigures()), has_data=(uc.pk,) in per_use_case)
        for uc in use_cases
    ]
    return CfoReport(
        month_range=month_range,
        use_case_count=use_case_count,
        by_use_case=lines,
        by_business_unit=[
            BusinessUnitLine(
                unit, count, by_unit.get((unit,), CfoFigures()), has_data=(unit,) in by_unit
            )
            for unit, count in sorted(unit_counts.items(), key=lambda kv: kv[0].lower())
        ],
        by_month=[
            MonthLine(month, by_month.get((month,), CfoFigures()), has_data=(month,) in by_month)
            for month in month_range.months
        ],
        total=total.get((), CfoFigures()),
        has_data=bool(total),
        ninety_day_count=scaled_count,
        ninety_days=ninety_day_lines(list(scaled)) if ninety_days else [],
        use_case_page=use_case_page,
        ninety_page=ninety,
    )


def ninety_day_lines(scaled: list[UseCase]) -> list[NinetyDayLine]:
    """Net value after 90 days at scale for ``scaled`` (use cases with a ``scaled_on`` date, in
    the order given), as the engine computes it: the sum of the monthly net values of the three
    full months after ``scaled_on``, complete once each has a monthly review. Three queries
    (none for an empty list)."""
    if not scaled:
        return []
    windows = {
        uc.pk: [datetime.date(y, m, 1) for y, m in economics.ninety_day_months(uc.scaled_on)]
        for uc in scaled
    }
    first = min(w[0] for w in windows.values())
    last = max(w[-1] for w in windows.values())
    ids = [uc.pk for uc in scaled]
    sums, reviewed = monthly_totals_and_reviewed(start=first, end=last, use_case_ids=ids)
    lines = []
    for use_case in scaled:
        bc = business_case_inputs(use_case)
        per_month = sums.get(use_case.pk, {})
        net_values = {  # each month rounded on its own (usecases.money), the 90 days their sum
            (m.year, m.month): money.net_value_of_period(per_month.get(m, NO_REVIEWS), bc)
            for m in windows[use_case.pk]
            if (use_case.pk, m) in reviewed
        }
        lines.append(
            NinetyDayLine(use_case, economics.net_value_90_days(use_case.scaled_on, net_values))
        )
    return lines
