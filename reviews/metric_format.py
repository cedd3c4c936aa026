"""Metric values and comparisons in words, for flag explanations and pages: rates as
percentages, quality as points, net value as money."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from usecases.templatetags.money import money, percent

from .models import FRACTION_METRICS, Comparison, Flag, Metric, StopLossRule

_KEPT = Flag._meta.get_field("observed_value")
#: A flag keeps its observed value and threshold to this many places (4), of so many digits.
STORED_PLACES = _KEPT.decimal_places
STORED = Decimal(1).scaleb(-STORED_PLACES)
STORED_DIGITS = _KEPT.max_digits


def stored(value: Decimal | None) -> Decimal | None:
    """``value`` as a flag stores it (``STORED`` places, half up)."""
    return None if value is None else Decimal(value).quantize(STORED, rounding=ROUND_HALF_UP)


def observed_text(rule: StopLossRule, value: Decimal | None) -> str:
    """An observed value in words, wherever a flag of ``rule`` shows it (its explanation, its
    title, the Observed column, the consequences a form foresees, a withdrawal): the value as
    the flag stores it, with the places of the rule's threshold (``places_for``: 19.00% against
    15.25%) and, for a rate, as many more as it needs (573 ÷ 3229 reads 17.75% against 15.0%
    in each, not 17.7% in the sentence and 17.75% in the column)."""
    places = places_for(rule)
    # What a flag can keep; a larger value (a preview's) is shown as it is.
    if value is not None and value.is_finite() and value.adjusted() < STORED_DIGITS - STORED_PLACES:
        value = stored(value)
        if rule.metric in FRACTION_METRICS:
            places = percent_places(value, at_least=places)
    return format_value(rule.metric, value, places=places)


def percent_places(fraction: Decimal, *, at_least: int = 1) -> int:
    """The places (``at_least`` to 3) that show ``fraction`` as a percentage exactly, or 3."""
    places = at_least
    while places < 3 and fraction * 100 != round(fraction * 100, places):
        places += 1
    return places


def places_for(rule: StopLossRule) -> int:
    """Percent places that show the rule's threshold exactly (1–3)."""
    if rule.metric not in FRACTION_METRICS:
        return 1
    return percent_places(rule.threshold)


def comparison_verb(comparison: str) -> str:
    return "exceeds" if comparison == Comparison.EXCEEDS else "falls below"


def format_value(metric: str, value: Decimal | None, *, places: int = 1, exact=False) -> str:
    """A metric value in words: rates as percentages, quality as points, net value as money."""
    if value is None:
        return "—"
    if metric in FRACTION_METRICS:
        return percent(value, percent_places(value) if exact else places)
    if metric == Metric.QUALITY_SCORE:
        return f"{value:.1f}" if not exact else f"{value.normalize():f}"
    return money(value)


def rule_text(rule: StopLossRule) -> str:
    """``Rework rate exceeds 12.0% (default policy)``: a rule as the policy pages say it."""
    scope = rule.use_case.name if rule.use_case_id else "default policy"
    threshold = format_value(rule.metric, rule.threshold, exact=True)
    return f"{rule.get_metric_display()} {comparison_verb(rule.comparison)} {threshold} ({scope})"
