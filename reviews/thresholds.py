"""The stop-loss thresholds that apply to a use case, as pages show them and check weeks against
(the gate pack and the use case page): the one ``Threshold`` and the one weekly trend builder.

A ``Threshold`` wraps an effective ``StopLossRule`` (``stoploss.effective_rules``: the use case's
own rules, then the default policy on the metrics it does not override), in metric order.
``weekly_trend`` runs the engine's per-week formulas over weekly reviews and marks the metrics
that breach a threshold each week.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from usecases import economics

from .breaches import breaches, effective_rules
from .metric_format import format_value
from .models import (
    FRACTION_METRICS,
    WEEK_FIGURE_FIELDS,
    Comparison,
    Metric,
    StopLossRule,
    week_figures,
)

#: The weekly review values ``weekly_trend`` reads (a ``.values()`` row or a review's ``__dict__``).
TREND_FIELDS = ("week", "week_start", "month_start", *WEEK_FIGURE_FIELDS, "quality_score")


@dataclass(frozen=True)
class Threshold:
    """An effective stop-loss rule of a use case."""

    rule: StopLossRule

    @property
    def metric(self) -> str:
        return self.rule.metric

    @property
    def label(self) -> str:
        return Metric(self.rule.metric).label

    @property
    def comparison(self) -> str:
        return self.rule.comparison

    @property
    def threshold(self) -> Decimal:
        return self.rule.threshold

    @property
    def consecutive_weeks(self) -> int:
        return self.rule.consecutive_weeks

    @property
    def action(self) -> str:
        return self.rule.action

    @property
    def is_override(self) -> bool:
        """An override of this use case, not the default policy."""
        return self.rule.use_case_id is not None

    @property
    def is_fraction(self) -> bool:
        return self.rule.metric in FRACTION_METRICS

    @property
    def is_weekly(self) -> bool:
        return self.rule.metric != Metric.NET_VALUE

    @property
    def side(self) -> str:
        return "above" if self.rule.comparison == Comparison.EXCEEDS else "below"

    @property
    def comparison_text(self) -> str:
        return "exceeds" if self.rule.comparison == Comparison.EXCEEDS else "falls below"

    @property
    def threshold_text(self) -> str:
        return format_value(self.rule.metric, self.rule.threshold, exact=True)

    def breached_by(self, value: Decimal | None) -> bool:
        return value is not None and breaches(value, self.rule.comparison, self.rule.threshold)


def applicable_thresholds(rules: Iterable[StopLossRule], use_case_id: int) -> list[Threshold]:
    """The thresholds of ``use_case_id`` among ``rules`` (which may hold other use cases' rules),
    in metric order, then by rule id."""
    metric_order = list(Metric.values)
    applying = sorted(
        effective_rules(use_case_id, rules), key=lambda r: (metric_order.index(r.metric), r.pk)
    )
    return [Threshold(rule) for rule in applying]


def use_case_thresholds(use_case_id: int) -> list[Threshold]:
    """The thresholds of one use case (one query)."""
    rules = StopLossRule.objects.filter(
        Q(use_case__isnull=True) | Q(use_case_id=use_case_id), active=True
    )
    return applicable_thresholds(rules, use_case_id)


@dataclass(frozen=True)
class TrendWeek:
    """One weekly review's KPIs (the engine's formulas at the use case's H) and the metrics that
    breach a threshold that week (sorted)."""

    week: str
    week_start: datetime.date
    month_start: datetime.date
    metrics: economics.WeekMetrics
    quality_score: Decimal
    breaches: tuple[str, ...]

    def value(self, metric: str) -> Decimal:
        return _kpi(self.metrics, self.quality_score, metric)

    @property
    def adoption_rate(self) -> Decimal:
        return self.metrics.adoption_rate

    @property
    def rework_rate(self) -> Decimal:
        return self.metrics.rework_rate

    @property
    def exception_share(self) -> Decimal:
        return self.metrics.exception_share


def _kpi(metrics: economics.WeekMetrics, quality_score: Decimal, metric: str) -> Decimal:
    if metric == Metric.QUALITY_SCORE:
        return quality_score
    return getattr(metrics, metric)


def trend_week(row: Mapping, *, hourly_cost, thresholds: Iterable[Threshold]) -> dict:
    """The ``TrendWeek`` fields of one weekly review (``row`` holds ``TREND_FIELDS``), as keyword
    arguments (for ``TrendWeek`` or a dataclass extending it)."""
    metrics = economics.week_metrics(week_figures(row), hourly_cost)
    quality = row["quality_score"]
    breached = {
        t.metric
        for t in thresholds
        if t.is_weekly and t.breached_by(_kpi(metrics, quality, t.metric))
    }
    return {
        "week": row["week"],
        "week_start": row["week_start"],
        "month_start": row["month_start"],
        "metrics": metrics,
        "quality_score": quality,
        "breaches": tuple(sorted(breached)),
    }


def weekly_trend(
    rows: Iterable[Mapping], *, hourly_cost, thresholds: Iterable[Threshold]
) -> list[TrendWeek]:
    """The ``TrendWeek`` of each weekly review, oldest week first."""
    thresholds = list(thresholds)
    return [
        TrendWeek(**trend_week(row, hourly_cost=hourly_cost, thresholds=thresholds))
        for row in sorted(rows, key=lambda row: row["week_start"])
    ]
