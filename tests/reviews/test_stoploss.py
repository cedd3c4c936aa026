"""reviews.breaches (rule semantics, pure) and reviews.stoploss (the evaluation run by the review
save hook)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail

from reviews import breaches
from reviews.flags import flag_raise, flag_row
from reviews.models import Comparison, Flag, FlagKind, Metric, RuleAction, StopLossRule
from reviews.points import WeekPoint
from usecases import economics
from usecases.models import Funding, Notification, Stage, StageTransition, UseCase

from .stoploss_helpers import (
    adoption,
    correct_week,
    default_rule,
    frozen_today,  # noqa: F401
    make_rule,
    rework,
    submit_month,
    submit_week,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def stop_loss_flags(use_case):
    return list(Flag.objects.filter(use_case=use_case, kind=FlagKind.STOP_LOSS).order_by("id"))


# --- pure rule semantics -----------------------------------------------------------------------


def point(week, value, metric="rework_rate"):
    monday, _ = economics.iso_week_bounds(*economics.parse_iso_week(week))
    values = dict(
        adoption_rate=Decimal("0.8"),
        rework_rate=Decimal("0.1"),
        exception_share=Decimal("0.01"),
        quality_score=Decimal("85"),
    )
    values[metric] = Decimal(value)
    return WeekPoint(review_id=1, week=week, week_start=monday, **values)


def rule(**fields):
    defaults = dict(
        metric=Metric.REWORK_RATE,
        comparison=Comparison.EXCEEDS,
        threshold=Decimal("0.15"),
        consecutive_weeks=1,
        grace_weeks=0,
        action=RuleAction.REDESIGN,
    )
    return StopLossRule(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("value", "comparison", "breach"),
    [
        ("0.15", Comparison.EXCEEDS, False),
        ("0.1501", Comparison.EXCEEDS, True),
        ("0.1499", Comparison.EXCEEDS, False),
        ("0.60", Comparison.FALLS_BELOW, False),
        ("0.5999", Comparison.FALLS_BELOW, True),
        ("0.6001", Comparison.FALLS_BELOW, False),
    ],
)
def test_breaches_is_strict(value, comparison, breach):
    threshold = Decimal("0.15") if comparison == Comparison.EXCEEDS else Decimal("0.60")
    assert breaches.breaches(Decimal(value), comparison, threshold) is breach


def test_consecutive_weeks_are_the_last_submitted_ones():
    r = rule(consecutive_weeks=3)
    # W45 is missing: the last three SUBMITTED weeks are W43, W44, W46 (+ the evaluated W47).
    series = [point("2026-W43", "0.30"), point("2026-W44", "0.20"), point("2026-W46", "0.20")]
    assert breaches.rule_breach(r, series, live_since=None) is not None
    assert breaches.rule_breach(r, series[1:], live_since=None) is None  # only two weeks
    broken = [point("2026-W43", "0.30"), point("2026-W44", "0.10"), point("2026-W46", "0.20")]
    assert breaches.rule_breach(r, broken, live_since=None) is None


def test_grace_weeks_neither_fire_nor_count():
    live = datetime.date(2026, 10, 26)  # Monday of 2026-W44
    r = rule(grace_weeks=2)
    assert breaches.rule_breach(r, [point("2026-W45", "0.3")], live_since=live) is None
    assert breaches.rule_breach(r, [point("2026-W46", "0.3")], live_since=live) is not None
    two = rule(grace_weeks=2, consecutive_weeks=2)
    run = [point("2026-W45", "0.3"), point("2026-W46", "0.3")]
    assert breaches.rule_breach(two, run, live_since=live) is None  # W45 is in grace
    # No grace weeks: only weeks that started before going live are spared.
    zero = rule(grace_weeks=0)
    assert breaches.rule_breach(zero, [point("2026-W43", "0.3")], live_since=live) is None
    assert breaches.rule_breach(zero, [point("2026-W44", "0.3")], live_since=live) is not None
    assert breaches.rule_breach(zero, [point("2026-W43", "0.3")], live_since=None) is not None


def test_effective_rules_overrides_beat_defaults():
    default_rework = rule(pk=1, use_case_id=None)
    default_adoption = rule(
        pk=2, use_case_id=None, metric=Metric.ADOPTION_RATE, comparison=Comparison.FALLS_BELOW
    )
    override = rule(pk=3, use_case_id=7, threshold=Decimal("0.30"))
    inactive = rule(pk=4, use_case_id=7, metric=Metric.ADOPTION_RATE, active=False)
    elsewhere = rule(pk=5, use_case_id=8, metric=Metric.QUALITY_SCORE)
    rules = [default_rework, default_adoption, override, inactive, elsewhere]
    assert [r.pk for r in breaches.effective_rules(7, rules)] == [3, 2]
    assert [r.pk for r in breaches.effective_rules(8, rules)] == [5, 1, 2]
    default_adoption.active = False
    assert [r.pk for r in breaches.effective_rules(9, rules)] == [1]


# --- the save hook, end to end -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("figures", "flagged"),
    [
        (rework("0.15"), False),
        (rework("0.1501"), True),
        (adoption("0.60"), False),
        (adoption("0.5999"), True),
    ],
    ids=["rework-15%", "rework-15.01%", "adoption-60%", "adoption-59.99%"],
)
def test_default_policy_boundaries(use_case, owner, figures, flagged):
    submit_week(use_case, "2026-W47", user=owner, **figures)
    use_case.refresh_from_db()
    assert bool(stop_loss_flags(use_case)) is flagged
    assert use_case.stage == (Stage.REDESIGN if flagged else Stage.ROLLOUT)


def test_the_observed_value_reads_the_same_in_every_place(use_case, owner):
    """573 reworked of 3,229: 17.7454…%, kept by the flag as 0.1775. The explanation said
    "17.7%" (the threshold's places, from the exact rate) while the Observed column said
    "17.75%" (the stored value): two figures for one value on the same card. Both now say
    17.75%, and so do the flag's title and the form's foreseen consequence."""
    from reviews.consequences import breach_words
    from reviews.flags import flag_figures

    figures = dict(tasks_total=4000, tasks_with_ai=3229, reworked_outputs=573, exceptions=0)
    submit_week(use_case, "2026-W47", user=owner, **figures)
    [flag] = stop_loss_flags(use_case)
    assert flag.observed_value == Decimal("0.1775")
    assert flag.explanation.startswith(
        "Rework rate was 17.75% in 2026-W47, above the stop-loss threshold of 15.0%."
    )
    assert flag_figures(flag) == ("17.75%", "15.0%")
    rate = Decimal(573) / Decimal(3229)
    assert "Rework rate 17.75% exceeds the 15.0% stop-loss threshold" in breach_words(
        flag.rule, rate, 1
    )


def test_the_explanation_states_a_finer_threshold_exactly(use_case, owner):
    """A threshold of 15.25 % is said as 15.25 %, never rounded to 15.3 % (it is what the rule
    compares with); the observed value is given to the same places."""
    rule = default_rule(Metric.REWORK_RATE)
    rule.threshold = Decimal("0.1525")
    rule.save()
    submit_week(use_case, "2026-W47", user=owner, **rework("0.19"))
    [flag] = stop_loss_flags(use_case)
    assert flag.explanation.startswith(
        "Rework rate was 19.00% in 2026-W47, above the stop-loss threshold of 15.25%. "
        "Rule (default policy): rework rate exceeds 15.25% for 1 consecutive week"
    )


def test_breach_raises_flag_moves_stage_and_notifies(
    use_case, owner, pmo, contributor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = submit_week(use_case, "2026-W47", user=contributor, **rework("0.19"))
    rule = default_rule(Metric.REWORK_RATE)
    [flag] = stop_loss_flags(use_case)
    assert flag.rule == rule
    assert flag.rule_key == f"rule:{rule.pk}"
    assert flag.period == "2026-W47"
    assert flag.observed_value == Decimal("0.1900")
    assert flag.threshold == Decimal("0.1500")
    assert flag.triggered_by == f"weekly:2026-W47 (review #{review.pk})"
    assert flag.explanation.startswith(
        "Rework rate was 19.0% in 2026-W47, above the stop-loss threshold of 15.0%."
    )
    assert "moved from Rollout to Redesign" in flag.explanation
    assert flag.is_open

    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == (Stage.REDESIGN, Funding.CONDITIONAL)
    latest = use_case.history.latest()
    assert latest.stage == Stage.REDESIGN
    assert latest.history_change_reason == (
        f"stop-loss: rework rate 19.0% exceeds 15.0% in 2026-W47 (weekly review #{review.pk})"
    )
    assert use_case.history.filter(stage=Stage.REDESIGN).count() == 1

    notes = Notification.objects.filter(
        kind="stop_loss",
        subject_type=ContentType.objects.get_for_model(Flag),
        subject_id=flag.pk,
        period="2026-W47",
    )
    assert {n.recipient for n in notes} == {owner, pmo}
    assert {tuple(m.to) for m in mail.outbox} == {(owner.email,), (pmo.email,)}
    assert "Stop-loss on Customer-response assistant" in mail.outbox[0].subject


def test_return_to_redesign_leaves_a_stage_transition_naming_the_flag_and_review(
    use_case, owner, pmo
):
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.SCALED, funding_status="funded")
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.19"))
    [flag] = stop_loss_flags(use_case)
    [moved] = StageTransition.objects.filter(use_case=use_case)
    reason = f"stop-loss: rework rate 19.0% exceeds 15.0% in 2026-W47 (weekly review #{review.pk})"
    assert (moved.stage_before, moved.funding_before) == (Stage.SCALED, Funding.FUNDED)
    assert (moved.stage_after, moved.funding_after) == (Stage.REDESIGN, Funding.CONDITIONAL)
    assert (moved.cause_kind, moved.cause_id) == ("stop_loss", flag.pk)
    assert moved.cause_label == f"stop-loss flag #{flag.pk} (weekly review #{review.pk})"
    assert (moved.reason, moved.actor) == (reason, None)
    # The owner hears of it once, through the transition; the PMO as a copy.
    notes = Notification.objects.filter(kind="stop_loss")
    assert sorted(notes.values_list("recipient__username", flat=True)) == ["olivia", "pia"]


def test_a_flag_that_moves_no_stage_leaves_no_stage_transition(use_case, owner, pmo):
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.REDESIGN)
    submit_week(use_case, "2026-W47", user=owner, **rework("0.19"))
    assert len(stop_loss_flags(use_case)) == 1
    assert not StageTransition.objects.exists()
    notes = Notification.objects.filter(kind="stop_loss")
    assert sorted(notes.values_list("recipient__username", flat=True)) == ["olivia", "pia"]


def test_resubmitting_the_same_breach_changes_nothing_more(use_case, owner):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.19"))
    history_before = use_case.history.count()
    correct_week(review, user=owner, notes="typo fixed")
    correct_week(review, user=owner, reworked_outputs=2500)
    assert len(stop_loss_flags(use_case)) == 1
    assert use_case.history.count() == history_before
    assert Notification.objects.filter(kind="stop_loss").count() == 1  # the owner only (no PMO)


def test_each_breaching_week_is_its_own_flag_but_the_stage_moves_once(use_case, owner):
    submit_week(use_case, "2026-W46", user=owner, **rework("0.19"))
    submit_week(use_case, "2026-W47", user=owner, **rework("0.21"))
    assert [f.period for f in stop_loss_flags(use_case)] == ["2026-W46", "2026-W47"]
    assert use_case.history.filter(history_change_reason__startswith="stop-loss").count() == 1


def test_correction_reevaluates(use_case, owner):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.10"))
    assert stop_loss_flags(use_case) == []
    review = correct_week(review, user=owner, reworked_outputs=1600)
    [flag] = stop_loss_flags(use_case)
    use_case.refresh_from_db()
    assert use_case.stage == Stage.REDESIGN
    assert f"weekly review #{review.pk}" in use_case.history.latest().history_change_reason
    # Correcting the breach away withdraws the flag (``tests/reviews/test_withdrawals.py``).
    correct_week(review, user=owner, reworked_outputs=100)
    assert stop_loss_flags(use_case) == [flag]
    assert not Flag.objects.get(pk=flag.pk).is_open


def test_consecutive_weeks_count_only_submitted_weeks(use_case, owner):
    make_rule(use_case, consecutive_weeks=3)
    submit_week(use_case, "2026-W43", user=owner, **rework("0.20"))
    submit_week(use_case, "2026-W44", user=owner, **rework("0.20"))
    # W45 never submitted: it does not break the run.
    assert stop_loss_flags(use_case) == []
    submit_week(use_case, "2026-W46", user=owner, **rework("0.20"))
    [flag] = stop_loss_flags(use_case)
    assert flag.period == "2026-W46"
    assert "each of the last 3 submitted weekly reviews" in flag.explanation


def test_consecutive_weeks_need_every_week_to_breach(use_case, owner):
    make_rule(use_case, consecutive_weeks=2)
    submit_week(use_case, "2026-W44", user=owner, **rework("0.20"))
    submit_week(use_case, "2026-W45", user=owner, **rework("0.10"))
    submit_week(use_case, "2026-W46", user=owner, **rework("0.20"))
    assert stop_loss_flags(use_case) == []
    submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    assert [f.period for f in stop_loss_flags(use_case)] == ["2026-W47"]


def test_grace_weeks_after_live_since(use_case, owner):
    UseCase.objects.filter(pk=use_case.pk).update(live_since=datetime.date(2026, 11, 2))  # W45
    make_rule(use_case, grace_weeks=2)
    submit_week(use_case, "2026-W45", user=owner, **rework("0.30"))
    submit_week(use_case, "2026-W46", user=owner, **rework("0.30"))
    assert stop_loss_flags(use_case) == []
    submit_week(use_case, "2026-W47", user=owner, **rework("0.30"))
    assert [f.period for f in stop_loss_flags(use_case)] == ["2026-W47"]


def test_override_beats_default(use_case, other_use_case, owner, other_owner):
    make_rule(use_case, threshold=Decimal("0.30"))
    submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    submit_week(other_use_case, "2026-W47", user=other_owner, **rework("0.20"))
    assert stop_loss_flags(use_case) == []
    assert len(stop_loss_flags(other_use_case)) == 1
    # The adoption default still applies to the overridden use case.
    submit_week(use_case, "2026-W46", user=owner, **adoption("0.50"))
    [flag] = stop_loss_flags(use_case)
    assert flag.rule == default_rule(Metric.ADOPTION_RATE)


def test_inactive_override_lets_the_default_apply(use_case, owner):
    make_rule(use_case, threshold=Decimal("0.30"), active=False)
    submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = stop_loss_flags(use_case)
    assert flag.rule == default_rule(Metric.REWORK_RATE)


def test_flag_only_rule_changes_no_stage(use_case, owner):
    make_rule(
        use_case,
        metric=Metric.QUALITY_SCORE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("70"),
        action=RuleAction.FLAG_ONLY,
    )
    submit_week(use_case, "2026-W47", user=owner, quality_score=Decimal("69.5"))
    [flag] = stop_loss_flags(use_case)
    assert "Quality score was 69.5 in 2026-W47, below the stop-loss threshold of 70" in (
        flag.explanation
    )
    use_case.refresh_from_db()
    assert use_case.stage == Stage.ROLLOUT


@pytest.mark.parametrize(
    ("stage", "moves"),
    [
        (Stage.ROLLOUT, True),
        (Stage.SCALED, True),
        (Stage.REDESIGN, False),
        (Stage.ON_HOLD, False),
        (Stage.PILOT, False),
    ],
)
def test_only_rollout_and_scaled_return_to_redesign(use_case, owner, stage, moves):
    UseCase.objects.filter(pk=use_case.pk).update(stage=stage, funding_status=Funding.FUNDED)
    submit_week(use_case, "2026-W47", user=owner, **rework("0.19"))
    use_case.refresh_from_db()
    assert len(stop_loss_flags(use_case)) == 1
    assert use_case.stage == (Stage.REDESIGN if moves else stage)
    assert use_case.funding_status == (Funding.CONDITIONAL if moves else Funding.FUNDED)


def test_exception_share_rule(use_case, owner):
    make_rule(metric=Metric.EXCEPTION_SHARE, threshold=Decimal("0.05"), action="flag_only")
    submit_week(use_case, "2026-W46", user=owner, exceptions=50)  # exactly 5%
    assert stop_loss_flags(use_case) == []
    submit_week(use_case, "2026-W47", user=owner, exceptions=51)
    [flag] = stop_loss_flags(use_case)
    assert flag.observed_value == Decimal("0.0510")


def test_monthly_net_value_rule_on_monthly_and_weekly_saves(use_case, owner, pmo):
    rule = make_rule(
        metric=Metric.NET_VALUE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("0"),
        action=RuleAction.REDESIGN,
    )
    # October 2026: weeks W40..W44 belong to it (their Thursday is in October).
    week = submit_week(use_case, "2026-W41", user=owner)
    # gross = 800 × 3.5 / 60 × 45 = 2100; × R 0.5 = 1050; rework 80 × 5 / 60 × 45 = 300.
    assert stop_loss_flags(use_case) == []  # no monthly review yet: no net value to judge
    month = submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("750"))
    assert stop_loss_flags(use_case) == []  # 1050 − 300 − 750 = 0: not below 0
    correct_week(week, user=owner, reworked_outputs=81)  # rework cost 303.75 → −3.75
    [flag] = stop_loss_flags(use_case)
    assert (flag.rule, flag.period) == (rule, "2026-10")
    assert flag.observed_value == Decimal("-3.7500")
    assert flag.triggered_by == f"weekly:2026-W41 (review #{week.pk})"
    assert "Monthly net value was −EUR 3.75 in 2026-10" in flag.explanation
    use_case.refresh_from_db()
    assert use_case.stage == Stage.REDESIGN
    assert month.pk  # the monthly review itself stays as it was


def test_monthly_review_save_triggers_net_value_rule(use_case, owner):
    make_rule(metric=Metric.NET_VALUE, comparison=Comparison.FALLS_BELOW, threshold=Decimal("500"))
    submit_week(use_case, "2026-W41", user=owner)
    month = submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("300"))
    [flag] = stop_loss_flags(use_case)
    assert flag.period == "2026-10"
    assert flag.triggered_by == f"monthly:2026-10 (review #{month.pk})"
    assert f"(monthly review #{month.pk})" in use_case.history.latest().history_change_reason


def test_consecutive_months_count_months_with_a_monthly_review(use_case, owner):
    make_rule(
        use_case,
        metric=Metric.NET_VALUE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("0"),
        consecutive_weeks=2,
    )
    submit_month(use_case, "2026-08", user=owner, run_cost=Decimal("10"))
    # 2026-09 has no monthly review: it neither breaks nor extends the run.
    assert stop_loss_flags(use_case) == []
    submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("10"))
    [flag] = stop_loss_flags(use_case)
    assert flag.period == "2026-10"
    assert "each of the last 2 months with a monthly review" in flag.explanation


def test_old_week_correction_evaluates_that_week_with_its_own_history(use_case, owner):
    make_rule(use_case, consecutive_weeks=2)
    first = submit_week(use_case, "2026-W44", user=owner)
    submit_week(use_case, "2026-W45", user=owner, **rework("0.20"))
    submit_week(use_case, "2026-W46", user=owner)
    assert stop_loss_flags(use_case) == []
    # Correcting W44 evaluates W44 with the weeks up to W44 only: one week of the two.
    correct_week(first, user=owner, **rework("0.20"))
    assert stop_loss_flags(use_case) == []
    # Re-saving W45 now finds W44 and W45 both above 15%.
    review_45 = use_case.weekly_reviews.get(week="2026-W45")
    correct_week(review_45, user=owner, notes="re-read")
    assert [f.period for f in stop_loss_flags(use_case)] == ["2026-W45"]


def test_change_reason_fits_the_history_column(use_case, owner):
    make_rule(
        use_case,
        metric=Metric.NET_VALUE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("-1234567.89"),
    )
    submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("9999999999.99"))
    reason = use_case.history.latest().history_change_reason
    assert reason.startswith("stop-loss: monthly net value")
    assert len(reason) <= 100


def test_flag_raise_is_once_per_rule_and_period(use_case):
    common = dict(
        use_case_id=use_case.pk,
        kind=FlagKind.STOP_LOSS,
        rule_key="rule:1",
        period="2026-W47",
        explanation="x",
    )
    first, created = flag_raise(flag_row(**common))
    assert created
    again, created_again = flag_raise(flag_row(**common))
    assert (again, created_again) == (first, False)
    assert Flag.objects.count() == 1


def test_database_refuses_a_second_flag(use_case):
    from django.db import IntegrityError, transaction

    Flag.objects.create(
        use_case=use_case, kind="stop_loss", rule_key="rule:1", period="2026-W47", explanation="x"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(
            use_case=use_case,
            kind="stop_loss",
            rule_key="rule:1",
            period="2026-W47",
            explanation="y",
        )


def test_resolved_flag_is_not_raised_again_for_the_same_period(use_case, owner, pmo):
    from reviews.flags import flag_resolve

    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.19"))
    [flag] = stop_loss_flags(use_case)
    flag_resolve(user=pmo, flag=flag, note="Rework spike explained: new agents onboarded.")
    correct_week(review, user=owner, reworked_outputs=2000)
    assert stop_loss_flags(use_case) == [flag]


@pytest.mark.parametrize(
    "value", [Decimal("1e400"), Decimal("-1e30"), Decimal("NaN"), Decimal("Infinity"), None]
)
def test_an_observed_value_no_flag_can_keep_is_still_said(value):
    """The words never fail on a value beyond what a flag keeps (a preview's figures)."""
    from reviews.metric_format import observed_text

    for metric in (Metric.NET_VALUE, Metric.REWORK_RATE, Metric.QUALITY_SCORE):
        rule = StopLossRule(metric=metric, comparison=Comparison.EXCEEDS, threshold=Decimal("0.15"))
        assert isinstance(observed_text(rule, value), str)
