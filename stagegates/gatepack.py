"""The gate pack of an agenda item: what leadership reads before voting.

- The quarter: the three complete calendar months before the gate's ``opens_on`` (the freshest
  complete data when the gate opens; it does not move while the gate runs). Its three CFO figures
  (gross efficiency, absorption cost, net value, with the translation gap), month by month, and
  its value-leakage waterfall.
- The 90-day figure: net value over the three full months after ``scaled_on``.
- Adoption, rework, exception share and quality per week (from the quarter's first week to today)
  against the stop-loss thresholds that apply to the use case.
- Open flags with their explanations; the checklist with the data evidence; the scale blockers.
- Actual vs the three scenarios: the quarter's active adoption against each scenario's adoption,
  the quarter's net value against each scenario's weekly net × the quarter's weeks.
- The system's recommendation with its reasons (``stagegates.recommendation``).

``build_packs`` assembles packs for many items in a fixed number of queries (SQL aggregation via
``reviews.selectors.monthly_totals`` and one aggregate of the weekly adoption); ``detail=True``
adds the weekly trend and the checklist evidence (a few more queries, still constant).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from reviews.breaches import breaches, effective_rules
from reviews.models import (
    Comparison,
    Flag,
    FlagKind,
    Metric,
    MonthlyReview,
    StopLossRule,
    WeeklyReview,
)
from reviews.selectors import monthly_totals
from usecases import clock, economics
from usecases.models import BusinessCase, ChecklistAnswer

from .checklist import ChecklistStatusLine, checklist_status
from .decisions import BLOCKING_ITEMS, Blocker, blockers_from
from .models import Gate, GateItem
from .recommendation import Recommendation, RecommendationFacts, recommend

Month = datetime.date
TREND_LIMIT = 30  # weeks shown in the trend table
STEP_LABELS = {
    "pilot_promise": "Pilot promise",
    "adoption_gap": "Adoption gap (tasks done without AI)",
    "effort_gap": "Effort gap (fewer minutes saved than the pilot)",
    "gross_efficiency": "Gross efficiency",
    "translation_gap": "Translation gap (time saved that is not reclaimed)",
    "rework": "Rework",
    "integration": "Integration",
    "support": "Support",
    "training": "Training",
    "run": "Run (tokens, hosting)",
    "maintenance": "Maintenance",
    "other": "Other costs",
    "net_value": "Net value",
}


@dataclass(frozen=True)
class WaterfallRow:
    label: str
    leakage_point: str | None
    amount: Decimal
    is_total: bool


def quarter_window(gate: Gate) -> list[Month]:
    """First days of the three complete months before ``gate.opens_on``, oldest first."""
    year, month = gate.opens_on.year, gate.opens_on.month
    months = []
    for _ in range(3):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append(datetime.date(year, month, 1))
    return sorted(months)


def weeks_in(months: list[Month]) -> int:
    """How many ISO weeks belong to these months (a week belongs to its Thursday's month)."""
    return sum(len(economics.iso_weeks_of_month(m.year, m.month)) for m in months)


@dataclass(frozen=True)
class MonthLine:
    month: Month
    figures: economics.PeriodFigures
    has_monthly_review: bool

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


@dataclass(frozen=True)
class ScenarioLine:
    scenario: str
    adoption: Decimal
    weekly_net: Decimal
    quarter_net: Decimal  # weekly_net × the quarter's weeks
    actual_adoption: Decimal | None
    actual_net: Decimal

    @property
    def adoption_met(self) -> bool | None:
        return None if self.actual_adoption is None else self.actual_adoption >= self.adoption

    @property
    def net_met(self) -> bool:
        return self.actual_net >= self.quarter_net


@dataclass(frozen=True)
class Threshold:
    metric: str
    label: str
    comparison: str
    threshold: Decimal
    consecutive_weeks: int
    action: str
    specific: bool  # an override of this use case, not the default policy

    def breached_by(self, value) -> bool:
        return value is not None and breaches(value, self.comparison, self.threshold)

    @property
    def comparison_text(self) -> str:
        return "exceeds" if self.comparison == Comparison.EXCEEDS else "falls below"

    @property
    def is_fraction(self) -> bool:
        return self.metric in (Metric.REWORK_RATE, Metric.ADOPTION_RATE, Metric.EXCEPTION_SHARE)


@dataclass(frozen=True)
class TrendRow:
    week: str
    adoption_rate: Decimal
    rework_rate: Decimal
    exception_share: Decimal
    quality_score: Decimal
    breaches: tuple[str, ...]  # metrics breaching a threshold this week


@dataclass
class GatePack:
    item: GateItem
    months: list[MonthLine]
    figures: economics.PeriodFigures
    waterfall: list[economics.WaterfallStep]
    ninety_days: economics.NinetyDayValue
    adoption_rate: Decimal | None
    weeks_reviewed: int
    quarter_weeks: int
    scenarios: list[ScenarioLine]
    open_flags: list[Flag]
    blockers: list[Blocker]
    recommendation: Recommendation
    thresholds: list[Threshold] = field(default_factory=list)
    trend: list[TrendRow] = field(default_factory=list)
    checklist: list[ChecklistStatusLine] = field(default_factory=list)

    @property
    def use_case(self):
        return self.item.use_case

    @property
    def quarter_label(self) -> str:
        return f"{self.months[0].label} to {self.months[-1].label}"

    @property
    def months_reviewed(self) -> int:
        return sum(1 for m in self.months if m.has_monthly_review)

    @property
    def waterfall_rows(self) -> list[WaterfallRow]:
        return [
            WaterfallRow(STEP_LABELS.get(s.step, s.step), s.leakage_point, s.amount, s.is_total)
            for s in self.waterfall
        ]

    @property
    def open_stop_loss(self) -> list[Flag]:
        return [f for f in self.open_flags if f.kind == FlagKind.STOP_LOSS]


def _business_case(use_case) -> BusinessCase:
    try:
        return use_case.business_case
    except BusinessCase.DoesNotExist:
        return BusinessCase(use_case=use_case)


def _ninety_months(scaled_on) -> list[Month]:
    if scaled_on is None:
        return []
    return [datetime.date(y, m, 1) for y, m in economics.ninety_day_months(scaled_on)]


def applicable_thresholds(rules: list[StopLossRule], use_case_id: int) -> list[Threshold]:
    """The active rules that apply (``reviews.breaches.effective_rules``), by metric."""
    metric_order = list(Metric.values)
    applying = sorted(
        effective_rules(use_case_id, rules), key=lambda r: (metric_order.index(r.metric), r.pk)
    )
    return [
        Threshold(
            metric=r.metric,
            label=Metric(r.metric).label,
            comparison=r.comparison,
            threshold=r.threshold,
            consecutive_weeks=r.consecutive_weeks,
            action=r.action,
            specific=r.use_case_id is not None,
        )
        for r in applying
    ]


def build_packs(
    items: list[GateItem], gate: Gate, *, detail: bool = False, today: datetime.date | None = None
) -> dict[int, GatePack]:
    """``{item_id: GatePack}`` for ``items`` of ``gate``.

    ``items`` must come with ``use_case`` and ``use_case__business_case`` selected. Queries:
    monthly_totals (2), months with a monthly review (1), weekly adoption (1), open flags (1),
    checklist answers of ``no`` (1); with ``detail``: stop-loss rules (1), weekly trend (1) and the
    checklist status (8).
    """
    if not items:
        return {}
    today = today or clock.today()
    ids = [item.use_case_id for item in items]
    window = quarter_window(gate)
    window_start, window_end = window[0], window[-1]
    ninety = {item.use_case_id: _ninety_months(item.use_case.scaled_on) for item in items}
    all_months = [m for ms in ninety.values() for m in ms] + window
    start, end = min(all_months), max(all_months)

    totals = monthly_totals(start=start, end=end, use_case_ids=ids)
    reviewed: dict[int, set[Month]] = defaultdict(set)
    for uc_id, month in (
        MonthlyReview.objects.filter(
            use_case_id__in=ids, month_start__gte=start, month_start__lte=end
        )
        .order_by()
        .values_list("use_case_id", "month_start")
    ):
        reviewed[uc_id].add(month)
    adoption = {
        row["use_case_id"]: row
        for row in WeeklyReview.objects.filter(
            use_case_id__in=ids, month_start__gte=window_start, month_start__lte=window_end
        )
        .order_by()
        .values("use_case_id")
        .annotate(active=Sum("active_users"), target=Sum("target_users"), n=Count("pk"))
    }
    flags: dict[int, list[Flag]] = defaultdict(list)
    for flag in Flag.objects.open().filter(use_case_id__in=ids).order_by("-raised_at", "-pk"):
        flags[flag.use_case_id].append(flag)
    no_answers: dict[int, list[ChecklistAnswer]] = defaultdict(list)
    for answer in ChecklistAnswer.objects.filter(
        use_case_id__in=ids, item__in=BLOCKING_ITEMS, answer="no"
    ):
        no_answers[answer.use_case_id].append(answer)

    rules: list[StopLossRule] = []
    trend_reviews: dict[int, list[WeeklyReview]] = defaultdict(list)
    checklists: dict[int, list[ChecklistStatusLine]] = {}
    if detail:
        rules = list(
            StopLossRule.objects.filter(
                Q(use_case__isnull=True) | Q(use_case_id__in=ids), active=True
            )
        )
        for review in WeeklyReview.objects.filter(
            use_case_id__in=ids, week_start__gte=window_start, week_start__lte=today
        ).order_by("use_case_id", "-week_start"):
            if len(trend_reviews[review.use_case_id]) < TREND_LIMIT:
                trend_reviews[review.use_case_id].append(review)
        checklists = checklist_status(ids, today=today)

    quarter_weeks = weeks_in(window)
    packs = {}
    for item in items:
        uc = item.use_case
        bc = _business_case(uc).inputs()
        per_month = totals.get(uc.pk, {})
        months = [
            MonthLine(
                month=m,
                figures=economics.period_figures(per_month.get(m, economics.PeriodTotals()), bc),
                has_monthly_review=m in reviewed[uc.pk],
            )
            for m in window
        ]
        quarter_totals = sum(
            (per_month[m] for m in window if m in per_month), economics.PeriodTotals()
        )
        figures = economics.period_figures(quarter_totals, bc)
        ninety_net = {
            (m.year, m.month): economics.period_figures(
                per_month.get(m, economics.PeriodTotals()), bc
            ).net_value
            for m in ninety[uc.pk]
            if m in reviewed[uc.pk]
        }
        a = adoption.get(uc.pk)
        adoption_rate = (
            economics.adoption_rate(a["active"], a["target"]) if a and a["target"] else None
        )
        scenarios = [
            ScenarioLine(
                scenario=f.scenario,
                adoption=f.adoption,
                weekly_net=f.weekly_net,
                quarter_net=f.weekly_net * quarter_weeks,
                actual_adoption=adoption_rate,
                actual_net=figures.net_value,
            )
            for f in economics.scenario_forecasts(bc)
        ]
        open_flags = flags[uc.pk]
        stop_loss = [f for f in open_flags if f.kind == FlagKind.STOP_LOSS]
        blockers = blockers_from(stop_loss, no_answers[uc.pk])
        facts = RecommendationFacts(
            open_stop_loss=tuple(f"{f.explanation} ({f.period})" for f in stop_loss),
            monthly_net_values=tuple(
                line.figures.net_value if line.has_monthly_review else None for line in months
            ),
            month_labels=tuple(line.label for line in months),
            net_value=figures.net_value,
            adoption_rate=adoption_rate,
            adoption_pessimistic=bc.adoption_pessimistic,
            base_scenario_net=scenarios[1].quarter_net,
            scale_blockers=tuple(b.message for b in blockers),
        )
        pack = GatePack(
            item=item,
            months=months,
            figures=figures,
            waterfall=economics.waterfall(quarter_totals, bc),
            ninety_days=economics.net_value_90_days(uc.scaled_on, ninety_net),
            adoption_rate=adoption_rate,
            weeks_reviewed=a["n"] if a else 0,
            quarter_weeks=quarter_weeks,
            scenarios=scenarios,
            open_flags=open_flags,
            blockers=blockers,
            recommendation=recommend(facts),
        )
        if detail:
            pack.thresholds = applicable_thresholds(rules, uc.pk)
            pack.trend = _trend(trend_reviews[uc.pk], pack.thresholds, bc.hourly_cost)
            pack.checklist = checklists.get(uc.pk, [])
        packs[item.pk] = pack
    return packs


def _trend(reviews: list[WeeklyReview], thresholds: list[Threshold], hourly_cost) -> list[TrendRow]:
    rows = []
    for review in sorted(reviews, key=lambda r: r.week_start):
        metrics = economics.week_metrics(review.figures(), hourly_cost)
        values = {
            Metric.ADOPTION_RATE: metrics.adoption_rate,
            Metric.REWORK_RATE: metrics.rework_rate,
            Metric.EXCEPTION_SHARE: metrics.exception_share,
            Metric.QUALITY_SCORE: review.quality_score,
        }
        breaches = tuple(
            sorted({t.metric for t in thresholds if t.breached_by(values.get(t.metric))})
        )
        rows.append(
            TrendRow(
                week=review.week,
                adoption_rate=metrics.adoption_rate,
                rework_rate=metrics.rework_rate,
                exception_share=metrics.exception_share,
                quality_score=review.quality_score,
                breaches=breaches,
            )
        )
    return rows
