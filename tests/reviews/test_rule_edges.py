"""Edges of the stop-loss rules and the early-warning signals that mutation testing found untested
(``make mutate``): each test here fails on a mutant that survived the rest of the suite.

The rule modules are imported in this block only.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from reviews import breaches, consequences
from reviews import early_warnings as signals
from reviews.breaches import rule_breach
from reviews.models import Flag, FlagKind, Metric, RuleAction, WeeklyReview
from reviews.points import WeekPoint
from reviews.stoploss import LATEST, Target, evaluate, new_candidates
from reviews.stoploss_effects import Candidate
from reviews.sweep import sweep_portfolio
from tests.conftest import make_use_case
from tests.factories import (
    FlagFactory,
    ModelChangeFactory,
    StopLossRuleFactory,
    WeeklyReviewFactory,
)
from usecases import economics

from .stoploss_helpers import (  # noqa: F401
    HEALTHY,
    TODAY,
    frozen_today,
    rework,
    submit_week,
    weeks_back,
)

DEFAULT_T = dict(signals.DEFAULTS)


def week(label, *, hours="10", backlog=100, exceptions="0.02", quality="85"):
    monday, _ = economics.iso_week_bounds(*economics.parse_iso_week(label))
    return WeekPoint(
        review_id=1,
        week=label,
        week_start=monday,
        adoption_rate=D("0.8"),
        rework_rate=D("0.1"),
        exception_share=D(exceptions),
        quality_score=D(quality),
        backlog=backlog,
        declared_hours_saved=D(hours),
    )


def series(end="2026-W47", **columns):
    """``series(backlog=[...], hours=[...])``: weeks ending ``end``, one per value."""
    n = len(next(iter(columns.values())))
    labels = weeks_back(n, end=end)
    return [week(label, **{k: v[i] for k, v in columns.items()}) for i, label in enumerate(labels)]


# --- the 2-week minimum window ----------------------------------------------------------------


def test_a_window_of_two_weeks_is_enough_and_one_week_is_not():
    rising = series(exceptions=["0.02", "0.03"])
    assert signals.exceptions_growing(rising, window=2) is not None
    assert signals.exceptions_growing(rising[-1:], window=1) is None
    growing = series(backlog=[100, 120], hours=["5", "5"])
    assert signals.savings_backlog_divergence(growing, window=2) is not None
    assert signals.savings_backlog_divergence(growing[-1:], window=1) is None


# --- declared hours: 0.5 and 1 count as declared ----------------------------------------------


@pytest.mark.parametrize(
    ("hours", "total"),
    [(["0.5"] * 4, "2 h"), (["1"] * 4, "4 h"), (["0.125"] * 4, "0.5 h"), (["1", "0.5"] * 2, "3 h")],
)
def test_small_declared_hours_count_and_read_as_typed(hours, total):
    found = signals.savings_backlog_divergence(series(backlog=[1, 2, 3, 4], hours=hours), window=4)
    assert found is not None
    assert f"({total} over 4 weeks)" in found.explanation


def test_fractional_hours_read_with_one_decimal():
    hours = ["0.25", "0.5", "0.5", "0.5"]  # 1.75 h
    found = signals.savings_backlog_divergence(series(backlog=[1, 2, 3, 4], hours=hours), window=4)
    assert "(1.8 h over 4 weeks)" in found.explanation


def test_zero_declared_hours_in_one_week_is_no_signal():
    hours = ["0.5", "0", "0.5", "0.5"]
    weeks = series(backlog=[1, 2, 3, 4], hours=hours)
    assert signals.savings_backlog_divergence(weeks, window=4) is None


# --- exceptions_growing: what the flag stores -------------------------------------------------


def test_exceptions_growing_observed_and_threshold_are_the_last_and_first_share():
    found = signals.exceptions_growing(
        series(exceptions=["0.02", "0.031", "0.04", "0.055"]), window=4
    )
    assert (found.observed, found.threshold) == (D("0.055"), D("0.02"))


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_exceptions_growing_flag_stores_the_observed_and_threshold_shares(use_case, owner):
    for label, count in zip(weeks_back(4), [20, 31, 40, 55], strict=True):
        submit_week(use_case, label, user=owner, exceptions=count)
    [flag] = Flag.objects.filter(use_case=use_case, kind=FlagKind.EXCEPTIONS_GROWING)
    assert (flag.observed_value, flag.threshold) == (D("0.0550"), D("0.0200"))


# --- quality after a change: the week split, the window's ends --------------------------------

SUNDAY_W46 = datetime.date(2026, 11, 15)
SUNDAY_W47 = datetime.date(2026, 11, 22)


def quality_check(weeks, change_date, **over):
    params = dict(drop_points=D(5), min_weeks_after=2, max_weeks_after=8, weeks_before=4)
    params.update(over)
    change = signals.Change(change_date, "v2", "Model")
    return signals.quality_unstable_after_change(weeks, [change], **params)


def test_a_change_effective_on_a_sunday_belongs_to_that_week():
    """W46 ends on the Sunday the change takes effect: W46 and W47 are the weeks after it."""
    weeks = series(quality=["85", "85", "85", "85", "80", "80"])  # W42..W47
    found = quality_check(weeks, SUNDAY_W46)
    assert found is not None
    assert "over 2 weeks (2026-W46 to 2026-W47)" in found.explanation
    assert "the 85.0 of the 4 weeks before it" in found.explanation
    # The next day (Monday of W47), W46 is a week before the change: one week after it only.
    assert quality_check(weeks, SUNDAY_W46 + datetime.timedelta(days=1)) is None


def test_a_change_effective_on_the_evaluated_weeks_sunday_is_in_effect():
    weeks = series(quality=["85", "85", "85", "85", "80"])  # W43..W47
    found = quality_check(weeks, SUNDAY_W47, min_weeks_after=1)
    assert found is not None and "over 1 week (2026-W47 to 2026-W47)" in found.explanation
    assert quality_check(weeks, SUNDAY_W47 + datetime.timedelta(days=1), min_weeks_after=1) is None


def test_exactly_eight_weeks_after_a_change_still_count_and_nine_do_not():
    before, after = ["90"] * 4, ["80"] * 8
    change = datetime.date(2026, 9, 28)  # Monday of W40: W40..W47 are the 8 weeks after it
    assert quality_check(series(quality=before + after), change) is not None
    nine = series(end="2026-W48", quality=[*before, *after, "80"])
    assert quality_check(nine, change) is None


def test_exactly_two_weeks_after_a_change_count_and_one_does_not():
    weeks = series(quality=["90", "90", "90", "90", "80", "80"])
    assert quality_check(weeks, datetime.date(2026, 11, 9)) is not None  # Monday of W46
    assert quality_check(weeks, datetime.date(2026, 11, 16)) is None  # Monday of W47


# --- thresholds handed in are the ones used ---------------------------------------------------


def test_weeks_needed_adds_the_weeks_before_and_after_a_change():
    assert signals.weeks_needed(DEFAULT_T) == 12  # 4 before + 8 after
    t = {**DEFAULT_T, "weeks_window": 20}
    assert signals.weeks_needed(t) == 20
    t = {**DEFAULT_T, "weeks_before_change": 3, "max_weeks_after_change": 5}
    assert signals.weeks_needed(t) == 8


def test_weekly_signals_use_the_thresholds_handed_in():
    # A drop of 3 points since W46's Monday; no hours declared (no backlog signal).
    weeks = series(quality=["90", "90", "90", "90", "87", "87"], hours=["0"] * 6)
    changes = [signals.Change(datetime.date(2026, 11, 9), "v2", "Model")]
    assert signals.weekly_signals(weeks, changes, DEFAULT_T) == []
    lower = {**DEFAULT_T, "quality_drop_points": D(3)}
    assert [s.kind for s in signals.weekly_signals(weeks, changes, lower)] == [
        FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE
    ]
    three_after = {**lower, "min_weeks_after_change": 3}
    assert signals.weekly_signals(weeks, changes, three_after) == []
    one_after = {**lower, "max_weeks_after_change": 1}
    assert signals.weekly_signals(weeks, changes, one_after) == []
    # One week before instead of four: the 90 of W45 alone.
    [found] = signals.weekly_signals(weeks, changes, {**lower, "weeks_before_change": 1})
    assert "the 90.0 of the 1 week before it" in found.explanation
    rising = series(exceptions=["0.05", "0.02", "0.03", "0.04"], hours=["0"] * 4)
    assert signals.weekly_signals(rising, [], DEFAULT_T) == []
    three = {**DEFAULT_T, "weeks_window": 3}
    assert [s.kind for s in signals.weekly_signals(rising, [], three)] == [
        FlagKind.EXCEPTIONS_GROWING
    ]


# --- the loaders read as many weeks as the quality signal needs -------------------------------

#: W42..W45 before the change (mean 85, but only 80 in the last two), W46 and W47 after (80): the
#: drop of 5 points shows only when all four weeks before the change are read.
LONG_HISTORY = ["90", "90", "80", "80", "80", "80"]
CHANGE_W46 = datetime.date(2026, 11, 9)  # Monday of W46


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_save_hook_reads_four_weeks_before_a_change(use_case, owner):
    ModelChangeFactory(use_case=use_case, effective_date=CHANGE_W46)
    for label, score in zip(weeks_back(6), LONG_HISTORY, strict=True):
        submit_week(use_case, label, user=owner, quality_score=D(score))
    [flag] = Flag.objects.filter(use_case=use_case, kind=FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE)
    assert flag.period == "2026-W47"
    assert "the 85.0 of the 4 weeks before it" in flag.explanation


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_sweep_reads_four_weeks_before_a_change(use_case):
    ModelChangeFactory(use_case=use_case, effective_date=CHANGE_W46)
    for label, score in zip(weeks_back(6), LONG_HISTORY, strict=True):
        WeeklyReviewFactory(use_case=use_case, week=label, **{**HEALTHY, "quality_score": D(score)})
    sweep_portfolio(today=TODAY)
    [flag] = Flag.objects.filter(use_case=use_case, kind=FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE)
    assert "the 85.0 of the 4 weeks before it" in flag.explanation


# --- rule_breach: a rule needs at least one week ----------------------------------------------


@pytest.mark.parametrize("n", [0, -1])
def test_a_rule_of_zero_or_fewer_consecutive_weeks_never_breaches(n):
    rule = StopLossRuleFactory.build(consecutive_weeks=n)  # rework above 15 %
    points = [week(label) for label in weeks_back(3)]
    points = [
        WeekPoint(**{**p.__dict__, "rework_rate": D("0.5")})  # every week far above
        for p in points
    ]
    assert rule_breach(rule, points, live_since=None) is None
    one = StopLossRuleFactory.build(consecutive_weeks=1)
    assert rule_breach(one, points, live_since=None) is not None


# --- no_accountable_owner: the words of its explanation ------------------------------------------


def test_no_owner_without_a_stage_label_reads_under_review():
    found = signals.no_accountable_owner(
        reviews_due=True, has_owner=False, overdue=[], period="2026-11", min_overdue=2
    )
    assert found.explanation.startswith("Reviews are due (stage under review) but nobody")


def test_more_than_six_overdue_reviews_list_six_and_count_the_rest():
    overdue = [signals.Overdue("weekly", f"2026-W{w}") for w in range(40, 48)]
    found = signals.no_accountable_owner(
        reviews_due=True, has_owner=True, overdue=overdue, period="2026-11", min_overdue=2
    )
    assert found.explanation == (
        "8 reviews are overdue (weekly 2026-W40, weekly 2026-W41, weekly 2026-W42, weekly "
        "2026-W43, weekly 2026-W44, weekly 2026-W45 and 2 more); the alert starts at 2."
    )
    assert (found.observed, found.threshold) == (D(8), D(2))


@pytest.mark.parametrize(("count", "more"), [(6, ""), (7, " and 1 more")])
def test_six_overdue_reviews_are_all_listed_and_the_seventh_is_counted(count, more):
    overdue = [signals.Overdue("monthly", f"2026-{m:02d}") for m in range(1, count + 1)]
    found = signals.no_accountable_owner(
        reviews_due=True, has_owner=True, overdue=overdue, period="2026-11", min_overdue=2
    )
    assert f"monthly 2026-06{more}); the alert starts at 2." in found.explanation


# --- found by make mutate (issue 21): what a breach says, the batch edges of the evaluation -------


def rule_of(**fields):
    """An unsaved rule: rework above 15 % for one week, no grace, redesign (a default one)."""
    return StopLossRuleFactory.build(**fields)


def rework_weeks(*rates, end="2026-W47"):
    return [
        WeekPoint(**{**week(label).__dict__, "rework_rate": D(rate)})
        for label, rate in zip(weeks_back(len(rates), end=end), rates, strict=True)
    ]


def test_an_unknown_comparison_is_named_in_the_error():
    with pytest.raises(ValueError) as raised:
        breaches.breaches(D(1), "sideways", D(0))
    assert str(raised.value) == "unknown comparison 'sideways'"


def test_the_explanation_of_a_one_week_default_rule_word_for_word():
    breach = rule_breach(rule_of(), rework_weeks("0.19"), live_since=None)
    assert breach.explanation() == (
        "Rework rate was 19.0% in 2026-W47, above the stop-loss threshold of 15.0%. "
        "Rule (default policy): rework rate exceeds 15.0% for 1 consecutive week → "
        "return to redesign."
    )


def test_the_explanation_of_a_run_under_an_override_with_grace_word_for_word():
    """A run names each week's value; an override, its grace weeks and a flag-only action are
    said as such (going live on 1 September 2025: 2 grace weeks are long over by 2026-W45)."""
    override = rule_of(
        use_case_id=7, consecutive_weeks=3, grace_weeks=2, action=RuleAction.FLAG_ONLY
    )
    breach = rule_breach(
        override, rework_weeks("0.19", "0.2", "0.215"), live_since=datetime.date(2025, 9, 1)
    )
    assert breach.explanation() == (
        "Rework rate was above 15.0% in each of the last 3 submitted weekly reviews "
        "(2026-W45: 19.0%, 2026-W46: 20.0%, 2026-W47: 21.5%). Rule (override for this use "
        "case): rework rate exceeds 15.0% for 3 consecutive weeks after 2 grace weeks → "
        "flag only."
    )


def test_the_summary_states_a_finer_threshold_exactly():
    """``summary`` is the flag title's and the audit reason's: 15.25 %, never 15.3 %."""
    breach = rule_breach(rule_of(threshold=D("0.1525")), rework_weeks("0.19"), live_since=None)
    assert breach.summary() == "rework rate 19.00% exceeds 15.25% in 2026-W47"


def test_no_weekly_rule_looks_at_no_week():
    assert breaches.weekly_limit([]) == 0
    net_value = rule_of(metric=Metric.NET_VALUE, comparison="falls_below", consecutive_weeks=6)
    assert breaches.weekly_limit([net_value]) == 0
    assert breaches.monthly_limit([net_value]) == 6
    rules = [net_value, rule_of(consecutive_weeks=3), rule_of(metric=Metric.QUALITY_SCORE)]
    assert breaches.weekly_limit(rules) == 3


def test_without_the_setting_the_signals_use_the_defaults(settings):
    del settings.VALUEGATE_SIGNALS
    assert signals.thresholds() == signals.DEFAULTS


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_judging_an_unsaved_review_sees_its_figures(use_case, owner):
    """``judge(overlay=...)``, the previews' path: the unsaved correction of W47 (25 % rework)
    is judged in place of the saved healthy week; nothing is written."""
    saved = submit_week(use_case, "2026-W47", user=owner)
    unsaved = WeeklyReview.objects.get(pk=saved.pk)
    for name, value in {**HEALTHY, **rework("0.25")}.items():
        setattr(unsaved, name, value)
    [found] = consequences.of_unsaved(unsaved, saved=saved)
    assert (found.kind, found.period, found.observed) == (
        FlagKind.STOP_LOSS,
        "2026-W47",
        D("0.25"),
    )
    assert not Flag.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_a_use_case_deleted_meanwhile_does_not_end_the_batch(owner):
    """The sweep lists the use cases, then judges them: one deleted meanwhile (here the first in
    the batch) is skipped, the rest are still judged."""
    gone, kept = make_use_case("Gone", owner=owner), make_use_case("Kept", owner=owner)
    assert gone.pk < kept.pk
    for use_case in (gone, kept):
        WeeklyReviewFactory(use_case=use_case, week="2026-W47", **rework("0.19"))
    targets = {pk: Target(week=LATEST, signals=True) for pk in (gone.pk, kept.pk)}
    gone.delete()
    outcome = evaluate(targets, today=TODAY)
    assert [(f.use_case_id, f.period) for f in outcome.flags] == [(kept.pk, "2026-W47")]


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_a_latest_week_older_than_the_lookback_is_judged_historical(use_case):
    """The sweep judges the latest week even when it is old: its breach and its signal are both
    recorded historical (look-back 2026-W44..W47), neither opens a flag."""
    for label, exceptions in zip(weeks_back(4, end="2026-W40"), [10, 20, 30, 40], strict=True):
        figures = {**HEALTHY, **rework("0.19"), "exceptions": exceptions}
        WeeklyReviewFactory(use_case=use_case, week=label, **figures)
    outcome = sweep_portfolio(today=TODAY)
    judged = [FlagKind.STOP_LOSS, FlagKind.EXCEPTIONS_GROWING]  # (not the owner signal)
    found = Flag.objects.filter(use_case=use_case, kind__in=judged)
    assert sorted(found.values_list("kind", "period", "historical")) == [
        (FlagKind.EXCEPTIONS_GROWING, "2026-W40", True),
        (FlagKind.STOP_LOSS, "2026-W40", True),
    ]
    assert not found.open().exists()
    assert [f for f in outcome.flags if f.kind in judged] == []


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_today")
def test_the_sweeps_owner_signal_names_the_sweep_even_with_weekly_reviews():
    """``no_accountable_owner`` is about the current month, not a review: triggered by "sweep"
    although the use case has a latest week (the other signals name that week's review)."""
    no_owner = make_use_case("Expense report auditor", owner=None, live_since=None)
    WeeklyReviewFactory(use_case=no_owner, week="2026-W47", **HEALTHY)
    sweep_portfolio(today=TODAY)
    [flag] = Flag.objects.filter(use_case=no_owner, kind=FlagKind.NO_ACCOUNTABLE_OWNER)
    assert flag.triggered_by == "sweep"


def candidate(use_case, kind, period):
    return Candidate(
        use_case=use_case,
        kind=kind,
        rule_key=kind,
        period=period,
        explanation="",
        observed=None,
        threshold=None,
        triggered_by="sweep",
    )


@pytest.mark.django_db
def test_an_open_signal_holds_back_its_kind_only(use_case, other_use_case):
    """A signal already open on a use case is not raised again at a later week; the candidates
    after it in the batch are still new."""
    FlagFactory(
        use_case=use_case,
        kind=FlagKind.EXCEPTIONS_GROWING,
        rule_key=FlagKind.EXCEPTIONS_GROWING,
        period="2026-W46",
    )
    held = candidate(use_case, FlagKind.EXCEPTIONS_GROWING, "2026-W47")
    new = [
        candidate(use_case, FlagKind.SAVINGS_BACKLOG_DIVERGENCE, "2026-W47"),
        candidate(other_use_case, FlagKind.EXCEPTIONS_GROWING, "2026-W47"),
    ]
    assert new_candidates([held, *new]) == new


@pytest.mark.django_db
def test_a_resolved_signal_holds_back_only_its_own_week(use_case, other_use_case):
    """A signal flag the PMO resolved at 2026-W46 holds that key only: the same signal at
    2026-W47 is new, though another use case's candidate in the batch is at 2026-W46."""
    FlagFactory(
        use_case=use_case,
        kind=FlagKind.EXCEPTIONS_GROWING,
        rule_key=FlagKind.EXCEPTIONS_GROWING,
        period="2026-W46",
        resolved_at=timezone.now(),
    )
    batch = [
        candidate(use_case, FlagKind.EXCEPTIONS_GROWING, "2026-W47"),
        candidate(other_use_case, FlagKind.EXCEPTIONS_GROWING, "2026-W46"),
    ]
    assert new_candidates(batch) == batch
    held = candidate(use_case, FlagKind.EXCEPTIONS_GROWING, "2026-W46")
    assert new_candidates([held]) == []


@pytest.mark.django_db
def test_the_same_key_twice_in_a_batch_is_new_once(use_case):
    first = candidate(use_case, FlagKind.EXCEPTIONS_GROWING, "2026-W47")
    again = candidate(use_case, FlagKind.EXCEPTIONS_GROWING, "2026-W47")
    [new] = new_candidates([first, again])
    assert new is first
