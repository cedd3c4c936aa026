"""Stop-loss rules against a use case's points: which rules apply, whether a value breaches a
threshold, and whether a rule fires at the latest point (``rule_breach``). Pure: no query.

Semantics (DESIGN.md "Stop-loss rules"; decisions where it is silent are marked *):

- Effective rules of a use case: its own *active* rules, plus the default policy's active rules
  on every metric it has no active rule of its own for (an override replaces the default rule(s)
  on the same metric; * an inactive override does not).
- "exceeds" is strictly greater, "falls below" strictly less: the threshold itself is no breach.
- Consecutive weeks count submitted weeks only: the last N submitted weekly reviews up to and
  including the evaluated one must all breach (a missing week neither breaks nor extends the
  run). * For ``net_value`` the field counts months: the last N months *with a monthly review*.
- Grace: a week whose Monday (a month whose 1st) falls before ``live_since + 7 × grace_weeks``
  days neither fires nor counts toward a run. * A use case without ``live_since`` has no grace.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .metric_format import comparison_verb, format_value, observed_text
from .models import Comparison, Metric, StopLossRule
from .points import Point

#: The metrics judged on weekly reviews (``net_value`` is judged on months).
WEEKLY_METRICS = (
    Metric.REWORK_RATE,
    Metric.ADOPTION_RATE,
    Metric.EXCEPTION_SHARE,
    Metric.QUALITY_SCORE,
)


def effective_rules(use_case_id: int, rules: Iterable[StopLossRule]) -> list[StopLossRule]:
    """The rules that apply to a use case: its own active rules, then the active default rules
    on metrics it does not override. ``rules`` may hold other use cases' rules (ignored)."""
    rules = list(rules)
    own = [r for r in rules if r.use_case_id == use_case_id and r.active]
    overridden = {r.metric for r in own}
    defaults = [
        r for r in rules if r.use_case_id is None and r.active and r.metric not in overridden
    ]
    return own + defaults


def breaches(value: Decimal, comparison: str, threshold: Decimal) -> bool:
    """Does ``value`` breach ``threshold``? Strict: the threshold itself never breaches."""
    if comparison == Comparison.EXCEEDS:
        return value > threshold
    if comparison == Comparison.FALLS_BELOW:
        return value < threshold
    raise ValueError(f"unknown comparison {comparison!r}")


def grace_end(rule: StopLossRule, live_since: datetime.date | None) -> datetime.date | None:
    """The first day a period may start on to fire (None: no grace applies)."""
    if live_since is None:
        return None
    try:
        return live_since + datetime.timedelta(days=7 * rule.grace_weeks)
    except OverflowError:  # grace beyond the calendar: the rule never fires
        return datetime.date.max


def in_grace(rule: StopLossRule, point: Point, live_since: datetime.date | None) -> bool:
    end = grace_end(rule, live_since)
    return end is not None and point.start < end


@dataclass(frozen=True)
class Breach:
    rule: StopLossRule
    run: tuple[Point, ...]  # the breaching periods, oldest first; the last one is evaluated

    @property
    def point(self) -> Point:
        return self.run[-1]

    @property
    def observed(self) -> Decimal:
        return self.point.value(self.rule.metric)

    @property
    def period(self) -> str:
        return self.point.period

    def explanation(self) -> str:
        rule, n = self.rule, len(self.run)
        label = rule.get_metric_display()
        threshold = format_value(rule.metric, rule.threshold, exact=True)
        side = "above" if rule.comparison == Comparison.EXCEEDS else "below"
        unit = "month" if rule.metric == Metric.NET_VALUE else "week"
        if n == 1:
            text = (
                f"{label} was {self._fmt(self.observed)} in {self.period}, {side} the stop-loss "
                f"threshold of {threshold}."
            )
        else:
            which = (
                "months with a monthly review" if unit == "month" else "submitted weekly reviews"
            )
            values = ", ".join(f"{p.period}: {self._fmt(p.value(rule.metric))}" for p in self.run)
            text = f"{label} was {side} {threshold} in each of the last {n} {which} ({values})."
        scope = "default policy" if rule.use_case_id is None else "override for this use case"
        grace = f" after {rule.grace_weeks} grace weeks" if rule.grace_weeks else ""
        return (
            f"{text} Rule ({scope}): {label.lower()} {comparison_verb(rule.comparison)} "
            f"{threshold} for {rule.consecutive_weeks} consecutive {unit}"
            f"{'s' if rule.consecutive_weeks != 1 else ''}{grace} → "
            f"{rule.get_action_display().lower()}."
        )

    def summary(self) -> str:
        """``rework rate 19.0% exceeds 15.0% in 2026-W47`` (for titles and audit reasons)."""
        rule = self.rule
        return (
            f"{rule.get_metric_display().lower()} {self._fmt(self.observed)} "
            f"{comparison_verb(rule.comparison)} "
            f"{format_value(rule.metric, rule.threshold, exact=True)} in {self.period}"
        )

    def _fmt(self, value: Decimal) -> str:
        return observed_text(self.rule, value)


def rule_breach(
    rule: StopLossRule, points: Sequence[Point], *, live_since: datetime.date | None
) -> Breach | None:
    """Whether ``rule`` fires at the last of ``points`` (the submitted periods up to and including
    the evaluated one, oldest first): the last ``consecutive_weeks`` of them are all out of grace
    and all breach."""
    n = rule.consecutive_weeks
    if n < 1 or len(points) < n:
        return None
    run = tuple(points[-n:])
    for point in run:
        if in_grace(rule, point, live_since):
            return None
        if not breaches(point.value(rule.metric), rule.comparison, rule.threshold):
            return None
    return Breach(rule=rule, run=run)


def weekly_limit(rules: Iterable[StopLossRule]) -> int:
    """How many weeks the weekly-metric rules look at, at most."""
    return max([r.consecutive_weeks for r in rules if r.metric in WEEKLY_METRICS] + [0])


def monthly_limit(rules: Iterable[StopLossRule]) -> int:
    """How many months the net-value rules look at, at most."""
    return max([r.consecutive_weeks for r in rules if r.metric == Metric.NET_VALUE] + [0])
