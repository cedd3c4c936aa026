"""The set-based sweep (``reviews.sweep_candidates`` + ``reviews.sweep``) raises exactly what
evaluating every use case through the save hook's path does, over random portfolios.

The reference judges each use case on its own with the targets the save hook builds
(``Target.of_review``) for its latest weekly review (its week: the rules and the weekly signals)
and its latest monthly review (the net-value rules), loaded through the hook's loader
(``reviews.series.load_weeks_of``, an explicit week), plus ``no_accountable_owner`` (the sweep's
own signal). The sweep pre-selects candidates in SQL on PostgreSQL (a conservative predicate; the
rules decide), and on SQLite judges every use case (``_every_use_case_python_path``).

Random portfolios aim at the edges: rates exactly on a threshold, denominators of 0, weeks with
gaps, grace weeks, consecutive weeks 0 to 3, overrides (active or not) of every metric, a
net-value rule, model changes around the latest weeks, no value owner, overdue reviews, and
non-default signal thresholds.
"""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reviews.models import Comparison, FlagKind, Metric, MonthlyReview, StopLossRule, WeeklyReview
from reviews.stoploss import judge
from reviews.stoploss import new_candidates as not_flagged_yet
from reviews.sweep import sweep_portfolio
from reviews.sweep_candidates import candidates
from reviews.targets import Target
from tests.conftest import make_use_case
from tests.factories import ModelChangeFactory, MonthlyReviewFactory, WeeklyReviewFactory
from usecases.models import Stage, UseCase

from .stoploss_helpers import TODAY, frozen_today, weeks_back  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

WEEKS = weeks_back(14)  # 2026-W34 … 2026-W47 (today is Wednesday of 2026-W48)
MONTHS = ["2026-08", "2026-09", "2026-10", "2026-11"]

week_values = st.fixed_dictionaries(
    {
        # rework 0 / 10 / 15 (on the default threshold) / 16 % / all; no task with AI
        "tasks_with_ai": st.sampled_from([0, 100, 100, 10000]),
        "reworked_outputs": st.sampled_from([0, 10, 15, 16, 100, 1501]),
        # adoption 0 / 59 / 60 (on the default threshold) / 61 %; no target users
        "active_users": st.sampled_from([0, 59, 60, 61, 100]),
        "target_users": st.sampled_from([0, 100, 100]),
        # exception shares that rise, stall or fall; no task at all
        "tasks_total": st.sampled_from([0, 100, 200]),
        "exceptions": st.sampled_from([0, 1, 2, 3, 5]),
        "quality_score": st.sampled_from([Decimal(70), Decimal("79.50"), Decimal(80), Decimal(85)]),
        "backlog": st.integers(0, 3),
        "declared_hours_saved": st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(2)]),
    }
)

#: Around the latest weeks' boundaries: the Monday and the Sunday of each of the last 10.
CHANGE_DATES = [
    day
    for monday in (datetime.date(2026, 11, 16) - datetime.timedelta(weeks=k) for k in range(10))
    for day in (monday, monday + datetime.timedelta(days=6))
]

THRESHOLDS = {
    Metric.REWORK_RATE: [Decimal("0.1"), Decimal("0.15"), Decimal("0.16")],
    Metric.ADOPTION_RATE: [Decimal("0.59"), Decimal("0.6"), Decimal("0")],
    Metric.EXCEPTION_SHARE: [Decimal("0.01"), Decimal("0.02"), Decimal("0")],
    Metric.QUALITY_SCORE: [Decimal("79.5"), Decimal("80"), Decimal("85")],
    Metric.NET_VALUE: [Decimal("0"), Decimal("-1000"), Decimal("100000")],
}


@st.composite
def rules(draw):
    metric = draw(st.sampled_from(list(THRESHOLDS)))
    return {
        "metric": metric,
        "comparison": draw(st.sampled_from([Comparison.EXCEEDS, Comparison.FALLS_BELOW])),
        "threshold": draw(st.sampled_from(THRESHOLDS[metric])),
        "consecutive_weeks": draw(st.integers(0, 3)),
        "grace_weeks": draw(st.sampled_from([0, 0, 1, 30])),
        "active": draw(st.booleans()),
    }


use_cases = st.fixed_dictionaries(
    {
        "stage": st.sampled_from([Stage.ROLLOUT, Stage.SCALED, Stage.REDESIGN, Stage.PILOT]),
        "owned": st.booleans(),
        "live_since": st.sampled_from(
            [
                None,
                datetime.date(2026, 6, 1),
                datetime.date(2026, 9, 20),
                datetime.date(2026, 10, 26),
                datetime.date(2026, 11, 9),
                TODAY,
            ]
        ),
        # the latest weeks, most of them submitted (a gap neither breaks nor extends a run)
        "weeks": st.lists(st.sampled_from([True, True, True, False]), min_size=14, max_size=14).map(
            lambda kept: [w for w, keep in zip(WEEKS, kept, strict=True) if keep][-12:]
        )
        | st.lists(st.sampled_from(WEEKS), unique=True, max_size=12).map(sorted),
        "figures": st.lists(week_values, min_size=12, max_size=12),
        "months": st.dictionaries(
            st.sampled_from(MONTHS), st.sampled_from(["0", "900", "5000"]), max_size=3
        ),
        "changes": st.lists(
            st.sampled_from(CHANGE_DATES) | st.dates(datetime.date(2026, 8, 1), TODAY),
            unique=True,
            max_size=2,
        ),
        "rules": st.lists(rules(), max_size=2),
    }
)
signal_settings = st.fixed_dictionaries(
    {
        "weeks_window": st.sampled_from([2, 3, 4]),
        "quality_drop_points": st.sampled_from([0, 5, Decimal("5.5")]),
        "min_weeks_after_change": st.sampled_from([1, 2]),
        "max_weeks_after_change": st.sampled_from([3, 8]),
        "weeks_before_change": st.sampled_from([1, 4]),
        "overdue_reviews": st.sampled_from([1, 2, 3, 4, 6, 40]),
    }
)
portfolios = st.fixed_dictionaries(
    {
        "use_cases": st.lists(use_cases, min_size=1, max_size=4),
        "defaults_active": st.booleans(),
        "extra_default": st.none() | rules(),
        "signals": signal_settings,
    }
)


def build(portfolio, owner) -> None:
    StopLossRule.objects.filter(use_case=None).update(active=portfolio["defaults_active"])
    if portfolio["extra_default"]:
        StopLossRule.objects.create(use_case=None, **portfolio["extra_default"])
    for i, spec in enumerate(portfolio["use_cases"]):
        uc = make_use_case(
            f"Random {i}",
            owner=owner if spec["owned"] else None,
            stage=spec["stage"],
            live_since=spec["live_since"],
        )
        for week, figures in zip(spec["weeks"], spec["figures"], strict=False):
            WeeklyReviewFactory(use_case=uc, week=week, **figures)
        for month, run_cost in spec["months"].items():
            MonthlyReviewFactory(use_case=uc, month=month, run_cost=Decimal(run_cost))
        for k, effective in enumerate(spec["changes"]):
            ModelChangeFactory(use_case=uc, effective_date=effective, version_label=f"v{k + 2}")
        for rule in spec["rules"]:
            StopLossRule.objects.filter(use_case=uc, metric=rule["metric"]).delete()
            StopLossRule.objects.create(use_case=uc, **rule)


def key(flag_or_candidate):
    c = flag_or_candidate
    use_case_id = c.use_case_id if hasattr(c, "use_case_id") else c.use_case.pk
    return (use_case_id, c.kind, c.rule_key, c.period, c.historical)


def save_hook_path() -> set[tuple]:
    """Every use case with reviews due judged on its own, with the save hook's targets."""
    found = []
    for uc_id in sorted(UseCase.objects.reviews_due().values_list("pk", flat=True)):
        targets = [Target(owner_signal=True)]
        week = WeeklyReview.objects.filter(use_case_id=uc_id).order_by("-week_start").first()
        month = MonthlyReview.objects.filter(use_case_id=uc_id).order_by("-month_start").first()
        if week is not None:  # its week's rules and signals (the month: below, as its own)
            targets.append(dataclasses.replace(Target.of_review(week), month=None))
        if month is not None:
            targets.append(Target.of_review(month))
        for target in targets:
            found += judge({uc_id: target}, today=TODAY)
    return {key(c) for c in not_flagged_yet(found)}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(portfolio=portfolios)
def test_the_sweep_raises_what_the_save_hook_path_raises(owner, pmo, portfolio):
    with override_settings(VALUEGATE_SIGNALS=portfolio["signals"]), transaction.atomic():
        build(portfolio, owner)
        expected = save_hook_path()
        picked = candidates(today=TODAY)
        outcome = sweep_portfolio(today=TODAY)
        raised = {key(f) for f in outcome.flags + outcome.historical}
        for kind in sorted({k[1] for k in raised}):
            event(f"raised {kind}")
        assert raised == expected
        # Every use case with a flag was a candidate, and its owner signal was looked for.
        assert {k[0] for k in raised} <= set(picked)
        owner_flags = {k[0] for k in raised if k[1] == FlagKind.NO_ACCOUNTABLE_OWNER}
        assert all(picked[pk] for pk in owner_flags)
        transaction.set_rollback(True)


# --- the pre-selection at its boundaries (PostgreSQL: SQLite judges every use case) ------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL pre-selection runs on PostgreSQL"
)


def healthy_weeks(use_case, labels, **changes):
    return [WeeklyReviewFactory(use_case=use_case, week=w, **changes) for w in labels]


@needs_postgresql
def test_owner_candidate_exactly_at_the_overdue_threshold(owner):
    from reviews.cadence import overdue_count_by_use_case

    uc = make_use_case("Owned", owner=owner, live_since=datetime.date(2026, 10, 26))
    healthy_weeks(uc, ["2026-W44"])
    overdue = overdue_count_by_use_case(today=TODAY)[uc.pk]
    assert overdue >= 2
    with override_settings(VALUEGATE_SIGNALS={"overdue_reviews": overdue}):
        assert candidates(today=TODAY) == {uc.pk: True}
        [flag] = sweep_portfolio(today=TODAY).flags
        assert flag.kind == FlagKind.NO_ACCOUNTABLE_OWNER
    with override_settings(VALUEGATE_SIGNALS={"overdue_reviews": overdue + 1}):
        assert candidates(today=TODAY) == {}


@needs_postgresql
def test_quality_drop_exactly_at_the_threshold_over_the_weeks_just_before(owner):
    uc = make_use_case("Changed", owner=owner, live_since=None)
    labels = weeks_back(7)  # 2026-W41 … W47: 1 older week, 4 before the change, 2 after it
    scores = ["0", "100", "85", "85", "85", "83.75", "83.75"]  # 88.75 before, 83.75 after
    for week, score in zip(labels, scores, strict=True):
        WeeklyReviewFactory(use_case=uc, week=week, quality_score=Decimal(score))
    ModelChangeFactory(use_case=uc, effective_date=datetime.date(2026, 11, 10))  # in W46
    signals = {"quality_drop_points": 5, "weeks_before_change": 4}
    with override_settings(VALUEGATE_SIGNALS=signals):
        assert uc.pk in candidates(today=TODAY)
        [flag] = sweep_portfolio(today=TODAY).flags
        assert flag.kind == FlagKind.QUALITY_UNSTABLE_AFTER_CHANGE
    with override_settings(VALUEGATE_SIGNALS={**signals, "quality_drop_points": "5.01"}):
        assert uc.pk not in candidates(today=TODAY)


@needs_postgresql
def test_a_rate_just_above_its_threshold_is_a_candidate(owner):
    uc = make_use_case("Tiny excess", owner=owner, live_since=None)
    StopLossRule.objects.filter(use_case=None).update(active=False)
    StopLossRule.objects.create(
        use_case=uc,
        metric=Metric.REWORK_RATE,
        comparison=Comparison.EXCEEDS,
        threshold=Decimal("0.9999"),
        consecutive_weeks=1,
        grace_weeks=0,
    )
    [week] = healthy_weeks(uc, ["2026-W47"], tasks_total=1, tasks_with_ai=1, reworked_outputs=1)
    assert candidates(today=TODAY) == {uc.pk: False}
    [flag] = sweep_portfolio(today=TODAY).flags
    assert (flag.kind, flag.period) == (FlagKind.STOP_LOSS, "2026-W47")
    WeeklyReview.objects.filter(pk=week.pk).update(tasks_with_ai=2, tasks_total=2)  # 50 %
    assert candidates(today=TODAY) == {}


@needs_postgresql
def test_a_latest_week_with_telemetry_is_a_candidate(owner):
    """``declared_vs_measured`` (the fifth signal) compares the latest week with what telemetry
    measured of it: a use case whose latest week has spans is judged, however clean it is."""
    from .telemetry_helpers import telemetry_rows

    uc = make_use_case("Measured", owner=owner, live_since=None)
    [week] = healthy_weeks(uc, ["2026-W47"])
    assert candidates(today=TODAY) == {}
    telemetry_rows(uc, "2026-W46", users=1, tasks=1)  # an earlier week: not what is judged
    assert candidates(today=TODAY) == {}
    telemetry_rows(uc, "2026-W47", users=week.active_users * 2, tasks=week.tasks_with_ai)
    assert candidates(today=TODAY) == {uc.pk: False}
    [flag] = sweep_portfolio(today=TODAY).flags
    assert flag.kind == FlagKind.DECLARED_VS_MEASURED
