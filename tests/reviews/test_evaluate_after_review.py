"""``stoploss.evaluate_after_review`` reads one use case in a few queries: it must raise exactly
what ``stoploss.evaluate`` raises for the same review (the evaluation the save hook ran before),
whichever review is saved, with or without the model change in effect handed over.

Each evaluation runs in a transaction that is rolled back, so both see the same data.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from reviews import stoploss
from reviews.models import (
    Comparison,
    Flag,
    Metric,
    RuleAction,
    StopLossRule,
    WeeklyReview,
)
from reviews.services import model_version_in_effect
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from usecases import economics
from usecases.models import ModelChange, Notification, UseCase

from .stoploss_helpers import HEALTHY, frozen_today, weeks_back  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

D = Decimal


class _Rollback(Exception):
    pass


def outcome_of(evaluation, use_case) -> dict:
    """What ``evaluation()`` raises and changes, then rolled back."""
    seen = {}
    try:
        with transaction.atomic():
            evaluation()
            seen["flags"] = sorted(
                Flag.objects.filter(use_case=use_case).values_list(
                    "kind",
                    "rule_key",
                    "period",
                    "observed_value",
                    "threshold",
                    "explanation",
                    "triggered_by",
                    "resolved_at",
                )
            )
            seen["stage"] = UseCase.objects.values_list("stage", "funding_status").get(
                pk=use_case.pk
            )
            seen["notifications"] = sorted(
                Notification.objects.values_list("recipient_id", "kind", "period", "title")
            )
            raise _Rollback
    except _Rollback:
        pass
    return seen


def reference(review) -> stoploss.Outcome:
    """The save hook as it was: one target for ``evaluate``, the signals only at the latest
    week."""
    if isinstance(review, WeeklyReview):
        is_latest = not WeeklyReview.objects.filter(
            use_case_id=review.use_case_id, week_start__gt=review.week_start
        ).exists()
        target = stoploss.Target(
            week=review.week,
            month=economics.format_month(review.month_start.year, review.month_start.month),
            signals=is_latest,
            trigger=stoploss.Trigger("weekly", review.week, review.pk),
        )
    else:
        target = stoploss.Target(
            month=review.month, trigger=stoploss.Trigger("monthly", review.month, review.pk)
        )
    return stoploss.evaluate({review.use_case_id: target})


@pytest.fixture(params=["with a net-value rule", "weekly rules only"])
def portfolio(request, use_case, owner, pmo):
    """14 weeks that breach and signal in several ways, two monthly reviews, rules of every kind
    (an override, a run of 3 weeks, grace weeks, and in one variant a net-value rule over 2 months:
    its evaluation reads the use case row first), a model change
    within the weeks and one right at the last week, a flag already raised."""
    use_case.live_since = datetime.date(2026, 8, 24)
    use_case.save()
    StopLossRule.objects.create(
        use_case=use_case,
        metric=Metric.REWORK_RATE,
        comparison=Comparison.EXCEEDS,
        threshold=D("0.12"),
        consecutive_weeks=3,
        grace_weeks=2,
    )
    StopLossRule.objects.create(
        use_case=use_case,
        metric=Metric.QUALITY_SCORE,
        comparison=Comparison.FALLS_BELOW,
        threshold=D("80"),
        action=RuleAction.FLAG_ONLY,
    )
    if request.param == "with a net-value rule":
        StopLossRule.objects.create(
            metric=Metric.NET_VALUE,
            comparison=Comparison.FALLS_BELOW,
            threshold=D("100000"),
            consecutive_weeks=2,
        )
    for label, kind, effective in (
        ("prompt v2", "prompt", datetime.date(2026, 10, 26)),  # W44
        ("model v3", "model", datetime.date(2026, 11, 22)),  # the Sunday of W47
    ):
        ModelChange.objects.create(
            use_case=use_case, version_label=label, kind=kind, effective_date=effective
        )
    reviews = {}
    for n, week in enumerate(weeks_back(14)):
        figures = {
            **HEALTHY,
            "reworked_outputs": 80 + 12 * n,  # rework climbs past 12 %, then 15 %
            "exceptions": 10 + 3 * n,  # exception share rises every week
            "quality_score": D("86") if n < 10 else D("78"),  # drops after prompt v2
            "declared_hours_saved": D("20"),
            "backlog": 100 + n,  # grows while hours are declared saved
        }
        reviews[week] = WeeklyReviewFactory(
            use_case=use_case, week=week, submitted_by=owner, **figures
        )
    zero = {name: D("0") for name in ("training_cost", "support_cost", "integration_cost")}
    for month in ("2026-10", "2026-11"):
        reviews[month] = MonthlyReviewFactory(
            use_case=use_case,
            month=month,
            submitted_by=owner,
            run_cost=D("900"),
            maintenance_cost=D("0"),
            other_cost=D("0"),
            **zero,
        )
    Flag.objects.create(
        use_case=use_case,
        kind="exceptions_growing",
        rule_key="exceptions_growing",
        period="2026-W40",
        explanation="An open warning from earlier.",
    )
    return reviews


@pytest.mark.parametrize("saved", ["2026-W47", "2026-W46", "2026-W41", "2026-W36", "2026-11"])
@pytest.mark.parametrize("hint", ["model change handed over", "model changes read"])
def test_same_flags_stage_and_notifications_as_evaluate(saved, hint, portfolio, use_case):
    # The review as a caller holds it: its use case loaded a while ago and changed since (the
    # evaluation reads it afresh, as ``evaluate`` does): renamed, live later (so W41 is now in
    # the override's grace weeks).
    review = type(portfolio[saved]).objects.select_related("use_case").get(pk=portfolio[saved].pk)
    UseCase.objects.filter(pk=use_case.pk).update(
        name="Renamed meanwhile", live_since=datetime.date(2026, 9, 28)
    )
    assert review.use_case.name != "Renamed meanwhile"
    kwargs = {}
    if hint == "model change handed over" and isinstance(review, WeeklyReview):
        kwargs["change_in_effect"] = model_version_in_effect(use_case, review.week)
    expected = outcome_of(lambda: reference(review), use_case)
    got = outcome_of(lambda: stoploss.evaluate_after_review(review, **kwargs), use_case)
    assert got == expected
    if saved == "2026-W47" or (
        saved == "2026-11" and StopLossRule.objects.filter(metric="net_value")
    ):
        assert len(got["flags"]) > 1, "the scenario should raise a flag (one is there before)"


def test_latest_week_without_breach_reads_two_statements(use_case, owner):
    """Rules, then the latest weeks with live_since and whether the week has spans (the
    ``declared_vs_measured`` signal; none here, so no telemetry query follows): two queries
    when nothing breaches."""
    review = WeeklyReviewFactory(use_case=use_case, week="2026-W47", submitted_by=owner, **HEALTHY)
    with CaptureQueriesContext(connection) as queries:
        outcome = stoploss.evaluate_after_review(review, change_in_effect=None)
    assert outcome.flags == []
    tables = [_outer(q["sql"]).split(" FROM ")[1].split()[0] for q in queries.captured_queries]
    assert tables == ['"reviews_stoplossrule"', '"reviews_weeklyreview"']
    assert "reviews_telemetryday" in queries.captured_queries[1]["sql"]  # the spans, asked in it


def _outer(sql: str) -> str:
    """``sql`` without what stands in parentheses (its subqueries)."""
    depth, kept = 0, []
    for char in sql:
        depth += char == "("
        if depth == 0:
            kept.append(char)
        depth -= char == ")"
    return "".join(kept)


def _breaching_save_statements(use_case, owner, week: str) -> int:
    """Statements of a review save that breaches the default rework rule (its e-mails, after
    commit, not run)."""
    from .stoploss_helpers import rework, submit_week

    with CaptureQueriesContext(connection) as queries:
        submit_week(use_case, week, user=owner, **rework("0.19"))
    return len(queries.captured_queries)


def test_a_breach_is_written_in_bulk_whoever_is_told(
    owner, pmo, django_capture_on_commit_callbacks
):
    """The save hook raises its flags as the sweep does (``stoploss_effects.raise_many``): the
    flag, the stage change and every notice in a fixed number of statements, however many
    PMO members are copied (one by one, each notice was a savepoint, a read and an insert)."""
    from tests.conftest import make_use_case, make_user

    from .stoploss_helpers import rework, submit_week

    warm = make_use_case("Warm-up", owner=owner)
    submit_week(warm, "2026-W47", user=owner, **rework("0.19"))  # the rules' caches, read once
    with django_capture_on_commit_callbacks(execute=False):
        one_pmo = _breaching_save_statements(make_use_case("One", owner=owner), owner, "2026-W47")
    for name in ("paul", "petra", "pat"):
        make_user(name, "PMO")
    with django_capture_on_commit_callbacks(execute=False):
        four = _breaching_save_statements(make_use_case("Four", owner=owner), owner, "2026-W47")
    assert four == one_pmo
    [flag] = Flag.objects.filter(use_case__name="Four")
    told = Notification.objects.filter(kind="stop_loss", subject_id=flag.pk)
    assert sorted(told.values_list("recipient__username", flat=True)) == [
        "olivia",
        "pat",
        "paul",
        "petra",
        "pia",
    ]
