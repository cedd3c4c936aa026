"""Portfolio-wide reads for the dashboard (and the CFO report): month ranges, the CFO figures and
the leakage waterfall summed over use cases, stage counts, open flags and the use case table.

Every figure comes from the economics engine (``usecases.economics``) fed with per-use-case,
per-month sums that SQL computes in two GROUP BY queries (``reviews.selectors.monthly_totals``).
Each use case has its own business case (hourly cost, reclaimable share...), so portfolio figures
are the sum of per-use-case figures, never the engine applied to portfolio-wide sums. Python
loops only over use cases and their per-month totals rows, never over reviews; every function
runs a fixed number of queries whatever the portfolio size.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from reviews.flags import visible_flags
from reviews.models import Flag, WeeklyReview
from reviews.selectors import Month, monthly_totals
from usecases import economics
from usecases.models import BusinessCase, Funding, Stage, UseCase
from usecases.permissions import reads_whole_portfolio, visible_use_cases

from .filters import DEFAULT_SORT, SORT_FIELDS

ZERO = Decimal(0)
CENT = Decimal("0.01")
#: Default range: the last this many complete calendar months.
DEFAULT_MONTHS = 3
#: The longest range a page or an export accepts.
MAX_MONTHS = 60
#: How many open flags the dashboard lists (the flags page has them all).
FLAGS_SHOWN = 10

STEP_LABELS = {
    "pilot_promise": "Pilot promise",
    "adoption_gap": "Adoption gap",
    "effort_gap": "Effort gap",
    "gross_efficiency": "Gross efficiency",
    "translation_gap": "Translation gap",
    "rework": "Rework",
    "integration": "Integration",
    "support": "Support",
    "training": "Training",
    "run": "Run (tokens, hosting)",
    "maintenance": "Maintenance",
    "other": "Other costs",
    "net_value": "Net value",
}


# --- month ranges -----------------------------------------------------------------------------


def add_months(month: Month, n: int) -> Month:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthRange:
    """A run of calendar months, both ends included (each as its first day)."""

    start: Month
    end: Month

    @property
    def months(self) -> list[Month]:
        return [
            datetime.date(y, m, 1)
            for y, m in economics.months_between(
                (self.start.year, self.start.month), (self.end.year, self.end.month)
            )
        ]

    @property
    def start_param(self) -> str:
        return economics.format_month(self.start.year, self.start.month)

    @property
    def end_param(self) -> str:
        return economics.format_month(self.end.year, self.end.month)

    @property
    def label(self) -> str:
        if self.start == self.end:
            return self.start.strftime("%b %Y")
        return f"{self.start.strftime('%b %Y')} – {self.end.strftime('%b %Y')}"

    @property
    def slug(self) -> str:
        return f"{self.start_param}_{self.end_param}"


def default_range(today: datetime.date) -> MonthRange:
    """The last ``DEFAULT_MONTHS`` complete calendar months before ``today``'s month."""
    end = add_months(today.replace(day=1), -1)
    return MonthRange(add_months(end, -(DEFAULT_MONTHS - 1)), end)


def _parse_month_param(text: str) -> Month:
    year, month = economics.parse_month(text.strip())
    return datetime.date(year, month, 1)


def month_range_from_params(
    params: Mapping, *, today: datetime.date
) -> tuple[MonthRange, dict[str, list[str]]]:
    """``?start=2026-06&end=2026-10`` → (range, errors). A missing end is ``start``'s default
    counterpart; anything invalid is reported as ``{field: [message]}`` and the default range is
    used instead."""
    default = default_range(today)
    errors: dict[str, list[str]] = {}
    values = {}
    for name, fallback in (("start", default.start), ("end", default.end)):
        text = (params.get(name) or "").strip()
        if not text:
            values[name] = fallback
            continue
        try:
            values[name] = _parse_month_param(text)
        except ValueError:
            errors[name] = [f"“{text}” is not a month: use YYYY-MM, e.g. 2026-06."]
            values[name] = fallback
    if errors:
        return default, errors
    start, end = values["start"], values["end"]
    if params.get("start") and not params.get("end") and start > end:
        end = start
    if not params.get("start") and params.get("end") and start > end:
        start = end
    if start > end:
        return default, {"end": ["The last month comes before the first."]}
    if len(economics.months_between((start.year, start.month), (end.year, end.month))) > (
        MAX_MONTHS
    ):
        return default, {"end": [f"Choose at most {MAX_MONTHS} months."]}
    return MonthRange(start, end), {}


# --- figures ------------------------------------------------------------------------------------


def _exact():
    return decimal.localcontext(prec=economics.PRECISION)


@dataclass(frozen=True)
class CfoFigures:
    """The three CFO figures and the translation gap (money unrounded)."""

    gross_efficiency: Decimal = ZERO
    absorption_cost: Decimal = ZERO
    net_value: Decimal = ZERO
    translation_gap: Decimal = ZERO

    @classmethod
    def of(cls, figures: economics.PeriodFigures) -> CfoFigures:
        return cls(
            gross_efficiency=figures.gross_efficiency,
            absorption_cost=figures.absorption_cost,
            net_value=figures.net_value,
            translation_gap=figures.translation_gap,
        )

    def __add__(self, other: CfoFigures) -> CfoFigures:
        with _exact():
            return CfoFigures(
                gross_efficiency=self.gross_efficiency + other.gross_efficiency,
                absorption_cost=self.absorption_cost + other.absorption_cost,
                net_value=self.net_value + other.net_value,
                translation_gap=self.translation_gap + other.translation_gap,
            )


def total(figures: Iterable[CfoFigures]) -> CfoFigures:
    result = CfoFigures()
    for item in figures:
        result = result + item
    return result


def business_case_inputs(use_case: UseCase) -> economics.BusinessCaseInputs:
    """The use case's business case numbers (all zeros when it has none yet). Needs the business
    case loaded with ``select_related("business_case")`` to cost no query."""
    try:
        business_case = use_case.business_case
    except BusinessCase.DoesNotExist:
        business_case = None
    return (business_case or BusinessCase(use_case=use_case)).inputs()


def range_totals(
    months: Mapping[Month, economics.PeriodTotals], month_range: MonthRange
) -> economics.PeriodTotals:
    """The sum of the per-month totals that fall in ``month_range``."""
    return sum(
        (t for m, t in months.items() if month_range.start <= m <= month_range.end),
        economics.PeriodTotals(),
    )


def use_case_ids_for(user):
    """``use_case_ids`` for ``monthly_totals``: None (everything) for whole-portfolio readers,
    else a subquery of the use cases ``user`` may see."""
    if reads_whole_portfolio(user):
        return None
    return visible_use_cases(user).order_by().values("pk")


def reads_portfolio(user) -> bool:
    """Whether ``user`` may open the portfolio pages: whole-portfolio readers and anyone who may
    see at least one use case (a contributor sees only theirs)."""
    return reads_whole_portfolio(user) or visible_use_cases(user).exists()


def portfolio_totals(*, user, month_range: MonthRange):
    """``{use_case_id: {month: PeriodTotals}}`` over the visible portfolio. Two queries."""
    return monthly_totals(
        start=month_range.start, end=month_range.end, use_case_ids=use_case_ids_for(user)
    )


# --- the leakage waterfall ----------------------------------------------------------------------


@dataclass(frozen=True)
class WaterfallBar:
    """One step of the portfolio waterfall, with where its bar starts and ends on the chart."""

    step: str
    leakage_point: str | None
    amount: Decimal
    low: Decimal
    high: Decimal

    @property
    def label(self) -> str:
        return STEP_LABELS.get(self.step, self.step.replace("_", " ").capitalize())

    @property
    def is_total(self) -> bool:
        return self.leakage_point is None

    def as_chart(self) -> dict:
        return {
            "step": self.step,
            "label": self.label,
            "leakage_point": self.leakage_point,
            "amount": str(_cents(self.amount)),
            "low": str(_cents(self.low)),
            "high": str(_cents(self.high)),
        }


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def portfolio_waterfall(
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


# --- the summary (stage counts, CFO figures, waterfall, flags) ----------------------------------


@dataclass
class PortfolioSummary:
    month_range: MonthRange
    use_case_count: int
    stage_counts: list[tuple[str, str, int]]
    figures: CfoFigures
    waterfall: list[WaterfallBar]
    open_flags: list[Flag]
    open_flag_count: int
    has_data: bool
    chart: dict = field(default_factory=dict)


def portfolio_summary(*, user, month_range: MonthRange, use_cases, totals) -> PortfolioSummary:
    """The dashboard's summary of the visible portfolio. ``use_cases``: the visible use cases with
    their business cases (a list); ``totals``: ``portfolio_totals``. Two queries (flags)."""
    stage_counter: dict[str, int] = dict.fromkeys(Stage.values, 0)
    per_use_case, waterfalls = [], []
    for use_case in use_cases:
        stage_counter[use_case.stage] = stage_counter.get(use_case.stage, 0) + 1
        bc = business_case_inputs(use_case)
        period = range_totals(totals.get(use_case.pk, {}), month_range)
        per_use_case.append(CfoFigures.of(economics.period_figures(period, bc)))
        waterfalls.append(economics.waterfall(period, bc))
    flags = visible_flags(user).open()
    bars = portfolio_waterfall(waterfalls)
    return PortfolioSummary(
        month_range=month_range,
        use_case_count=len(use_cases),
        stage_counts=[(value, label, stage_counter[value]) for value, label in Stage.choices],
        figures=total(per_use_case),
        waterfall=bars,
        open_flags=list(flags[:FLAGS_SHOWN]),
        open_flag_count=flags.count(),
        has_data=any(totals.get(uc.pk) for uc in use_cases),
        chart={
            "range": month_range.label,
            "currency": settings.VALUEGATE_CURRENCY,
            "bars": [bar.as_chart() for bar in bars],
        },
    )


def summary_use_cases(user) -> list[UseCase]:
    """The visible use cases with their business cases (one query)."""
    return list(visible_use_cases(user).select_related("business_case").order_by("name"))


# --- the use case table -------------------------------------------------------------------------


def _latest_weekly(field_name: str, output_field=None):
    """The value of ``field_name`` in the use case's latest weekly review (a correlated subquery
    answered by the unique index on (use_case, week))."""
    latest = WeeklyReview.objects.filter(use_case=OuterRef("pk")).order_by("-week")
    return Subquery(latest.values(field_name)[:1], output_field=output_field)


def _open_flag_count():
    counts = (
        Flag.objects.open()
        .filter(use_case=OuterRef("pk"))
        .order_by()
        .values("use_case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def table_queryset(user):
    """The visible use cases with what the table shows, in ONE query: value owner and business
    case joined, the latest weekly review's numbers and the open flag count as subqueries."""
    return (
        visible_use_cases(user)
        .select_related("value_owner", "business_case")
        .annotate(
            latest_week=_latest_weekly("week"),
            latest_active_users=_latest_weekly("active_users"),
            latest_target_users=_latest_weekly("target_users"),
            latest_tasks_with_ai=_latest_weekly("tasks_with_ai"),
            latest_reworked_outputs=_latest_weekly("reworked_outputs"),
            open_flag_count=_open_flag_count(),
        )
        .order_by("name")
    )


@dataclass(frozen=True)
class DashboardRow:
    use_case: UseCase
    latest_week: str | None
    adoption_rate: Decimal | None
    rework_rate: Decimal | None
    figures: CfoFigures
    open_flags: int
    has_data: bool

    @property
    def net_value(self) -> Decimal:
        return self.figures.net_value

    @property
    def owner_name(self) -> str:
        owner = self.use_case.value_owner
        return (owner.get_full_name() or owner.username) if owner else ""


_STAGE_ORDER = {value: i for i, value in enumerate(Stage.values)}
_FUNDING_ORDER = {value: i for i, value in enumerate(Funding.values)}
_SORT_KEYS = {
    "name": lambda r: r.use_case.name.lower(),
    "business_unit": lambda r: r.use_case.business_unit.lower(),
    "stage": lambda r: _STAGE_ORDER.get(r.use_case.stage, 99),
    "funding": lambda r: _FUNDING_ORDER.get(r.use_case.funding_status, 99),
    "owner": lambda r: r.owner_name.lower() or None,
    "adoption": lambda r: r.adoption_rate,
    "rework": lambda r: r.rework_rate,
    "net_value": lambda r: r.net_value if r.has_data else None,
    "flags": lambda r: r.open_flags,
}


def sort_rows(rows: list[DashboardRow], sort: str) -> list[DashboardRow]:
    """Sort by ``sort`` (``-`` prefix: descending); rows without a value go last either way, ties
    by name."""
    descending = sort.startswith("-")
    key_name = sort.removeprefix("-")
    if key_name not in SORT_FIELDS:
        key_name, descending = DEFAULT_SORT, False
    key = _SORT_KEYS[key_name]
    by_name = sorted(rows, key=lambda r: (r.use_case.name.lower(), r.use_case.pk))
    present = [r for r in by_name if key(r) is not None]
    missing = [r for r in by_name if key(r) is None]
    return sorted(present, key=key, reverse=descending) + missing


def table_rows(use_cases: Iterable[UseCase], *, month_range: MonthRange, totals, sort: str):
    """Rows of the table from ``table_queryset`` use cases (evaluated once) and the per-month
    totals of (at least) those use cases."""
    rows = []
    for use_case in use_cases:
        bc = business_case_inputs(use_case)
        months = totals.get(use_case.pk, {})
        period = range_totals(months, month_range)
        has_week = use_case.latest_week is not None
        rows.append(
            DashboardRow(
                use_case=use_case,
                latest_week=use_case.latest_week,
                adoption_rate=(
                    economics.adoption_rate(
                        use_case.latest_active_users, use_case.latest_target_users
                    )
                    if has_week
                    else None
                ),
                rework_rate=(
                    economics.rework_rate(
                        use_case.latest_reworked_outputs, use_case.latest_tasks_with_ai
                    )
                    if has_week
                    else None
                ),
                figures=CfoFigures.of(economics.period_figures(period, bc)),
                open_flags=use_case.open_flag_count,
                has_data=bool(months),
            )
        )
    return sort_rows(rows, sort)


def filtered_totals(filtered_queryset, *, month_range: MonthRange):
    """``monthly_totals`` for the use cases of a filtered table queryset (a subquery; two
    queries)."""
    return monthly_totals(
        start=month_range.start,
        end=month_range.end,
        use_case_ids=filtered_queryset.order_by().values("pk"),
    )
