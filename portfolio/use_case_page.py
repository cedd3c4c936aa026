"""The use case page: everything about one use case on one page (URL name ``use_case``).

Composed here, in the portfolio layer, because it shows what several apps know (``usecases`` may
not import the others):

- the use case's own panels: facts, business case and its versions, model/prompt log,
  checklist, audit history (``usecases.selectors.use_case_page_context``);
- KPI trends per week (adoption, rework, exception share, quality) with the stop-loss thresholds
  that apply (``reviews.thresholds``) and markers at model/prompt changes;
- the CFO figures, the 90-day figure, the waterfall and the month-by-month figures of a chosen
  range (``reviews.selectors.use_case_economics``);
- actual weekly adoption and net value against the three scenario lines
  (``economics.scenario_forecasts``);
- flags (open and resolved) with their explanations, the reviews, the stage-gate items.

Decisions where DESIGN.md is silent:

- Range: ``?start=YYYY-MM&end=YYYY-MM``, the last 3 complete months by default, parsed as on the
  dashboard (``portfolio.dashboard.month_range_from_params``).
- Weekly net value (for the scenario comparison): ``gross_efficiency × R − rework_cost − the
  month's costs ÷ the number of ISO weeks of that month`` (4 or 5; a week belongs to the month of
  its Thursday). A fully reviewed month's weekly net values add up exactly to its net value. A
  week whose month has no monthly review has no net value yet (a gap in the line): its costs are
  not known. "Actual" in the scenario table is over the chosen range: active users ÷ target
  users summed over its weeks, and its net value ÷ its number of ISO weeks.
- Trend axis: every ISO week from the first to the last weekly review (a missing week is a gap).
  A model/prompt change is marked at its effective date inside its week; a change before the
  first or after the last review is not marked (the change log lists it).
- Thresholds drawn are the effective rules on the four weekly metrics; a ``net_value`` rule is
  monthly, so it is listed, not drawn.

Sections (issue 16): the page paints the header, the section index, the facts, the flags and the
value section (the key figures); the trends, scenarios, reviews, gates and the use case's own
panels load as they scroll into view, each from its own URL (``portfolio.use_case_sections``;
the data functions ``*_data`` below).

Queries: a fixed number whatever the number of reviews, changes, flags or gate items, at most 12
for the page and for each section (see ``tests/portfolio/test_use_case_page.py``, 1 vs 40 weekly
reviews); the page runs one more for a use case with telemetry (the adoption threshold of the
"so far" box). Fixed-shape reads are compiled once (``usecases.prepared_sql``: ``PAGE_READS``,
the flags, the per-month sums). Python loops run over the rows of one ``.values()`` query of
weekly reviews to build chart points; every sum is SQL's.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Subquery, Sum
from django.shortcuts import render
from django.utils.formats import date_format
from django.views.decorators.http import require_GET

from reviews import lookback
from reviews.change_impact import use_case_changes
from reviews.chart_axes import axis_range
from reviews.flags import flag_figures
from reviews.models import (
    Comparison,
    Flag,
    FlagKind,
    Metric,
    MonthlyReview,
    WeeklyReview,
)
from reviews.selectors import monthly_totals, range_figures, use_case_economics
from reviews.telemetry_figures import WeekSoFar, running_week, so_far_columns, week_so_far_of
from reviews.thresholds import Threshold, TrendWeek, trend_week, use_case_thresholds
from stagegates.models import GateItem
from stagegates.selectors import undecided_of_use_case
from usecases import clock, economics, money, selectors
from usecases.models import REVIEW_STAGES, UseCase
from usecases.permissions import (
    can_decide_proposed_change,
    can_edit_business_case,
    can_import_reviews,
    can_log_model_change,
    can_manage_policy,
    can_resolve_flags,
    can_submit_review,
    get_prepared_use_case_for_user,
)
from usecases.prepared_sql import PreparedQuery
from usecases.templatetags.fixed_urls import reverse_int

from . import dashboard
from . import use_case_page_html as page_html

Month = datetime.date
ZERO = Decimal(0)
CHART_PLACES = Decimal("0.01")
#: Resolved flags listed on the page (newest first); the flags page has them all.
RESOLVED_FLAGS_SHOWN = 10
#: Quick ranges offered next to the range form.
PRESET_MONTHS = (3, 6, 12)

WEEKLY_KPIS = (
    # metric, label, is a fraction (shown as %)
    (Metric.ADOPTION_RATE, "Adoption rate", True),
    (Metric.REWORK_RATE, "Rework rate", True),
    (Metric.EXCEPTION_SHARE, "Exception share", True),
    (Metric.QUALITY_SCORE, "Quality score", False),
)
WEEK_VALUES = (
    "pk",
    "week",
    "week_start",
    "month_start",
    *WeeklyReview.KPI_FIELDS,
    "model_version__version_label",
    "updated_by__username",
    "updated_at",
    "version",
)
FLAG_KIND_HELP = {
    FlagKind.STOP_LOSS: "A stop-loss threshold was breached. A “return to redesign” rule moves a "
    "use case in rollout or scaled back to redesign with conditional funding.",
    FlagKind.SAVINGS_BACKLOG_DIVERGENCE: "Early warning: the team declared hours saved every "
    "week, yet the backlog did not shrink — the saved time may not be turning into output.",
    FlagKind.EXCEPTIONS_GROWING: "Early warning: the share of cases that need a manual "
    "workaround rose week on week.",
    FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE: "Early warning: mean quality since a model/prompt "
    "change is clearly below the weeks before it.",
    FlagKind.NO_ACCOUNTABLE_OWNER: "Early warning: reviews are due and nobody is accountable "
    "(no value owner, or reviews are overdue).",
    FlagKind.DECLARED_VS_MEASURED: "Early warning: the confirmed weekly review's active users or "
    "tasks with AI are far from what the use case's telemetry measured that week.",
}
SCENARIO_LABELS = {
    "pessimistic": "Pessimistic",
    "base": "Base",
    "optimistic": "Optimistic",
}


def _exact():
    return decimal.localcontext(prec=economics.PRECISION)


def _chart_number(value: Decimal | None, *, scale: int = 1) -> float | None:
    """A value for the charts (the display edge): rounded to 2 places, as a JSON number."""
    if value is None:
        return None
    return float((Decimal(value) * scale).quantize(CHART_PLACES, rounding=ROUND_HALF_UP))


# --- thresholds -----------------------------------------------------------------------------------


def threshold_chart(threshold: Threshold) -> dict:
    """A threshold as the KPI charts draw it (a dashed line, its value in the chart's unit)."""
    value = threshold.threshold
    return {
        "value": _chart_number(value, scale=100 if threshold.is_fraction else 1),
        "label": f"Stop-loss: {threshold.side} {threshold.threshold_text}",
        "side": threshold.side,
    }


# --- weekly series --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekRow(TrendWeek):
    """One weekly review with its computed figures (money unrounded)."""

    pk: int
    net_value: Decimal | None  # None: the month has no monthly review yet
    version_label: str | None
    updated_by: str | None
    updated_at: datetime.datetime

    @property
    def cells(self) -> list[tuple[str, Decimal, bool, bool]]:
        """(metric, value, is a fraction, breaches a threshold) for the four KPIs."""
        return [
            (metric, self.value(metric), fraction, metric in self.breaches)
            for metric, _label, fraction in WEEKLY_KPIS
        ]


def _weeks_in_month(month: Month, cache: dict) -> int:
    if month not in cache:
        cache[month] = len(economics.iso_weeks_of_month(month.year, month.month))
    return cache[month]


def weekly_review_values(use_case_id: int) -> list[dict]:
    """Every weekly review of the use case, oldest first, as plain values (one query)."""
    return list(
        WeeklyReview.objects.filter(use_case_id=use_case_id)
        .order_by("week_start")
        .values(*WEEK_VALUES)
    )


def week_rows(
    rows: list[dict],
    *,
    bc: economics.BusinessCaseInputs,
    month_costs: dict[Month, Decimal],
    thresholds: list[Threshold],
) -> list[WeekRow]:
    """The weekly reviews (``weekly_review_values``) with the per-week formulas of the economics
    engine. ``month_costs``: the costs of the months that have a monthly review, spread evenly
    over the month's ISO weeks for the weekly net value."""
    weeks_cache: dict[Month, int] = {}
    result = []
    for row in rows:
        trend = trend_week(row, hourly_cost=bc.hourly_cost, thresholds=thresholds)
        metrics = trend["metrics"]
        net = None
        costs = month_costs.get(row["month_start"])
        if costs is not None:
            with _exact():
                net = (
                    metrics.gross_efficiency * bc.reclaimable_share
                    - metrics.rework_cost
                    - costs / _weeks_in_month(row["month_start"], weeks_cache)
                )
        result.append(
            WeekRow(
                **trend,
                pk=row["pk"],
                net_value=net,
                version_label=row["model_version__version_label"],
                updated_by=row["updated_by__username"],
                updated_at=row["updated_at"],
            )
        )
    return result


# --- monthly reviews ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    pk: int
    month: str
    month_start: Month
    costs: Decimal
    figures: economics.PeriodFigures
    weeks_reviewed: int
    weeks_in_month: int
    updated_by: str | None
    updated_at: datetime.datetime


# --- charts ---------------------------------------------------------------------------------------


def _axis(weeks: list[WeekRow]) -> list[datetime.date]:
    """Every ISO week's Monday from the first to the last review."""
    if not weeks:
        return []
    first, last = weeks[0].week_start, weeks[-1].week_start
    return [first + datetime.timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]


def _label(monday: datetime.date) -> str:
    return economics.format_iso_week(*economics.iso_week_of(monday))


def change_markers(model_changes, axis: list[datetime.date]) -> list[dict]:
    """Where the model/prompt changes fall on the trend axis (a fractional week index: a change
    effective on a Monday sits half-way between the week before and its own week)."""
    if not axis:
        return []
    first, last_sunday = axis[0], axis[-1] + datetime.timedelta(days=6)
    markers = []
    for change in sorted(model_changes, key=lambda c: (c.effective_date, c.pk)):
        if not first <= change.effective_date <= last_sunday:
            continue
        position = (change.effective_date - first).days / 7 - 0.5
        markers.append(
            {
                "x": round(min(max(position, 0), len(axis) - 1), 3),
                "label": change.version_label,
                "title": f"{change.version_label} ({change.get_kind_display().lower()}, "
                f"effective {date_format(change.effective_date)})",
            }
        )
    return markers


def _series(axis_index: dict, n: int, points) -> list[float | None]:
    values: list[float | None] = [None] * n
    for monday, value in points:
        values[axis_index[monday]] = value
    return values


def kpi_chart_data(*, weeks: list[WeekRow], thresholds: list[Threshold], model_changes) -> dict:
    """What the KPI trend charts draw (the trends section), as JSON-ready numbers (rates in %)."""
    axis = _axis(weeks)
    index = {monday: i for i, monday in enumerate(axis)}
    n = len(axis)
    kpis = []
    for metric, label, fraction in WEEKLY_KPIS:
        scale = 100 if fraction else 1
        values = _series(
            index,
            n,
            ((w.week_start, _chart_number(w.value(metric), scale=scale)) for w in weeks),
        )
        lines = [threshold_chart(t) for t in thresholds if t.metric == metric]
        kpis.append(
            {
                "key": str(metric),
                "label": label,
                "unit": "%" if fraction else "",
                "values": values,
                "thresholds": lines,
                "axis": axis_range(values, [line["value"] for line in lines]),
            }
        )
    return {
        "currency": settings.VALUEGATE_CURRENCY,
        "weeks": [_label(monday) for monday in axis],
        "markers": change_markers(model_changes, axis),
        "kpis": kpis,
    }


def scenario_chart_data(
    *, weeks: list[WeekRow], forecasts: list[economics.ScenarioForecast], model_changes
) -> dict:
    """What the scenario charts draw (the scenarios section): actual weekly adoption and net
    value against the three scenario lines (rates in %, money rounded to cents), with the
    model/prompt changes marked."""
    axis = _axis(weeks)
    index = {monday: i for i, monday in enumerate(axis)}
    n = len(axis)
    adoption_actual = _series(
        index,
        n,
        ((w.week_start, _chart_number(w.metrics.adoption_rate, scale=100)) for w in weeks),
    )
    adoption_lines = [
        {
            "label": f"{SCENARIO_LABELS[f.scenario]} scenario",
            "value": _chart_number(f.adoption, scale=100),
        }
        for f in forecasts
    ]
    return {
        "currency": settings.VALUEGATE_CURRENCY,
        "weeks": [_label(monday) for monday in axis],
        "markers": change_markers(model_changes, axis),
        "scenarios": {
            "adoption": {
                "label": "Adoption rate",
                "unit": "%",
                "actual": adoption_actual,
                "lines": adoption_lines,
                "axis": axis_range(adoption_actual, [line["value"] for line in adoption_lines]),
            },
            "net": {
                "label": "Net value per week",
                "unit": "money",
                "actual": _series(
                    index, n, ((w.week_start, _chart_number(w.net_value)) for w in weeks)
                ),
                "lines": [
                    {
                        "label": f"{SCENARIO_LABELS[f.scenario]} scenario",
                        "value": _chart_number(f.weekly_net),
                    }
                    for f in forecasts
                ],
            },
        },
    }


def waterfall_chart_data(waterfall_bars) -> dict:
    """What the waterfall chart draws (the value section, on the page itself)."""
    return {
        "currency": settings.VALUEGATE_CURRENCY,
        "waterfall": [bar.as_chart() for bar in waterfall_bars],
    }


# --- scenarios ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioRow:
    label: str
    forecast: economics.ScenarioForecast
    adoption_met: bool | None
    net_met: bool | None


@dataclass(frozen=True)
class ActualInRange:
    adoption_rate: Decimal | None  # None: no weekly review in the range
    weekly_net: Decimal | None  # None: no review at all in the range
    weeks_reviewed: int
    weeks_in_range: int


def actual_in_range(use_case_id: int, month_range, net_value: Decimal, has_data: bool):
    """Active adoption (Σ active ÷ Σ target, one aggregate query) and the net value per week of
    the range."""
    agg = WeeklyReview.objects.filter(
        use_case_id=use_case_id,
        month_start__gte=month_range.start,
        month_start__lte=month_range.end,
    ).aggregate(active=Sum("active_users"), target=Sum("target_users"), n=Count("pk"))
    weeks_in_range = sum(
        len(economics.iso_weeks_of_month(m.year, m.month)) for m in month_range.months
    )
    adoption = economics.adoption_rate(agg["active"], agg["target"]) if agg["target"] else None
    with _exact():
        weekly_net = net_value / weeks_in_range if has_data and weeks_in_range else None
    return ActualInRange(adoption, weekly_net, agg["n"] or 0, weeks_in_range)


def scenario_rows(forecasts, actual: ActualInRange) -> list[ScenarioRow]:
    return [
        ScenarioRow(
            label=SCENARIO_LABELS[f.scenario],
            forecast=f,
            adoption_met=(
                None if actual.adoption_rate is None else actual.adoption_rate >= f.adoption
            ),
            net_met=None if actual.weekly_net is None else actual.weekly_net >= f.weekly_net,
        )
        for f in forecasts
    ]


# --- flags and gates ------------------------------------------------------------------------------


#: The use case's open flags, newest first, and its latest resolved ones (one more than shown,
#: to know whether there are more), each compiled once (``usecases.prepared_sql``: building and
#: compiling them cost more CPU than the rest of the flags' work).
OPEN_FLAGS = PreparedQuery(
    lambda use_case_id: (
        Flag.objects.open()
        .filter(use_case_id=use_case_id)
        .select_related("rule")
        .order_by("-raised_at", "-pk")
    ),
    use_case_id=int,
)
RESOLVED_FLAGS = PreparedQuery(
    lambda use_case_id: (
        Flag.objects.filter(use_case_id=use_case_id, resolved_at__isnull=False)
        .select_related("rule", "resolved_by")
        .order_by("-resolved_at", "-pk")[: RESOLVED_FLAGS_SHOWN + 1]
    ),
    use_case_id=int,
)


def use_case_flags(use_case_id: int) -> tuple[list[Flag], list[Flag], bool]:
    """(open flags, the latest resolved ones, whether more were resolved). Two queries."""
    open_flags = OPEN_FLAGS(use_case_id=use_case_id)
    resolved = RESOLVED_FLAGS(use_case_id=use_case_id)
    for flag in [*open_flags, *resolved]:
        flag.observed_display, flag.threshold_display = flag_figures(flag)
        flag.kind_help = FLAG_KIND_HELP.get(flag.kind, "")
        flag.historical_sentence = lookback.flag_sentence(flag) if flag.historical else ""
    return open_flags, resolved[:RESOLVED_FLAGS_SHOWN], len(resolved) > RESOLVED_FLAGS_SHOWN


def use_case_gate_items(use_case_id: int) -> list[GateItem]:
    """The use case's items on stage-gate agendas, newest gate first, with their decisions
    (one query) and, for those a closed gate left without an outcome or a decision, why and
    where they went (``item.undecided``, ``stagegates.selectors.undecided_of_use_case``: one
    more query then). Anyone who may see the use case may see them
    (``stagegates.permissions``)."""
    items = list(
        GateItem.objects.on_agenda()
        .filter(use_case_id=use_case_id)
        .select_related("gate", "decision", "decision__decided_by")
        .order_by("-gate__opens_on", "-pk")
    )
    undecided = undecided_of_use_case(items)
    for item in items:
        item.undecided = undecided.get(item.pk)
    return items


# --- the page and its sections ----------------------------------------------------------------


def _presets(today: datetime.date) -> list[dict]:
    end = dashboard.default_range(today).end
    return [
        {
            "label": f"Last {n} months",
            "range": dashboard.MonthRange(economics.add_months(end, -(n - 1)), end),
        }
        for n in PRESET_MONTHS
    ]


def review_span(weekly: list[dict], monthly: list[dict], month_range) -> tuple[Month, Month]:
    """The months from the first to the last review, widened to the chosen range."""
    starts, ends = [month_range.start], [month_range.end]
    for rows in (weekly, monthly):
        if rows:
            months = [rows[0]["month_start"], rows[-1]["month_start"]]
            starts.append(min(months))
            ends.append(max(months))
    return min(starts), max(ends)


def _latest_review(model):
    return Subquery(
        model.objects.filter(use_case_id=OuterRef("pk"))
        .order_by("-month_start")
        .values("month_start")[:1]
    )


def _page_reads(use_case_id: int, monday: datetime.date, sunday: datetime.date, week: str):
    return UseCase.objects.filter(pk=use_case_id).values_list(
        *so_far_columns(monday, sunday, week),
        _latest_review(WeeklyReview),
        _latest_review(MonthlyReview),
    )


#: What the page reads of the use case beyond its fetch, in one statement compiled once
#: (``usecases.prepared_sql``; compiling these seven subqueries into every page's fetch of the
#: use case cost more than the query, measured with ``make bench``): the running week's
#: telemetry so far (``telemetry_figures.so_far_columns``) and the month of the latest weekly
#: and monthly review (the "latest months with reviews" link when the range has none).
PAGE_READS = PreparedQuery(
    _page_reads, use_case_id=int, monday=datetime.date, sunday=datetime.date, week=str
)


@dataclass(frozen=True)
class PageReads:
    so_far: WeekSoFar | None
    latest_review_month: Month | None


def page_reads(use_case_id: int, today: datetime.date) -> PageReads:
    """``PAGE_READS`` of the use case (one query)."""
    week, monday, sunday = running_week(today)
    row = PAGE_READS(use_case_id=use_case_id, monday=monday, sunday=sunday, week=week)[0]
    return PageReads(
        so_far=week_so_far_of(row[:5], today),
        latest_review_month=max((m for m in row[5:] if m), default=None),
    )


def measured_so_far(use_case, so_far: WeekSoFar | None) -> dict | None:
    """The running week's measured adoption so far (``page_reads``) against the stop-loss
    adoption threshold, for a use case with telemetry; None without telemetry. One query (the
    thresholds) with telemetry, none without.

    Adoption so far is the week's distinct measured users ÷ the use case's target users; the
    first effective ``adoption_rate`` rule is the threshold shown. It judges nothing: the rules
    judge the confirmed review."""
    if so_far is None:
        return None
    target = use_case.target_users
    adoption = economics.adoption_rate(so_far.active_users, target) if target else None
    threshold = next(
        (t for t in use_case_thresholds(use_case.pk) if t.metric == Metric.ADOPTION_RATE), None
    )
    return {
        "figures": so_far,
        "target_users": target,
        "adoption": adoption,
        "threshold": threshold,
        "below": bool(threshold and adoption is not None and threshold.breached_by(adoption)),
        # The bar's lengths (an SVG 100 wide): the page's CSP allows no inline style.
        "bar": _chart_number(min(adoption, Decimal(1)), scale=100) if adoption is not None else 0,
        "mark": _chart_number(min(threshold.threshold, Decimal(1)), scale=100)
        if threshold and threshold.comparison == Comparison.FALLS_BELOW
        else None,
    }


def use_case_page_data(*, user, use_case, month_range, latest_review_month=None) -> dict:
    """The page's first paint beyond the facts: the header's figures and actions, the flags and
    the value section (CFO figures, 90-day figure, waterfall, month by month) for the range.
    ``use_case`` comes from ``get_prepared_use_case_for_user``. The rest loads as sections
    (``portfolio.use_case_sections``)."""
    business_case = selectors.business_case_of(use_case)
    econ = use_case_economics(
        use_case, start=month_range.start, end=month_range.end, business_case=business_case
    )
    has_data = bool(econ.by_month)
    bars = dashboard.portfolio_waterfall([econ.waterfall])
    open_flags, resolved_flags, more_resolved = use_case_flags(use_case.pk)
    latest = None if has_data else latest_review_month
    months = value_months(month_range, econ.by_month)
    return {
        "suggested_range": (
            None
            if latest is None
            else dashboard.MonthRange(
                economics.add_months(latest, -(dashboard.DEFAULT_MONTHS - 1)), latest
            )
        ),
        "has_business_case": business_case.pk is not None,
        "reclaimable_share": business_case.inputs().reclaimable_share,
        "economics": econ,
        "value_months": months,
        "value_month_rows": page_html.month_rows(months),
        "ninety_months": page_html.month_list(econ.net_value_90_days.months),
        "has_data": has_data,
        "waterfall": bars,
        "waterfall_rows": page_html.waterfall_rows(bars),
        "open_flags": open_flags,
        "resolved_flags": resolved_flags,
        "more_resolved_flags": more_resolved,
        "charts": waterfall_chart_data(bars),
        "can_submit": can_submit_review(user, use_case),
        "can_import": can_import_reviews(user, use_case),
        "can_resolve": can_resolve_flags(user),
    }


@dataclass(frozen=True)
class ReviewData:
    """The use case's reviews as the trends, scenarios and reviews sections read them."""

    bc: economics.BusinessCaseInputs
    monthly: list[dict]  # newest first
    weeks: list[WeekRow]  # oldest first
    per_month: dict  # month → PeriodTotals, from the first review to the last (and the range)


def review_data(use_case, *, thresholds: list[Threshold], month_range) -> ReviewData:
    """Weekly and monthly reviews with their figures, each week's net value from its month's
    costs. Four queries (monthly reviews, weekly reviews, weekly and monthly sums per month)."""
    bc = selectors.business_case_inputs(use_case)
    monthly = list(
        MonthlyReview.objects.filter(use_case_id=use_case.pk)
        .order_by("-month_start")
        .values("pk", "month", "month_start", "updated_by__username", "updated_at")
    )
    weekly = weekly_review_values(use_case.pk)
    start, end = review_span(weekly, monthly, month_range)
    per_month = monthly_totals(start=start, end=end, use_case_ids=[use_case.pk]).get(
        use_case.pk, {}
    )
    reviewed_months = {row["month_start"] for row in monthly}
    month_costs = {m: t.costs for m, t in per_month.items() if m in reviewed_months}
    weeks = week_rows(weekly, bc=bc, month_costs=month_costs, thresholds=thresholds)
    return ReviewData(bc=bc, monthly=monthly, weeks=weeks, per_month=per_month)


def trends_data(*, user, use_case, month_range) -> dict:
    """KPI trends: the four weekly KPIs with the thresholds that apply and the model/prompt
    changes (three queries: rules, weekly reviews, change log)."""
    thresholds = use_case_thresholds(use_case.pk)
    weeks = week_rows(
        weekly_review_values(use_case.pk),
        bc=selectors.business_case_inputs(use_case),
        month_costs={},  # the trends show no money
        thresholds=thresholds,
    )
    model_changes = list(selectors.model_changes_list(use_case=use_case))
    return {
        "thresholds": thresholds,
        "weeks": list(reversed(weeks)),
        "kpis": WEEKLY_KPIS,
        "charts": kpi_chart_data(weeks=weeks, thresholds=thresholds, model_changes=model_changes),
        "reviews_due": use_case.stage in REVIEW_STAGES,
        "can_submit": can_submit_review(user, use_case),
        "can_manage_policy": can_manage_policy(user),
    }


def scenarios_data(*, user, use_case, month_range) -> dict:
    """Actual against the business case scenarios over the range (six queries)."""
    business_case = selectors.business_case_of(use_case)
    data = review_data(use_case, thresholds=[], month_range=month_range)
    by_month, figures = range_figures(
        data.per_month, data.bc, start=month_range.start, end=month_range.end
    )
    forecasts = economics.scenario_forecasts(data.bc)
    actual = actual_in_range(use_case.pk, month_range, figures.net_value, bool(by_month))
    return {
        "has_scenarios": business_case.pk is not None and business_case.has_scenarios,
        "weeks": list(reversed(data.weeks)),
        "scenarios": scenario_rows(forecasts, actual),
        "actual": actual,
        "charts": scenario_chart_data(
            weeks=data.weeks,
            forecasts=forecasts,
            model_changes=selectors.model_changes_list(use_case=use_case),
        ),
        "can_edit_business_case": can_edit_business_case(user, use_case),
    }


def reviews_data(*, user, use_case, month_range) -> dict:
    """The weekly and monthly reviews with their figures (five queries)."""
    data = review_data(
        use_case, thresholds=use_case_thresholds(use_case.pk), month_range=month_range
    )
    weeks_per_month: dict[Month, int] = {}
    for row in data.weeks:  # counts the rows already read; no query
        weeks_per_month[row.month_start] = weeks_per_month.get(row.month_start, 0) + 1
    month_rows = []
    for row in data.monthly:
        month = row["month_start"]
        totals = data.per_month.get(month, economics.PeriodTotals())
        month_rows.append(
            MonthRow(
                pk=row["pk"],
                month=row["month"],
                month_start=month,
                costs=totals.costs,
                figures=money.Figures.of_period(totals, data.bc),
                weeks_reviewed=weeks_per_month.get(month, 0),
                weeks_in_month=len(economics.iso_weeks_of_month(month.year, month.month)),
                updated_by=row["updated_by__username"],
                updated_at=row["updated_at"],
            )
        )
    return {
        "weeks": list(reversed(data.weeks)),
        "months": month_rows,
        "reviews_due": use_case.stage in REVIEW_STAGES,
        "can_submit": can_submit_review(user, use_case),
        "can_import": can_import_reviews(user, use_case),
    }


def gates_data(*, user, use_case, month_range) -> dict:
    """The use case's stage-gate items and decisions (one or two queries)."""
    return {"gate_items": use_case_gate_items(use_case.pk)}


def changes_data(*, user, use_case, month_range) -> dict:
    """The change log with each entry's impact before and after
    (``reviews.change_impact.use_case_changes``) and the changes proposed from telemetry
    waiting for a decision: five queries whatever the number of changes."""
    changes = use_case_changes(use_case.pk)
    return {
        "change_rows": changes.rows(),
        "proposed": changes.proposed,
        "can_log_model_change": can_log_model_change(user, use_case),
        "can_decide_proposals": can_decide_proposed_change(user, use_case),
    }


def panel_data(panel: str):
    """A panel of the use case's own (``usecases.selectors.USE_CASE_PANELS``) as a section."""

    def data(*, user, use_case, month_range) -> dict:
        return selectors.use_case_page_context(user=user, use_case=use_case, panels=[panel])

    return data


def value_months(month_range, by_month) -> list[tuple[datetime.date, money.Figures | None]]:
    """Every month of the range with its rounded figures, None for a month without a review
    (shown as "—", not as zeros)."""
    given = dict(by_month)
    return [(month, given.get(month)) for month in month_range.months]


def range_query(month_range) -> str:
    """The range as the query string a section's URL carries."""
    return f"start={month_range.start_param}&end={month_range.end_param}"


@login_required
@require_GET
def use_case_page(request, pk):
    """The use case page: header, section index, facts, flags and the value section; the other
    sections load as they scroll into view (``portfolio.use_case_sections``), each from its own
    URL. 404 for who may not see the use case (``get_prepared_use_case_for_user``)."""
    from .use_case_sections import SECTIONS  # the sections name this module's data functions

    user = request.user
    today = clock.today()
    use_case = get_prepared_use_case_for_user(user, pk)
    month_range, range_errors = dashboard.month_range_from_params(request.GET, today=today)
    context = selectors.use_case_page_context(
        user=user,
        use_case=use_case,
        panels=[],
        contributors=selectors.CONTRIBUTORS(use_case_id=use_case.pk),
    )
    reads = page_reads(use_case.pk, today)
    context.update(
        use_case_page_data(
            user=user,
            use_case=use_case,
            month_range=month_range,
            latest_review_month=reads.latest_review_month,
        )
    )
    query = range_query(month_range)
    sections = [s.link(use_case.pk, query) for s in SECTIONS.values()]
    page_url = reverse_int("usecases:detail", use_case.pk)
    presets = _presets(today)
    context.update(
        {
            "month_range": month_range,
            "page_url": page_url,
            "range_errors": range_errors,
            "presets": presets,
            "preset_links": page_html.preset_links(page_url, presets, month_range),
            "currency": settings.VALUEGATE_CURRENCY,
            "sections": sections,
            "section_placeholders": page_html.section_placeholders(sections),
            "section_index": page_html.section_index(sections),
            "so_far": measured_so_far(use_case, reads.so_far),
        }
    )
    return render(request, "portfolio/use_case.html", context)
