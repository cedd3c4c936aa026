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
- The model/prompt changes effective since the quarter's first day, each with its impact before
  and after (``reviews.change_impact``: the use case page's table, the same selector).

``build_packs`` assembles packs for many items in a fixed number of queries (SQL aggregation via
``reviews.selectors.monthly_totals`` and one aggregate of the weekly adoption); ``detail=True``
adds the weekly trend and the checklist evidence (a few more queries, still constant).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from reviews.change_impact import ChangeImpact, change_impacts
from reviews.models import (
    Flag,
    FlagKind,
    MonthlyReview,
    StopLossRule,
    WeeklyReview,
)
from reviews.selectors import monthly_totals
from reviews.thresholds import (
    TREND_FIELDS,
    Threshold,
    TrendWeek,
    applicable_thresholds,
    weekly_trend,
)
from usecases import clock, economics, money
from usecases.models import ChecklistAnswer, ModelChange, Stage
from usecases.selectors import business_case_inputs

from .checklist import ChecklistStatusLine, checklist_status
from .decisions import BLOCKING_ITEMS, Blocker, blockers_from
from .models import Gate, GateItem
from .recommendation import Recommendation, RecommendationFacts, recommend

Month = datetime.date
TREND_LIMIT = 30  # weeks shown in the trend table


@dataclass(frozen=True)
class WaterfallRow:
    label: str
    leakage_point: str | None
    amount: Decimal
    is_total: bool


def quarter_window(gate: Gate) -> list[Month]:
    """First days of the three complete months before ``gate.opens_on``, oldest first."""
    return [economics.add_months(gate.opens_on, -n) for n in (3, 2, 1)]


def weeks_in(months: list[Month]) -> int:
    """How many ISO weeks belong to these months (a week belongs to its Thursday's month)."""
    return sum(len(economics.iso_weeks_of_month(m.year, m.month)) for m in months)


@dataclass(frozen=True)
class MonthLine:
    month: Month
    figures: money.Figures
    has_monthly_review: bool
    has_data: bool = True  # a weekly or a monthly review of the month (else shown as "—")

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
class ChangeLine:
    """A change-log entry in the pack, with its impact."""

    version_label: str
    kind_label: str
    effective_date: datetime.date
    impact: ChangeImpact


def change_lines(ids: list[int], since: datetime.date) -> dict[int, list[ChangeLine]]:
    """``{use_case_id: [ChangeLine]}``: the changes effective on or after ``since``, oldest
    first, with their impact (every change of the use cases is read: the next change ends a
    change's weeks after). Four queries whatever the number of changes."""
    changes = list(ModelChange.objects.filter(use_case_id__in=ids).order_by("effective_date", "pk"))
    impacts = change_impacts(changes)
    lines: dict[int, list[ChangeLine]] = defaultdict(list)
    for change in changes:
        if change.effective_date >= since:
            lines[change.use_case_id].append(
                ChangeLine(
                    change.version_label,
                    change.get_kind_display(),
                    change.effective_date,
                    impacts[change.pk],
                )
            )
    return lines


@dataclass
class GatePack:
    item: GateItem
    months: list[MonthLine]
    figures: money.Figures
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
    trend: list[TrendWeek] = field(default_factory=list)
    checklist: list[ChecklistStatusLine] = field(default_factory=list)
    changes: list[ChangeLine] = field(default_factory=list)

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
            WaterfallRow(s.explained_label, s.leakage_point, s.amount, s.is_total)
            for s in self.waterfall
        ]

    @property
    def open_stop_loss(self) -> list[Flag]:
        return [f for f in self.open_flags if f.kind == FlagKind.STOP_LOSS]

    @property
    def open_signals(self) -> list[Flag]:
        """The open early-warning signals (every open flag that is not a stop-loss breach)."""
        return [f for f in self.open_flags if f.kind != FlagKind.STOP_LOSS]


def _ninety_months(scaled_on) -> list[Month]:
    if scaled_on is None:
        return []
    return [economics.month_start(m) for m in economics.ninety_day_months(scaled_on)]


def build_packs(
    items: list[GateItem], gate: Gate, *, detail: bool = False, today: datetime.date | None = None
) -> dict[int, GatePack]:
    """``{item_id: GatePack}`` for ``items`` of ``gate``.

    ``items`` must come with ``use_case`` and ``use_case__business_case`` selected. Queries:
    monthly_totals (2), months with a monthly review (1), weekly adoption (1), open flags (1),
    checklist answers of ``no`` (1); with ``detail``: stop-loss rules (1), weekly trend (1), the
    checklist status (8) and the changes with their impact (4).
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
    trend_reviews: dict[int, list[dict]] = defaultdict(list)
    checklists: dict[int, list[ChecklistStatusLine]] = {}
    changes: dict[int, list[ChangeLine]] = {}
    if detail:
        rules = list(
            StopLossRule.objects.filter(
                Q(use_case__isnull=True) | Q(use_case_id__in=ids), active=True
            )
        )
        for review in (
            WeeklyReview.objects.filter(
                use_case_id__in=ids, week_start__gte=window_start, week_start__lte=today
            )
            .order_by("use_case_id", "-week_start")
            .values("use_case_id", *TREND_FIELDS)
        ):
            if len(trend_reviews[review["use_case_id"]]) < TREND_LIMIT:
                trend_reviews[review["use_case_id"]].append(review)
        checklists = checklist_status(ids, today=today)
        changes = change_lines(ids, window_start)

    quarter_weeks = weeks_in(window)
    packs = {}
    for item in items:
        uc = item.use_case
        bc = business_case_inputs(uc)
        per_month = totals.get(uc.pk, {})
        months = [
            MonthLine(
                month=m,
                figures=money.Figures.of_period(per_month.get(m, economics.PeriodTotals()), bc),
                has_monthly_review=m in reviewed[uc.pk],
                has_data=m in per_month,
            )
            for m in window
        ]
        figures = money.total(line.figures for line in months)  # the sum of its rounded months
        ninety_net = {
            (m.year, m.month): money.Figures.of_period(
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
            at_scale=uc.stage == Stage.SCALED,
        )
        pack = GatePack(
            item=item,
            months=months,
            figures=figures,
            waterfall=figures.waterfall(),
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
            pack.trend = weekly_trend(
                trend_reviews[uc.pk], hourly_cost=bc.hourly_cost, thresholds=pack.thresholds
            )
            pack.checklist = checklists.get(uc.pk, [])
            pack.changes = changes.get(uc.pk, [])
        packs[item.pk] = pack
    return packs
