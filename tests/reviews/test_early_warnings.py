"""reviews.early_warnings: the first four early-warning signals, true and false on hand-built
series, and raised as flags (that change no stage) by the save hook and the sweep (the fifth,
``declared_vs_measured``: test_declared_vs_measured.py)."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from reviews import early_warnings as ew
from reviews.flags import flag_resolve
from reviews.models import Flag, FlagKind
from reviews.points import WeekPoint
from reviews.sweep import sweep_portfolio
from tests.conftest import make_use_case
from usecases import economics
from usecases.models import ModelChange, Stage, UseCase

from .stoploss_helpers import (
    TODAY,
    correct_week,
    frozen_today,  # noqa: F401
    submit_week,
    weeks_back,
)

D = Decimal


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


def series(**columns):
    """``series(backlog=[...], hours=[...])``: weeks ending 2026-W47, one per value."""
    n = len(next(iter(columns.values())))
    labels = weeks_back(n)
    return [week(label, **{k: v[i] for k, v in columns.items()}) for i, label in enumerate(labels)]


# --- 1. savings_backlog_divergence -------------------------------------------------------------


def test_savings_backlog_divergence_true():
    weeks = series(backlog=[120, 131, 150, 164], hours=["20", "25", "25", "26"])
    found = ew.savings_backlog_divergence(weeks, window=4)
    assert found.kind == FlagKind.SAVINGS_BACKLOG_DIVERGENCE
    assert found.period == "2026-W47"
    assert (found.observed, found.threshold) == (D(164), D(120))
    assert found.explanation == (
        "Declared hours saved every week since 2026-W44 (96 h over 4 weeks), yet backlog grew "
        "from 120 to 164 (2026-W44 to 2026-W47)."
    )


def test_savings_backlog_divergence_when_backlog_stays_flat():
    weeks = series(backlog=[120, 90, 140, 120], hours=["5", "5", "5", "5"])
    found = ew.savings_backlog_divergence(weeks, window=4)
    assert "backlog stayed at 120" in found.explanation


@pytest.mark.parametrize(
    ("backlog", "hours"),
    [
        ([120, 130, 140, 119], ["5", "5", "5", "5"]),  # the backlog shrank
        ([120, 130, 140, 164], ["5", "0", "5", "5"]),  # one week without declared savings
        ([130, 140, 164], ["5", "5", "5"]),  # only three submitted weeks
    ],
    ids=["backlog-shrank", "a-week-without-savings", "too-few-weeks"],
)
def test_savings_backlog_divergence_false(backlog, hours):
    assert ew.savings_backlog_divergence(series(backlog=backlog, hours=hours), window=4) is None


def test_savings_backlog_divergence_looks_at_the_last_weeks_only():
    weeks = series(backlog=[50, 120, 130, 140, 150], hours=["0", "5", "5", "5", "5"])
    assert ew.savings_backlog_divergence(weeks, window=4) is not None
    assert ew.savings_backlog_divergence(weeks, window=5) is None


# --- 2. exceptions_growing ---------------------------------------------------------------------


def test_exceptions_growing_true():
    weeks = series(exceptions=["0.020", "0.031", "0.040", "0.055"])
    found = ew.exceptions_growing(weeks, window=4)
    assert (found.kind, found.period) == (FlagKind.EXCEPTIONS_GROWING, "2026-W47")
    assert found.explanation == (
        "Exception share rose every week from 2026-W44 to 2026-W47: 2.0% → 3.1% → 4.0% → 5.5% "
        "of tasks needed a manual workaround."
    )


@pytest.mark.parametrize(
    "shares",
    [
        ["0.02", "0.03", "0.03", "0.05"],  # flat for one week
        ["0.02", "0.04", "0.03", "0.05"],  # fell once
        ["0.03", "0.04", "0.05"],  # three weeks only
    ],
)
def test_exceptions_growing_false(shares):
    assert ew.exceptions_growing(series(exceptions=shares), window=4) is None


# --- 3. quality_unstable_after_change ----------------------------------------------------------

CHANGE_DATE = datetime.date(2026, 11, 11)  # Wednesday of 2026-W46: W46 is the first week after
CHANGE = ew.Change(CHANGE_DATE, "prompt v2.3", "Prompt")


def quality(values):
    return series(quality=values)


def check_quality(weeks, changes=(CHANGE,), **overrides):
    params = dict(drop_points=D(5), min_weeks_after=2, max_weeks_after=8, weeks_before=4)
    params.update(overrides)
    return ew.quality_unstable_after_change(weeks, list(changes), **params)


def test_quality_unstable_after_change_true():
    # W40..W45 before (the last four: 85, 86, 84, 85 → 85.0), W46 and W47 after (80, 79 → 79.5).
    weeks = quality(["60", "60", "85", "86", "84", "85", "80", "79"])
    found = check_quality(weeks)
    assert (found.kind, found.period) == (FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE, "2026-W47")
    assert found.observed == D("79.5")
    assert found.threshold == D("80")
    assert found.explanation == (
        "Since the prompt change “prompt v2.3” of 11 Nov 2026, mean quality is 79.5 over "
        "2 weeks (2026-W46 to 2026-W47), 5.5 points below the 85.0 of the 4 weeks before it "
        "(alert from 5 points)."
    )


def test_quality_drop_of_exactly_five_points_is_a_signal():
    assert check_quality(quality(["85", "85", "80", "80"])) is not None


LATE_CHANGE = ew.Change(datetime.date(2026, 11, 16), "v3", "Model")  # W47 is the only after


@pytest.mark.parametrize(
    ("values", "changes", "overrides"),
    [
        (["85", "85", "80.1", "80"], [CHANGE], {}),  # 4.95 points: not enough
        (["85", "85", "85", "79"], [], {}),  # no change logged
        (["85", "85", "85", "70"], [LATE_CHANGE], {}),  # one week after the change only
        (["80", "79"], [CHANGE], {}),  # no week before the change
        (["85", "85", "80", "80"], [CHANGE], {"max_weeks_after": 1}),  # change is old news
        (["85", "85", "80", "80"], [CHANGE], {"drop_points": D(6)}),  # a higher threshold
    ],
    ids=["small-drop", "no-change", "one-week-after", "nothing-before", "too-old", "threshold"],
)
def test_quality_unstable_after_change_false(values, changes, overrides):
    assert check_quality(quality(values), changes, **overrides) is None


def test_quality_compares_with_up_to_four_weeks_before_and_the_latest_change():
    weeks = quality(["10", "10", "85", "85", "85", "85", "79", "79"])
    assert check_quality(weeks) is not None  # the two 10s are more than four weeks before
    older = ew.Change(datetime.date(2026, 10, 1), "v1", "Model")
    assert check_quality(weeks, [older, CHANGE]) is not None
    future = ew.Change(datetime.date(2026, 11, 30), "v4", "Model")
    assert check_quality(weeks, [CHANGE, future]) is not None  # not in effect yet


# --- 4. no_accountable_owner -------------------------------------------------------------------

OVERDUE = [
    ew.Overdue("weekly", "2026-W46"),
    ew.Overdue("monthly", "2026-10"),
]


@pytest.mark.parametrize(
    ("due", "has_owner", "overdue", "raised"),
    [
        (True, False, [], True),
        (True, True, OVERDUE, True),
        (True, True, OVERDUE[:1], False),
        (True, True, [], False),
        (False, False, [], False),
    ],
)
def test_no_accountable_owner(due, has_owner, overdue, raised):
    found = ew.no_accountable_owner(
        reviews_due=due,
        has_owner=has_owner,
        overdue=overdue,
        period="2026-11",
        min_overdue=2,
        stage_label="Rollout",
    )
    assert (found is not None) is raised


def test_no_accountable_owner_explains_both_halves():
    found = ew.no_accountable_owner(
        reviews_due=True,
        has_owner=False,
        overdue=OVERDUE,
        period="2026-11",
        min_overdue=2,
        stage_label="Rollout",
    )
    assert found.period == "2026-11"
    assert found.explanation == (
        "Reviews are due (stage Rollout) but nobody is named as value owner, so nobody is "
        "accountable for its net value. 2 reviews are overdue (weekly 2026-W46, monthly "
        "2026-10); the alert starts at 2."
    )


def test_thresholds_come_from_settings(settings):
    settings.VALUEGATE_SIGNALS = {"weeks_window": 3, "quality_drop_points": "2.5"}
    t = ew.thresholds()
    assert t["weeks_window"] == 3
    assert t["quality_drop_points"] == D("2.5")
    assert t["overdue_reviews"] == 2  # missing keys keep their defaults
    shares = series(exceptions=["0.05", "0.02", "0.03", "0.04"], hours=["0"] * 4)
    assert [s.kind for s in ew.weekly_signals(shares, [], t)] == [FlagKind.EXCEPTIONS_GROWING]
    assert ew.weekly_signals(shares, [], ew.thresholds() | {"weeks_window": 4}) == []


# --- raised by the hook and the sweep ----------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def signal_flags(use_case, kind):
    return list(Flag.objects.filter(use_case=use_case, kind=kind).order_by("id"))


#: Monday 30 November 2026, noon UTC: 2026-W48 has ended.
MONDAY_AFTER_W48 = datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC)


@pytestmark_db
@pytest.mark.usefixtures("frozen_today")
def test_hook_raises_signal_flags_that_change_no_stage(use_case, owner, pmo):
    backlogs = [120, 131, 150, 164]
    for label, backlog in zip(weeks_back(4), backlogs, strict=True):
        submit_week(use_case, label, user=owner, backlog=backlog, declared_hours_saved=D("24"))
    [flag] = signal_flags(use_case, FlagKind.SAVINGS_BACKLOG_DIVERGENCE)
    assert flag.period == "2026-W47"
    assert flag.rule is None and flag.rule_key == "savings_backlog_divergence"
    assert "yet backlog grew from 120 to 164" in flag.explanation
    assert flag.triggered_by.startswith("weekly:2026-W47 (review #")
    use_case.refresh_from_db()
    assert use_case.stage == Stage.ROLLOUT
    assert not use_case.history.filter(history_change_reason__startswith="stop-loss").exists()

    # The condition persists: no second flag while the first is open (W48, submitted once it
    # has ended) ...
    with time_machine.travel(MONDAY_AFTER_W48, tick=False):
        submit_week(use_case, "2026-W48", user=owner, backlog=170, declared_hours_saved=D("24"))
        assert len(signal_flags(use_case, FlagKind.SAVINGS_BACKLOG_DIVERGENCE)) == 1
        # ... after the PMO resolved it, the next occurrence is flagged again.
        flag_resolve(user=pmo, flag=flag, note="Backlog grows with the new product line.")
        review = use_case.weekly_reviews.get(week="2026-W48")
        correct_week(review, user=owner, backlog=171)
    assert [f.period for f in signal_flags(use_case, FlagKind.SAVINGS_BACKLOG_DIVERGENCE)] == [
        "2026-W47",
        "2026-W48",
    ]


@pytestmark_db
@pytest.mark.usefixtures("frozen_today")
def test_hook_raises_quality_signal_after_a_logged_change(use_case, owner):
    ModelChange.objects.create(
        use_case=use_case, version_label="prompt v2", kind="prompt", effective_date=CHANGE_DATE
    )
    for label, score in zip(weeks_back(6), ["85", "86", "84", "85", "80", "79"], strict=True):
        submit_week(use_case, label, user=owner, quality_score=D(score))
    [flag] = signal_flags(use_case, FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE)
    assert flag.period == "2026-W47"
    assert "“prompt v2”" in flag.explanation


@pytestmark_db
@pytest.mark.usefixtures("frozen_today")
def test_signals_are_judged_at_the_latest_week_only(use_case, owner):
    submit_week(use_case, "2026-W47", user=owner, exceptions=50)
    # Late weeks arrive after W47: saving them evaluates no signal (they are not the latest).
    for label, count in zip(["2026-W44", "2026-W45", "2026-W46"], [10, 20, 30], strict=True):
        submit_week(use_case, label, user=owner, exceptions=count)
    assert signal_flags(use_case, FlagKind.EXCEPTIONS_GROWING) == []
    # The sweep looks at the latest week, W47, and finds W44..W47 rising.
    sweep_portfolio(today=TODAY)
    [flag] = signal_flags(use_case, FlagKind.EXCEPTIONS_GROWING)
    assert flag.period == "2026-W47"
    assert flag.triggered_by.endswith(", sweep")


@pytestmark_db
@pytest.mark.usefixtures("frozen_today")
def test_sweep_raises_no_accountable_owner_for_a_use_case_without_owner(db):
    no_owner = make_use_case("Expense report auditor", owner=None, live_since=None)
    make_use_case("In pilot, no owner", owner=None, stage=Stage.PILOT, live_since=None)
    sweep_portfolio(today=TODAY)
    [flag] = Flag.objects.filter(kind=FlagKind.NO_ACCOUNTABLE_OWNER)
    assert (flag.use_case, flag.period) == (no_owner, "2026-11")
    assert flag.explanation.startswith("Reviews are due (stage Rollout) but nobody is named")
    assert flag.triggered_by == "sweep"
    no_owner.refresh_from_db()
    assert no_owner.stage == Stage.ROLLOUT


@pytestmark_db
@pytest.mark.usefixtures("frozen_today")
def test_sweep_raises_no_accountable_owner_for_overdue_reviews(owner):
    # Live since Monday 2026-11-02 (W45): W45 and W46 are overdue on Wednesday 2026-11-25,
    # W47 is due on Tuesday 2026-11-24 ... and overdue from today too.
    late = make_use_case("Late one", owner=owner, live_since=datetime.date(2026, 11, 2))
    sweep_portfolio(today=TODAY)
    [flag] = Flag.objects.filter(use_case=late, kind=FlagKind.NO_ACCOUNTABLE_OWNER)
    assert flag.observed_value == D(3)
    assert "3 reviews are overdue (weekly 2026-W45, weekly 2026-W46, weekly 2026-W47)" in (
        flag.explanation
    )


@pytestmark_db
@pytest.mark.usefixtures("frozen_today")
def test_sweep_no_signal_for_owner_with_one_overdue_review(owner):
    ok = make_use_case("Almost on time", owner=owner, live_since=datetime.date(2026, 11, 16))
    sweep_portfolio(today=TODAY)
    assert not Flag.objects.filter(use_case=ok).exists()
    assert UseCase.objects.get(pk=ok.pk).stage == Stage.ROLLOUT
