"""What a review does to its use case, in words: before it is saved (the preview) and after.

``of_unsaved(review, saved=...)``: the stop-loss rules and early-warning signals an unsaved
weekly or monthly review (a new one, or a correction of ``saved``) WOULD trigger. It runs the
evaluation of the save hook (``reviews.stoploss.judge``: the one loader, the rules, the
signals, the look-back) with the review laid over the rows read (``reviews.series.Overlay``),
keeps what is not flagged yet (``stoploss.new_candidates``) and words the stage/funding move
with ``usecases.transitions.plan``. It reads and writes nothing else: no transaction to roll
back.

``of_outcome(outcome, use_case)``: what the save actually did (``stoploss_effects.Outcome``).

A ``Consequence`` is ``{kind, rule, metric, period, observed, threshold, effect, message}``:

- ``kind``: ``stop_loss``, a signal's kind (``exceptions_growing`` …) or ``historical_breach``
  (a breach or signal at a period older than the look-back, ``reviews.lookback``);
- ``rule``: the rule key (``rule:<id>``) or the signal's kind;
- ``metric``: the rule's metric (None for signals);
- ``effect``: ``return_to_redesign`` (the flag moves the use case to redesign, funding
  conditional), ``flag`` (a stop-loss flag that moves nothing: a flag-only rule, or a use case
  not in rollout/scaled), ``signal`` (an early-warning flag) or ``none`` (historical: recorded,
  no flag, no stage change);
- for a correction (foreseen by the preview with ``withdrawals.foresee``, the code the save
  runs, in the future tense; after the save, what was done, in the past tense), ``kind``
  ``withdrawal``: the breach behind an open flag is gone, and ``effect`` says what follows
  (``reviews.withdrawals``): ``restored`` (flag resolved as
  withdrawn, stage and funding back to before it), ``pmo_to_resolve`` (something else changed
  the use case since: the flag stays open, marked, for the PMO) or ``withdrawn`` (the flag had
  moved nothing: resolved as withdrawn).
"""

from __future__ import annotations

import copy
import dataclasses
from decimal import Decimal

from usecases import clock, economics, transitions
from usecases.models import Funding, Stage, UseCase

from . import lookback, withdrawals
from .metric_format import comparison_verb, format_value, observed_text
from .models import (
    Comparison,
    FlagKind,
    MonthlyReview,
    RuleAction,
    StopLossRule,
    WeeklyReview,
    week_figures,
    weekly_period_dates,
)
from .points import week_point
from .series import Overlay, replace_week
from .stoploss import judge, new_candidates
from .stoploss_effects import Candidate, Outcome, WithdrawalEffect, who_is_notified
from .targets import Target, Trigger

EFFECT_RETURN_TO_REDESIGN = "return_to_redesign"
EFFECT_FLAG = "flag"
EFFECT_SIGNAL = "signal"
EFFECT_NONE = "none"
#: A correction removed the breach behind an open flag (``reviews.withdrawals``).
EFFECT_RESTORED = "restored"
EFFECT_PMO_TO_RESOLVE = "pmo_to_resolve"
EFFECT_WITHDRAWN = "withdrawn"
EFFECTS = (
    EFFECT_FLAG,
    EFFECT_RETURN_TO_REDESIGN,
    EFFECT_SIGNAL,
    EFFECT_NONE,
    EFFECT_RESTORED,
    EFFECT_PMO_TO_RESOLVE,
    EFFECT_WITHDRAWN,
)
HISTORICAL = "historical_breach"
WITHDRAWAL = "withdrawal"
KINDS = (*FlagKind.values, HISTORICAL, WITHDRAWAL)
_WITHDRAWAL_EFFECTS = {
    WithdrawalEffect.RESTORED: EFFECT_RESTORED,
    WithdrawalEffect.PMO_TO_RESOLVE: EFFECT_PMO_TO_RESOLVE,
    WithdrawalEffect.RESOLVED: EFFECT_WITHDRAWN,
}


@dataclasses.dataclass(frozen=True)
class Consequence:
    kind: str
    rule: str
    metric: str | None
    period: str
    observed: Decimal | None
    threshold: Decimal | None
    effect: str
    message: str
    comparison: str = ""  # the rule's (for marking figures; not in the API)


# --- before the save ---------------------------------------------------------------------------


def of_unsaved(review, *, saved=None, today=None) -> list[Consequence]:
    """What saving ``review`` (validated, not saved; ``saved``: the stored review it corrects)
    would trigger. ``review.use_case`` is the use case (its stage and value owner are read)."""
    today = today or clock.today()
    use_case = review.use_case
    if isinstance(review, WeeklyReview):
        target, overlay = _weekly(review, saved)
    elif isinstance(review, MonthlyReview):
        target, overlay = _monthly(review), _monthly_overlay(review)
    else:  # pragma: no cover - a programming error
        raise TypeError(f"not a review: {review!r}")
    candidates = judge({use_case.pk: target}, today=today, overlay=overlay)
    verb = "Saving the correction" if saved is not None else "Submitting"
    state: dict[int, UseCase] = {}
    found = []
    new = new_candidates(candidates)
    for candidate in new:
        row = state.setdefault(candidate.use_case.pk, copy.copy(candidate.use_case))
        found.append(_foreseen(candidate, row, verb))
    if saved is not None:
        # As the save: the rules first, then the withdrawals (``withdrawals.plan``), with the
        # stop-loss flags this correction raises open by then.
        pending = [
            withdrawals.Pending(c.rule_key, c.period)
            for c in new
            if c.kind == FlagKind.STOP_LOSS and not c.historical
        ]
        planned = withdrawals.foresee(review, saved=saved, overlay=overlay, pending=pending)
        found += [_withdrawal(p, withdrawals.foreseen_message(p, use_case)) for p in planned]
    return found


def _weekly(review: WeeklyReview, saved: WeeklyReview | None) -> tuple[Target, Overlay]:
    use_case = review.use_case
    week_start, month_start = weekly_period_dates(review.week)
    row = {name: getattr(review, name) for name in WeeklyReview.KPI_FIELDS}
    if row.get("target_users") is None:
        row["target_users"] = use_case.target_users
    point = week_point(
        {
            "id": saved.pk if saved else 0,
            "use_case_id": use_case.pk,
            "week": review.week,
            "week_start": week_start,
            **row,
        }
    )
    figures = week_figures(row)
    old = saved.figures() if saved is not None else None
    overlay = Overlay(
        use_case_id=use_case.pk,
        live_since=use_case.live_since,
        week=point,
        month_start=month_start,
        month_totals=lambda totals: replace_week(totals, old=old, new=figures),
    )
    target = Target(
        week=review.week,
        month=economics.format_month(month_start.year, month_start.month),
        signals=True,
        trigger=Trigger("weekly", review.week, saved.pk if saved else 0),
    )
    return target, overlay


def _monthly(review: MonthlyReview) -> Target:
    return Target(month=review.month, trigger=Trigger("monthly", review.month, review.pk or 0))


def _monthly_overlay(review: MonthlyReview) -> Overlay:
    year, month = economics.parse_month(review.month)
    costs = {name: getattr(review, name) or 0 for name in MonthlyReview.COST_FIELDS}
    return Overlay(
        use_case_id=review.use_case.pk,
        live_since=review.use_case.live_since,
        month_start=economics.month_bounds(year, month)[0],
        month_label=review.month,
        month_totals=lambda totals: dataclasses.replace(totals, **costs),
    )


def _foreseen(candidate: Candidate, use_case: UseCase, verb: str) -> Consequence:
    """One candidate in words; ``use_case``: the in-memory state the earlier ones left (a
    second breach finds it already in redesign)."""
    breach = candidate.breach
    rule = breach.rule if breach else None
    if candidate.historical:
        return _historical(candidate.kind, candidate.rule_key, candidate.period, rule, candidate)
    if breach is None:
        return Consequence(
            kind=candidate.kind,
            rule=candidate.rule_key,
            metric=None,
            period=candidate.period,
            observed=candidate.observed,
            threshold=candidate.threshold,
            effect=EFFECT_SIGNAL,
            message=(
                f"{FlagKind(candidate.kind).label}: {candidate.explanation} {verb} raises an "
                "early-warning flag (no stage change, nobody notified)."
            ),
        )
    effect, then = EFFECT_FLAG, ""
    if rule.action == RuleAction.REDESIGN:
        planned = transitions.plan(
            use_case, move=transitions.Move.RETURN_TO_REDESIGN, reason="stop-loss (preview)"
        )
        if planned.allowed and planned.changes:
            effect = EFFECT_RETURN_TO_REDESIGN
            use_case.stage, use_case.funding_status = planned.stage_after, planned.funding_after
            then = (
                f"{verb} returns {use_case.name} to {Stage(planned.stage_after).label} and makes "
                f"funding {Funding(planned.funding_after).label}; "
                f"{who_is_notified(use_case, past=False)}."
            )
    if not then:
        then = (
            f"{verb} raises a stop-loss flag; {use_case.name} stays in "
            f"{Stage(use_case.stage).label}; {who_is_notified(use_case, past=False)}."
        )
    return Consequence(
        kind=candidate.kind,
        rule=candidate.rule_key,
        metric=rule.metric,
        period=candidate.period,
        observed=candidate.observed,
        threshold=rule.threshold,
        effect=effect,
        message=f"{breach_words(rule, candidate.observed, len(breach.run))} {then}",
        comparison=rule.comparison,
    )


def figure_marks(found: list[Consequence]) -> dict[str, str]:
    """``{metric: "above 15.0% stop-loss"}`` for the figures a stop-loss consequence is about
    (historical ones too: the figure did cross the threshold; not a withdrawal: it no longer
    does)."""
    marks = {}
    for consequence in found:
        if consequence.metric is None or consequence.threshold is None:
            continue
        if consequence.kind == WITHDRAWAL:  # the figure no longer crosses it
            continue
        side = "below" if consequence.comparison == Comparison.FALLS_BELOW else "above"
        threshold = format_value(consequence.metric, consequence.threshold, exact=True)
        marks.setdefault(consequence.metric, f"{side} {threshold} stop-loss")
    return marks


def good_news(found: list[Consequence]) -> bool:
    """Only withdrawals that take a penalty away (the panel is shown in green, not red)."""
    return bool(found) and all(c.effect in (EFFECT_RESTORED, EFFECT_WITHDRAWN) for c in found)


# --- after the save ----------------------------------------------------------------------------


def of_outcome(outcome: Outcome, use_case: UseCase) -> list[Consequence]:
    """What a save did: the flags it raised (with the move each made) and the breaches it
    recorded as historical."""
    found = []
    for flag in outcome.flags:
        planned = outcome.moves.get(flag.pk)
        if flag.kind != FlagKind.STOP_LOSS:
            found.append(
                Consequence(
                    kind=flag.kind,
                    rule=flag.rule_key,
                    metric=None,
                    period=flag.period,
                    observed=flag.observed_value,
                    threshold=flag.threshold,
                    effect=EFFECT_SIGNAL,
                    message=(
                        f"{flag.get_kind_display()}: {flag.explanation} An early-warning flag "
                        "was raised."
                    ),
                )
            )
            continue
        if planned is not None:
            then = (
                f"{use_case.name} returned to {Stage(planned.stage_after).label} and funding is "
                f"now {Funding(planned.funding_after).label}; "
                f"{who_is_notified(use_case, past=True)}."
            )
        else:
            then = f"A stop-loss flag was raised; {who_is_notified(use_case, past=True)}."
        words = (
            breach_words(flag.rule, flag.observed_value, 1, period=flag.period)
            if flag.rule
            else flag.explanation
        )
        found.append(
            Consequence(
                kind=flag.kind,
                rule=flag.rule_key,
                metric=flag.rule.metric if flag.rule else None,
                period=flag.period,
                observed=flag.observed_value,
                threshold=flag.threshold,
                effect=EFFECT_RETURN_TO_REDESIGN if planned is not None else EFFECT_FLAG,
                message=f"{words} {then}",
                comparison=flag.rule.comparison if flag.rule else "",
            )
        )
    for flag in outcome.historical:
        found.append(_historical(flag.kind, flag.rule_key, flag.period, flag.rule, flag))
    found += [_withdrawal(w, w.message) for w in outcome.withdrawn]
    return found


def _withdrawal(withdrawal, message: str) -> Consequence:
    """A withdrawal (``withdrawals.Planned`` foreseen, or ``Withdrawn`` done) in words."""
    flag = withdrawal.flag
    return Consequence(
        kind=WITHDRAWAL,
        rule=flag.rule_key,
        metric=flag.rule.metric if flag.rule else None,
        period=flag.period,
        observed=withdrawal.observed_now,
        threshold=flag.threshold,
        effect=_WITHDRAWAL_EFFECTS[withdrawal.effect],
        message=message,
        comparison=flag.rule.comparison if flag.rule else "",
    )


# --- words -------------------------------------------------------------------------------------


def breach_words(rule: StopLossRule, observed, run: int, *, period: str = "") -> str:
    """``Rework rate 20.0% exceeds the 15.0% stop-loss threshold (default policy).``"""
    scope = "default policy" if rule.use_case_id is None else "override for this use case"
    observed_words = observed_text(rule, observed)
    threshold = format_value(rule.metric, rule.threshold, exact=True)
    unit = "month" if rule.metric == "net_value" else "week"
    when = f" in {period}" if period else ""
    if run > 1:
        when = f"{when} ({run} {unit}s in a row)"
    return (
        f"{rule.get_metric_display()} {observed_words} {comparison_verb(rule.comparison)} the "
        f"{threshold} stop-loss threshold ({scope}){when}."
    )


def _historical(kind, rule_key, period, rule, source) -> Consequence:
    observed = getattr(source, "observed", None)
    if observed is None:
        observed = getattr(source, "observed_value", None)
    threshold = rule.threshold if rule is not None else source.threshold
    return Consequence(
        kind=HISTORICAL,
        rule=rule_key,
        metric=rule.metric if rule is not None else None,
        period=period,
        observed=observed,
        threshold=threshold,
        effect=EFFECT_NONE,
        comparison=rule.comparison if rule is not None else "",
        message=lookback.sentence(
            kind=kind, period=period, rule=rule, observed=observed, threshold=threshold
        ),
    )
