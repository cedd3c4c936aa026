"""Portfolio-wide reads for the dashboard (and the CFO report): month ranges, the CFO figures and
the leakage waterfall summed over use cases, stage counts, open flags and the use case table.

Each use case has its own business case (hourly cost, reclaimable share...), so portfolio figures
are the sum of per-use-case figures, never the engine applied to portfolio-wide sums. SQL adds
them up in one pass per review kind, grouped by use case and month: each weekly review is
weighted by its own use case's business case, each use case's month rounded on its own and the
rounded months summed per use case (``reviews.selectors.rounded_figures``: the one rounding rule,
``usecases.money``, docs/figures.md, in SQL on PostgreSQL), so the rows foot to the totals. The
table is sorted and paged in SQL (net value by the engine's exact figure,
``economics.NET_VALUE_X60``: rows a cent apart may sort by their unrounded values).
Every function runs a fixed number of queries whatever the portfolio size.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Collate, Concat, Lower, NullIf, Trim
from django.db.models.sql.constants import LOUTER
from django_cte import CTE, with_cte

from reviews.flags import visible_flags
from reviews.models import Flag, WeeklyReview
from reviews.month_sums import weekly_read
from reviews.selectors import COST_FIELDS, Month, reviews_in, rounded_figures
from usecases import economics, money, waterfall_bars
from usecases.models import Funding, Stage, UseCase
from usecases.permissions import reads_whole_portfolio, visible_use_case_ids, visible_use_cases
from usecases.selectors import business_case_inputs
from usecases.templatetags import money as display

from .filters import DEFAULT_SORT, SORT_FIELDS

ZERO = Decimal(0)
#: Default range: the last this many complete calendar months.
DEFAULT_MONTHS = 3
#: The longest range a page or an export accepts.
MAX_MONTHS = 60
#: How many open flags the dashboard lists (the flags page has them all).
FLAGS_SHOWN = 10


# --- month ranges -----------------------------------------------------------------------------


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
    end = economics.add_months(today, -1)
    return MonthRange(economics.add_months(end, -(DEFAULT_MONTHS - 1)), end)


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
    if economics.month_span((start.year, start.month), (end.year, end.month)) > MAX_MONTHS:
        return default, {"end": [f"Choose at most {MAX_MONTHS} months."]}
    return MonthRange(start, end), {}


# --- figures ------------------------------------------------------------------------------------


def _exact():
    return decimal.localcontext(prec=economics.PRECISION)


#: The CFO figures as shown and exported: rounded by the one rule (``usecases.money``).
CfoFigures = money.Figures


@dataclass(frozen=True)
class TableFigures:
    """The figures of the dashboard: ``total`` of the table's use cases (all pages; None when
    none has a review in the range), ``rows``: ``{use_case_id: Figures}`` of the page's use cases
    that have one, and ``portfolio``: the visible portfolio's total (None when it has no review
    in the range, or was not asked for)."""

    total: money.Figures | None
    rows: dict[int, money.Figures]
    portfolio: money.Figures | None


def _total_and_rows(month_range: MonthRange, use_case_ids, rows) -> tuple:
    """(the total of ``use_case_ids`` or None, the figures of the use cases ``rows``): one
    ``rounded_figures`` call, two queries. Each use case's figures are the sum of its rounded
    months, the total the sum of every rounded month (``usecases.money``): the rows foot."""
    total, per_use_case = rounded_figures(
        start=month_range.start,
        end=month_range.end,
        use_case_ids=use_case_ids,
        groupings=((), ("use_case_id",)),
        use_case_rows=rows,
    )
    return total.get(()), {key[0]: figures for key, figures in per_use_case.items()}


def table_figures(
    *, user, month_range: MonthRange, page_ids, table_ids=None, portfolio: bool = True
) -> TableFigures:
    """The table's total, its page's rows (``page_ids``) and, with ``portfolio``, the visible
    portfolio's total, summed in SQL (only the page's rows come back). ``table_ids``: a subquery
    of the filtered table's use cases (None: the table is the visible portfolio). Two queries;
    four for a filtered table with ``portfolio``."""
    visible = visible_use_case_ids(user)
    if table_ids is None:
        total, rows = _total_and_rows(month_range, visible, page_ids)
        return TableFigures(total=total, rows=rows, portfolio=total if portfolio else None)
    total, rows = _total_and_rows(month_range, table_ids, page_ids)
    whole = None
    if portfolio:
        (totals,) = rounded_figures(
            start=month_range.start,
            end=month_range.end,
            use_case_ids=visible,
            groupings=((),),
        )
        whole = totals.get(())
    return TableFigures(total=total, rows=rows, portfolio=whole)


def reads_portfolio(user) -> bool:
    """Whether ``user`` may open the portfolio pages: whole-portfolio readers and anyone who may
    see at least one use case (a contributor sees only theirs)."""
    return reads_whole_portfolio(user) or visible_use_cases(user).exists()


# --- the leakage waterfall ----------------------------------------------------------------------
# The bars and their placement live in ``usecases.waterfall_bars`` (the gate pack PDF draws the same
# bars); the dashboard and the use case page keep their names.
WaterfallBar = waterfall_bars.WaterfallBar
portfolio_waterfall = waterfall_bars.waterfall_bars


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


def stage_counts(user, *, table_ids=None) -> tuple[list[tuple[str, str, int]], int]:
    """(stage, label, how many use cases ``user`` may see in it) for every stage, and how many
    rows the table has: those of ``table_ids`` (a subquery of the filtered table's use cases;
    None: every visible one). One query."""
    in_table = Count("pk") if table_ids is None else Count("pk", filter=Q(pk__in=table_ids))
    counter: dict[str, int] = dict.fromkeys(Stage.values, 0)
    rows = 0
    for stage, count, table_count in (
        visible_use_cases(user)
        .order_by()
        .values_list("stage")
        .annotate(n=Count("pk"), in_table=in_table)
        .values_list("stage", "n", "in_table")
    ):
        counter[stage] = counter.get(stage, 0) + count
        rows += table_count
    return [(value, label, counter[value]) for value, label in Stage.choices], rows


def portfolio_summary(
    *, user, month_range: MonthRange, stage_counts, figures: TableFigures
) -> PortfolioSummary:
    """The dashboard's summary of the visible portfolio: the CFO figures and the leakage waterfall
    (``figures``, from ``table_figures``: each use case's month weighted in SQL by its own business
    case and rounded on its own, then added up: ``usecases.money``), ``stage_counts`` (from
    ``stage_counts``) and open flags. (The table's total is ``figures.total``.) One query (the
    open flags)."""
    # The newest FLAGS_SHOWN open flags (read from the index ``flag_newest``, the use case joined
    # to those only) and how many are open: an uncorrelated count, run once.
    # A window count over the same rows made PostgreSQL join and sort every open flag (1,284 at
    # 2,000 use cases: 5.0 ms of the dashboard's SQL, against 0.8 ms; benchmarks/README.md).
    open_ = visible_flags(user).open()
    open_flags = list(
        open_.select_related(None)
        .select_related("use_case")  # what the list shows: the use case's name and link
        .annotate(
            open_total=Subquery(
                open_.order_by().annotate(n=Func("pk", function="COUNT")).values("n"),
                output_field=IntegerField(),
            )
        )[:FLAGS_SHOWN]
    )
    whole = figures.portfolio if figures.portfolio is not None else CfoFigures()
    bars = portfolio_waterfall([whole.waterfall()])
    return PortfolioSummary(
        month_range=month_range,
        use_case_count=sum(count for _, _, count in stage_counts),
        stage_counts=stage_counts,
        figures=whole,
        waterfall=bars,
        open_flags=open_flags,
        open_flag_count=open_flags[0].open_total if open_flags else 0,
        has_data=figures.portfolio is not None,
        chart={
            "range": month_range.label,
            "currency": settings.VALUEGATE_CURRENCY,
            "bars": [bar.as_chart() for bar in bars],
        },
    )


# --- the use case table -------------------------------------------------------------------------

#: Rows per page of the dashboard table (the CSV export of the CFO report has them all).
PAGE_SIZE = 50
_MONEY = DecimalField(max_digits=40, decimal_places=12)


def _latest_weekly(field_name: str, output_field=None):
    """The value of ``field_name`` in the use case's latest weekly review (a correlated subquery
    answered by the unique index on (use_case, week); PostgreSQL evaluates it only for the rows
    of the page unless the sort needs it)."""
    latest = WeeklyReview.objects.filter(use_case=OuterRef("pk")).order_by("-week")
    return Subquery(latest.values(field_name)[:1], output_field=output_field)


def _latest_rate(name: str):
    """The engine's rate ``name`` (``economics.RATES``: numerator / denominator, 0 when the
    denominator is 0) of the latest weekly review, NULL without one: the adoption and rework sort
    keys (a float: enough to order fractions of counts)."""
    numerator, denominator = economics.RATES[name]
    ratio = Case(
        When(**{denominator: 0}, then=Value(0.0)),
        default=Cast(numerator, FloatField()) / Cast(denominator, FloatField()),
        output_field=FloatField(),
    )
    latest = WeeklyReview.objects.filter(use_case=OuterRef("pk")).order_by("-week")
    return Subquery(latest.annotate(ratio=ratio).values("ratio")[:1], output_field=FloatField())


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
    """The visible use cases with value owner and business case joined and the open flag count
    (what the filters need); ``table_page`` adds the figures and the sort."""
    return (
        visible_use_cases(user)
        .select_related("value_owner", "business_case")
        .annotate(open_flag_count=_open_flag_count())
        .order_by("name")
    )


#: The weekly ``PeriodTotals`` quantities ``range_figures`` needs (the engine's figures need no
#: task counts), and all that ``economics.NET_VALUE_X60`` reads of the weekly reviews.
RANGE_QUANTITIES = ("ai_minutes_saved", "rework_minutes")


def _range_sums(month_range: MonthRange) -> tuple[CTE, CTE]:
    """The range's sums per use case, as two common table expressions: ``range_weekly`` (one row
    per use case with a weekly review in the range: ``range_<quantity>`` for
    ``RANGE_QUANTITIES``, as ``economics.WEEKLY_QUANTITIES`` adds them up; on PostgreSQL over
    the weekly reviews' sums per month, ``reviews.month_sums``) and ``range_monthly`` (one per
    use case with a monthly review: ``range_costs``, the six costs)."""
    read = weekly_read()
    weekly, monthly = reviews_in(month_range.start, month_range.end, None, read)
    weekly = (
        weekly.order_by()
        .values("use_case_id")
        .annotate(
            **{
                f"range_{name}": Sum(ExpressionWrapper(read.quantity(name), output_field=_MONEY))
                for name in RANGE_QUANTITIES
            }
        )
    )
    costs = sum((F(cost) for cost in COST_FIELDS[1:]), F(COST_FIELDS[0]))  # one review's
    monthly = monthly.order_by().values("use_case_id")
    monthly = monthly.annotate(range_costs=Sum(ExpressionWrapper(costs, output_field=_MONEY)))
    return CTE(weekly, name="range_weekly"), CTE(monthly, name="range_monthly")


def with_range_sums(queryset, month_range: MonthRange, *, alias: bool = False):
    """``queryset`` (use cases) with the sums ``range_figures`` and ``linear_key`` need over
    ``month_range``: ``range_<quantity>``, the range's sum of a ``PeriodTotals`` quantity
    (``range_costs``: the six costs), NULL without a review of that kind in the range.
    ``alias``: named for a sort key, not selected.

    The sums are joined (``LEFT JOIN`` on the use case to each of ``_range_sums``), not
    correlated subqueries: sorted by net value, every use case of the portfolio needs them,
    and PostgreSQL runs a correlated subquery once per row (on the benchmark's 2,000 use cases
    the page's query took 67 ms with two of them per use case, 48 ms with the join)."""
    weekly, monthly = _range_sums(month_range)
    joined = weekly.join(queryset, pk=weekly.col.use_case_id, _join_type=LOUTER)
    joined = monthly.join(joined, pk=monthly.col.use_case_id, _join_type=LOUTER)
    sums = {f"range_{name}": getattr(weekly.col, f"range_{name}") for name in RANGE_QUANTITIES}
    sums["range_costs"] = monthly.col.range_costs
    return with_cte(weekly, monthly, select=(joined.alias if alias else joined.annotate)(**sums))


def range_has_data(use_case: UseCase) -> bool:
    """Whether a ``with_range_sums`` use case has a weekly or monthly review in the range."""
    return use_case.range_ai_minutes_saved is not None or use_case.range_costs is not None


def range_figures(use_case: UseCase) -> economics.PeriodFigures:
    """The engine's CFO figures of a ``with_range_sums`` use case over the range. The figures
    need the six costs' sum only (absorption cost): it rides in one cost field (decimal sums of
    the cost columns add exactly, so every figure is the engine's)."""
    totals = economics.PeriodTotals(
        ai_minutes_saved=use_case.range_ai_minutes_saved,
        rework_minutes=use_case.range_rework_minutes,
        other_cost=use_case.range_costs,
    )
    return economics.period_figures(totals, business_case_inputs(use_case))


def with_latest_week(queryset):
    """``queryset`` with the latest weekly review's numbers (correlated subqueries: one query for
    a page of rows): what a table row shows beside the use case and its figures."""
    return queryset.annotate(
        latest_week=_latest_weekly("week"),
        latest_active_users=_latest_weekly("active_users"),
        latest_target_users=_latest_weekly("target_users"),
        latest_tasks_with_ai=_latest_weekly("tasks_with_ai"),
        latest_reworked_outputs=_latest_weekly("reworked_outputs"),
    )


def with_figures(queryset, month_range: MonthRange):
    """``queryset`` with the latest weekly review's numbers and the range's sums (one query)."""
    return with_latest_week(with_range_sums(queryset, month_range))


def _codepoint_order(expression):
    """Order text by code point, as Python compares strings (PostgreSQL's default collation
    would ignore spaces and punctuation); SQLite's default collation already does."""
    if connection.vendor == "postgresql":
        return Collate(expression, "C")
    return expression


def _rank(field_name: str, values) -> Case:
    return Case(
        *(When(**{field_name: value}, then=Value(i)) for i, value in enumerate(values)),
        default=Value(len(values)),
        output_field=IntegerField(),
    )


def _term_expression(term: economics.Term, quantity):
    """``quantity`` × the business case numbers the term names × its coefficient (a use case
    without a business case weighs 0, as the engine's all-zero one does)."""
    expression = quantity
    for factor in term.factors:
        expression = expression * Coalesce(
            F(f"business_case__{factor}"), Value(ZERO), output_field=_MONEY
        )
    if term.coefficient != 1:
        expression = expression * Value(term.coefficient)
    return ExpressionWrapper(expression, output_field=_MONEY)


def _terms_sum(terms):
    """Σ ``terms`` over the range sums (``range_<quantity>``), None for no terms."""
    if not terms:
        return None
    parts = [_term_expression(t, F(f"range_{t.quantity}")) for t in terms]
    return ExpressionWrapper(sum(parts[1:], parts[0]), output_field=_MONEY)


def linear_key(terms):
    """Σ ``terms`` (``economics.Term``: a figure linear in the period totals, e.g.
    ``economics.NET_VALUE_X60``) over a ``with_range_sums`` queryset's range, per use case, NULL
    without a review in the range. SQL only multiplies the range sums (``range_<quantity>``) by
    the use case's business case columns and the engine's coefficients: a sum of one use case's
    products is the product of its sum, as its business case is the same for every review.
    Products and sums: exact NUMERIC on PostgreSQL."""
    weekly_sum = _terms_sum([t for t in terms if t.is_weekly])
    monthly_sum = _terms_sum([t for t in terms if not t.is_weekly])
    if weekly_sum is None or monthly_sum is None:
        return weekly_sum if monthly_sum is None else monthly_sum
    # COALESCE evaluates its second argument only when the first is NULL (no weekly review).
    return Coalesce(
        weekly_sum + Coalesce(monthly_sum, Value(ZERO), output_field=_MONEY),
        monthly_sum,
        output_field=_MONEY,
    )


def _owner_name():
    full = Trim(Concat("value_owner__first_name", Value(" "), "value_owner__last_name"))
    name = Coalesce(NullIf(full, Value("")), F("value_owner__username"))
    return Case(
        When(value_owner__isnull=True, then=Value(None)),
        default=Lower(name),
        output_field=CharField(),
    )


def sort_key(key_name: str):
    """The SQL expression the table sorts by for ``key_name`` (one of ``SORT_FIELDS``; net value:
    of a ``with_range_sums`` queryset)."""
    if key_name == "name":
        return _codepoint_order(Lower("name"))
    if key_name == "business_unit":
        return _codepoint_order(Lower("business_unit"))
    if key_name == "stage":
        return _rank("stage", Stage.values)
    if key_name == "funding":
        return _rank("funding_status", Funding.values)
    if key_name == "owner":
        return _codepoint_order(_owner_name())
    if key_name == "adoption":
        return _latest_rate("adoption_rate")
    if key_name == "rework":
        return _latest_rate("rework_rate")
    if key_name == "net_value":
        return linear_key(economics.NET_VALUE_X60)  # 60 × net value: same order
    return F("open_flag_count")  # "flags"


def sorted_queryset(queryset, sort: str):
    """Order ``queryset`` (from ``with_figures``) by ``sort`` in SQL (``-`` prefix: descending);
    rows without a value go last either way, ties by name."""
    descending = sort.startswith("-")
    key_name = sort.removeprefix("-")
    if key_name not in SORT_FIELDS:
        key_name, descending = DEFAULT_SORT, False
    key = sort_key(key_name)
    primary = key.desc(nulls_last=True) if descending else key.asc(nulls_last=True)
    if key_name == "name":
        return queryset.order_by(primary, "pk")
    return queryset.order_by(primary, _codepoint_order(Lower("name")).asc(), "pk")


class CountedPaginator(Paginator):
    """A paginator told its count (already known from another query: no COUNT query)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count


@dataclass(frozen=True)
class DashboardRow:
    """One row of the table, with what its cells show worked out once (the template reads each
    as one attribute: 50 rows × 9 cells)."""

    use_case: UseCase
    latest_week: str | None
    adoption_rate: Decimal | None
    rework_rate: Decimal | None
    net_value: Decimal
    open_flags: int
    has_data: bool
    url: str = ""
    owner_name: str = ""
    adoption_text: str = ""
    rework_text: str = ""
    net_value_text: str = ""


def _display_name(owner) -> str:
    return (owner.get_full_name() or owner.username) if owner else ""


def table_row(use_case: UseCase, figures: CfoFigures | None) -> DashboardRow:
    """One row from a ``with_figures`` use case: rates from the engine, net value the sum of its
    rounded months (``figures``; None without a review in the range)."""
    has_week = use_case.latest_week is not None
    adoption = rework = None
    if has_week:
        adoption = economics.adoption_rate(
            use_case.latest_active_users, use_case.latest_target_users
        )
        rework = economics.rework_rate(
            use_case.latest_reworked_outputs, use_case.latest_tasks_with_ai
        )
    net_value = figures.net_value if figures is not None else money.ZERO
    return DashboardRow(
        use_case=use_case,
        latest_week=use_case.latest_week,
        adoption_rate=adoption,
        rework_rate=rework,
        net_value=net_value,
        open_flags=use_case.open_flag_count,
        has_data=figures is not None,
        url=use_case.get_absolute_url(),
        owner_name=_display_name(use_case.value_owner),
        adoption_text=display.percent(adoption, 1) if has_week else "",
        rework_text=display.percent(rework, 1) if has_week else "",
        net_value_text=display.money(net_value) if figures is not None else "",
    )


@dataclass(frozen=True)
class TablePage:
    page: Page
    use_cases: list[UseCase]
    rows: list[DashboardRow] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.page.paginator.count

    def with_figures(self, figures: Mapping[int, CfoFigures]) -> TablePage:
        """The page with its rows, ``figures`` (``TableFigures.rows``) their rounded figures."""
        rows = [table_row(uc, figures.get(uc.pk)) for uc in self.use_cases]
        return TablePage(page=self.page, use_cases=self.use_cases, rows=rows)


#: The columns a table row reads (``table_row``, ``dashboard_rows``): the page's query selects
#: these, the latest weekly review's numbers and the open flag count, nothing more.
ROW_FIELDS = (
    "name",
    "business_unit",
    "stage",
    "funding_status",
    "value_owner__username",
    "value_owner__first_name",
    "value_owner__last_name",
)


def _page_rows(queryset, sort: str, month_range: MonthRange):
    """``queryset`` (a filtered ``table_queryset``) as the page reads it: ``ROW_FIELDS`` and the
    latest weekly review's numbers (the figures come from ``table_figures``); sorted by net
    value, the range's sums ``linear_key`` orders by, as aliases (not selected)."""
    rows = queryset.select_related(None).select_related("value_owner").only(*ROW_FIELDS)
    if sort.removeprefix("-") == "net_value":
        rows = with_range_sums(rows, month_range, alias=True)
    return with_latest_week(rows)


def table_page(
    queryset,
    *,
    month_range: MonthRange,
    sort: str,
    page_number,
    count: int | None = None,
) -> TablePage:
    """One page of the table's use cases, sorted in SQL over every row of ``queryset`` (a
    filtered ``table_queryset``): the page's query, and a COUNT unless ``count`` is known. Its
    rows come with their figures (``TablePage.with_figures``: ``table_figures`` reads them for
    the page's use cases only)."""
    ordered = sorted_queryset(_page_rows(queryset, sort, month_range), sort)
    paginator = (
        Paginator(ordered, PAGE_SIZE)
        if count is None
        else CountedPaginator(ordered, PAGE_SIZE, count=count)
    )
    page = paginator.get_page(page_number)
    return TablePage(page=page, use_cases=list(page.object_list))
