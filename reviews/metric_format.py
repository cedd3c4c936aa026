"""Metric values and comparisons in words, for flag explanations and pages: rates as
percentages, quality as points, net value as money."""

from __future__ import annotations

from decimal import Decimal

from usecases.templatetags.money import money, percent

from .models import FRACTION_METRICS, Comparison, Metric, StopLossRule


def places_for(rule: StopLossRule) -> int:
    """Percent places that show the rule's threshold exactly (1–3)."""
    if rule.metric not in FRACTION_METRICS:
        return 1
    places = 1
    while places < 3 and (rule.threshold * 100) != round(rule.threshold * 100, places):
        places += 1
    return places


def comparison_verb(comparison: str) -> str:
    return "exceeds" if comparison == Comparison.EXCEEDS else "falls below"


def format_value(metric: str, value: Decimal | None, *, places: int = 1, exact=False) -> str:
    """A metric value in words: rates as percentages, quality as points, net value as money."""
    if value is None:
        return "—"
    if metric in FRACTION_METRICS:
        if exact:
            places = 1
            while places < 3 and (value * 100) != round(value * 100, places):
                places += 1
        return percent(value, places)
    if metric == Metric.QUALITY_SCORE:
        return f"{value:.1f}" if not exact else f"{value.normalize():f}"
    return money(value)


def rule_text(rule: StopLossRule) -> str:
    """``Rework rate exceeds 12.0% (default policy)``: a rule as the policy pages say it."""
    scope = rule.use_case.name if rule.use_case_id else "default policy"
    threshold = format_value(rule.metric, rule.threshold, exact=True)
    return f"{rule.get_metric_display()} {comparison_verb(rule.comparison)} {threshold} ({scope})"
