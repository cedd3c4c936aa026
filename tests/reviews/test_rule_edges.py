"""Edges of the stop-loss rules and the early-warning signals that mutation testing found untested
(``make mutate``): each test here fails on a mutant that survived the rest of the suite.

The rule modules are imported in this block only.
"""

import datetime
from decimal import Decimal as D

import pytest

from reviews import early_warnings as signals
from reviews.breaches import rule_breach
from reviews.models import Flag, FlagKind
from reviews.points import WeekPoint
from reviews.sweep import sweep_portfolio
from tests.factories import ModelChangeFactory, StopLossRuleFactory, WeeklyReviewFactory
from usecases import economics

from .stoploss_helpers import HEALTHY, TODAY, frozen_today, submit_week, weeks_back  # noqa: F401

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
