"""A correction that removes a stop-loss breach withdraws its flag (``reviews.withdrawals``):
a) resolved and the stage restored when nothing else changed the use case since; b) marked for the
PMO otherwise, who resolves it with the restore; c) resolved without a stage change when the flag
moved no stage. Weekly and monthly. Only complete weeks/months (the clock is Wed 2026-11-25)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reviews.flags import flag_resolve
from reviews.models import Comparison, Flag, FlagKind, FlagResolution, Metric, RuleAction
from reviews.services import monthly_review_correct
from reviews.stoploss_effects import WithdrawalEffect
from reviews.withdrawals import flag_resolve_and_restore, restore_offer
from usecases import transitions
from usecases.models import Funding, Notification, Stage, StageTransition, TransitionCause, UseCase

from .stoploss_helpers import (
    correct_week,
    frozen_today,  # noqa: F401
    make_rule,
    rework,
    submit_month,
    submit_week,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def flags_of(use_case):
    return list(Flag.objects.filter(use_case=use_case, kind=FlagKind.STOP_LOSS).order_by("id"))


def state(use_case):
    return tuple(UseCase.objects.values_list("stage", "funding_status").get(pk=use_case.pk))


ROLLOUT = (Stage.ROLLOUT, Funding.FUNDED)
REDESIGN = (Stage.REDESIGN, Funding.CONDITIONAL)


@pytest.fixture(autouse=True)
def funded(use_case):
    """Job ad writer of the issue: in rollout, funded."""
    UseCase.objects.filter(pk=use_case.pk).update(funding_status=Funding.FUNDED)


def withdrawal_notices():
    return sorted(
        Notification.objects.filter(kind="stop_loss_withdrawn").values_list(
            "recipient__username", flat=True
        )
    )


# --- a) nothing else changed: resolved, stage and funding restored -----------------------------


def test_weekly_correction_withdraws_the_flag_and_restores_the_stage(use_case, owner, pmo):
    assert state(use_case) == ROLLOUT
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    assert state(use_case) == REDESIGN

    corrected = correct_week(review, user=owner, **rework("0.10"))

    flag.refresh_from_db()
    assert not flag.is_open
    assert flag.resolution_kind == FlagResolution.WITHDRAWN
    assert flag.resolution_note == (
        "withdrawn: review 2026-W47 corrected by olivia at 2026-11-25 10:00, rework rate now 10.0%"
    )
    assert state(use_case) == ROLLOUT
    restore = StageTransition.objects.filter(use_case=use_case).first()  # the latest
    assert (restore.stage_before, restore.funding_before) == REDESIGN
    assert (restore.stage_after, restore.funding_after) == ROLLOUT
    assert (restore.cause_kind, restore.cause_id) == (TransitionCause.WITHDRAWAL, flag.pk)
    history = list(review.history.order_by("history_id").values_list("history_id", flat=True))
    assert f"weekly review #{review.pk} (2026-W47) corrected by olivia" in restore.cause_label
    assert f"version 1 → 2 (history #{history[0]} → #{history[1]})" in restore.cause_label
    assert restore.actor == owner
    assert withdrawal_notices() == ["olivia", "pia"]
    [withdrawn] = corrected.outcome.withdrawn
    assert withdrawn.flag == flag
    assert withdrawn.effect == WithdrawalEffect.RESTORED
    assert withdrawn.observed_now == Decimal("0.1")
    assert withdrawn.restore_to == ROLLOUT
    assert "returned to Rollout / Funded" in withdrawn.message
    assert flag.history.latest().history_change_reason == "withdrawn by correction"


def test_a_correction_that_keeps_the_breach_withdraws_nothing(use_case, owner):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    corrected = correct_week(review, user=owner, **rework("0.18"))
    [flag] = flags_of(use_case)
    assert flag.is_open and flag.withdrawn_at is None
    assert corrected.outcome.withdrawn == []
    assert state(use_case) == REDESIGN


def net_value_rule():
    return make_rule(
        metric=Metric.NET_VALUE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("0"),
        action=RuleAction.REDESIGN,
    )


def test_monthly_correction_withdraws_the_net_value_flag_and_restores(use_case, owner, pmo):
    net_value_rule()
    submit_week(use_case, "2026-W41", user=owner)  # net value 750 before costs
    month = submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("1000"))
    [flag] = flags_of(use_case)
    assert state(use_case) == REDESIGN

    corrected = monthly_review_correct(
        user=owner, review=month, data={"run_cost": Decimal("500")}, expected_version=None
    )

    flag.refresh_from_db()
    assert flag.resolution_kind == FlagResolution.WITHDRAWN
    assert flag.resolution_note.startswith("withdrawn: review 2026-10 corrected by olivia at ")
    assert flag.resolution_note.endswith("monthly net value now EUR 250.00")
    assert state(use_case) == ROLLOUT
    restore = StageTransition.objects.filter(use_case=use_case).first()
    assert restore.cause_kind == TransitionCause.WITHDRAWAL
    assert f"monthly review #{month.pk} (2026-10)" in restore.cause_label
    assert [w.effect for w in corrected.outcome.withdrawn] == ["restored"]
    assert withdrawal_notices() == ["olivia", "pia"]


def test_weekly_correction_withdraws_a_net_value_flag_of_its_month(use_case, owner, pmo):
    net_value_rule()
    # Rework cost 80 × 15 / 60 × 45 = 900: 1050 − 900 − 500 < 0.
    week = submit_week(use_case, "2026-W41", user=owner, rework_minutes_per_output=15)
    submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("500"))
    [flag] = flags_of(use_case)
    correct_week(week, user=owner, rework_minutes_per_output=5)  # 1050 − 300 − 500 = 250
    flag.refresh_from_db()
    assert flag.resolution_kind == FlagResolution.WITHDRAWN
    assert state(use_case) == ROLLOUT


# --- b) something else changed the use case: marked, the PMO resolves with the restore --------


def test_another_open_flag_keeps_the_stage_and_marks_the_flag(use_case, owner, pmo):
    w46 = submit_week(use_case, "2026-W46", user=owner, **rework("0.20"))  # moves the stage
    submit_week(use_case, "2026-W47", user=owner, **rework("0.25"))  # already in redesign
    first, second = flags_of(use_case)

    corrected = correct_week(w46, user=owner, **rework("0.10"))

    first.refresh_from_db()
    assert first.is_open and first.withdrawn_by_correction
    assert first.withdrawal_note.startswith(
        "breach withdrawn by correction: review 2026-W46 corrected by olivia at "
    )
    assert state(use_case) == REDESIGN
    [withdrawn] = corrected.outcome.withdrawn
    assert withdrawn.effect == WithdrawalEffect.PMO_TO_RESOLVE
    assert f"stop-loss flag #{second.pk} (2026-W47) is still open" in withdrawn.message
    assert withdrawal_notices() == ["olivia", "pia"]
    # The restore is refused while the other flag is open ...
    offer = restore_offer(first)
    assert offer.label == "Rollout / Funded"
    assert f"Stop-loss flag #{second.pk}" in offer.refusal
    with pytest.raises(ValidationError) as refused:
        flag_resolve_and_restore(user=pmo, flag=first)
    assert f"#{second.pk} (2026-W47) is still open" in refused.value.message_dict["restore"][0]
    assert Flag.objects.get(pk=first.pk).is_open
    # ... and done in one action once it is resolved.
    flag_resolve(user=pmo, flag=second, note="Explained: onboarding week.")
    assert restore_offer(first).refusal is None
    resolved = flag_resolve_and_restore(user=pmo, flag=first)
    assert resolved.resolution_kind == FlagResolution.RESTORED
    assert resolved.resolved_by == pmo
    assert resolved.resolution_note == first.withdrawal_note
    assert state(use_case) == ROLLOUT
    restore = StageTransition.objects.filter(use_case=use_case).first()
    assert (restore.cause_kind, restore.cause_id, restore.actor) == (
        TransitionCause.WITHDRAWAL,
        first.pk,
        pmo,
    )
    notes = Notification.objects.filter(kind="stop_loss_restored")
    assert sorted(notes.values_list("recipient__username", flat=True)) == ["olivia", "pia"]


def test_a_later_stage_change_is_not_undone(use_case, owner, pmo):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    transitions.transition(
        use_case_id=use_case.pk,
        move=transitions.Move.HOLD,
        reason="Gate: hold until the vendor fixes the model.",
        cause=transitions.Cause(TransitionCause.GATE_DECISION, 1, "gate decision #1"),
        actor=pmo,
    )
    correct_week(review, user=owner, **rework("0.10"))
    flag.refresh_from_db()
    assert flag.is_open and flag.withdrawn_by_correction
    assert state(use_case) == (Stage.ON_HOLD, Funding.FROZEN)
    with pytest.raises(ValidationError) as refused:
        flag_resolve_and_restore(user=pmo, flag=flag, note="Typo.")
    message = refused.value.message_dict["restore"][0]
    assert "has moved since" in message and "now On hold / Frozen" in message
    assert Flag.objects.get(pk=flag.pk).is_open
    assert state(use_case) == (Stage.ON_HOLD, Funding.FROZEN)
    # Resolving without the restore stays possible.
    flag_resolve(user=pmo, flag=flag, note="Typo; the hold stands.")


def test_a_later_change_back_is_restorable_by_the_pmo_only(use_case, owner, contributor, pmo):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    for move in (transitions.Move.HOLD, transitions.Move.REDESIGN):
        transitions.transition(
            use_case_id=use_case.pk,
            move=move,
            reason="Gate decision.",
            cause=transitions.Cause(TransitionCause.GATE_DECISION, 1, "gate decision #1"),
            actor=pmo,
        )
    correct_week(review, user=owner, **rework("0.10"))
    flag.refresh_from_db()
    assert flag.withdrawn_by_correction  # a gate decided since: not restored automatically
    assert state(use_case) == REDESIGN
    for user in (owner, contributor):
        with pytest.raises(PermissionDenied):
            flag_resolve_and_restore(user=user, flag=flag, note="x")
    flag_resolve_and_restore(user=pmo, flag=flag, note="Typo: restore.")
    assert state(use_case) == ROLLOUT


def test_monthly_correction_after_a_later_change_marks_the_flag(use_case, owner, pmo):
    net_value_rule()
    submit_week(use_case, "2026-W41", user=owner)
    month = submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("1000"))
    [flag] = flags_of(use_case)
    transitions.transition(
        use_case_id=use_case.pk,
        move=transitions.Move.EDIT,
        funding=Funding.FROZEN,
        reason="Budget freeze.",
        cause=transitions.Cause(TransitionCause.PMO_EDIT, None, "PMO edit"),
        actor=pmo,
    )
    corrected = monthly_review_correct(
        user=owner, review=month, data={"run_cost": Decimal("500")}, expected_version=None
    )
    flag.refresh_from_db()
    assert flag.withdrawn_by_correction
    assert state(use_case) == (Stage.REDESIGN, Funding.FROZEN)
    assert [w.effect for w in corrected.outcome.withdrawn] == ["pmo_to_resolve"]


def test_the_mark_goes_when_a_later_correction_brings_the_breach_back(use_case, owner, pmo):
    w46 = submit_week(use_case, "2026-W46", user=owner, **rework("0.20"))
    submit_week(use_case, "2026-W47", user=owner, **rework("0.25"))
    first, _ = flags_of(use_case)
    correct_week(w46, user=owner, **rework("0.10"))
    assert Flag.objects.get(pk=first.pk).withdrawn_by_correction
    correct_week(w46, user=owner, **rework("0.30"))
    first.refresh_from_db()
    assert first.is_open and not first.withdrawn_by_correction
    assert restore_offer(first) is None


# --- c) the flag moved no stage -----------------------------------------------------------------


def test_a_flag_raised_in_redesign_is_withdrawn_without_a_stage_change(use_case, owner, pmo):
    UseCase.objects.filter(pk=use_case.pk).update(
        stage=Stage.REDESIGN, funding_status=Funding.CONDITIONAL
    )
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    corrected = correct_week(review, user=owner, **rework("0.10"))
    flag.refresh_from_db()
    assert flag.resolution_kind == FlagResolution.WITHDRAWN
    assert not StageTransition.objects.exists()
    assert state(use_case) == REDESIGN
    [withdrawn] = corrected.outcome.withdrawn
    assert withdrawn.effect == WithdrawalEffect.RESOLVED
    assert withdrawn.restore_to is None
    assert withdrawal_notices() == ["olivia", "pia"]


def test_a_monthly_flag_raised_in_redesign_is_withdrawn_without_a_stage_change(
    use_case, owner, pmo
):
    UseCase.objects.filter(pk=use_case.pk).update(
        stage=Stage.REDESIGN, funding_status=Funding.CONDITIONAL
    )
    net_value_rule()
    submit_week(use_case, "2026-W41", user=owner)
    month = submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("1000"))
    [flag] = flags_of(use_case)
    monthly_review_correct(
        user=owner, review=month, data={"run_cost": Decimal("100")}, expected_version=None
    )
    flag.refresh_from_db()
    assert flag.resolution_kind == FlagResolution.WITHDRAWN
    assert not StageTransition.objects.exists()


def test_resolve_with_restore_needs_a_withdrawn_flag(use_case, owner, pmo):
    submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    with pytest.raises(ValidationError) as refused:
        flag_resolve_and_restore(user=pmo, flag=flag, note="x")
    assert "correction withdrew" in refused.value.message_dict["restore"][0]
    assert state(use_case) == REDESIGN


# --- re-breach after a withdrawal: a new flag (issue 14 follow-up) -------------------------------


def test_a_correction_that_breaches_again_after_a_withdrawal_raises_a_new_flag(
    use_case, owner, pmo
):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [first] = flags_of(use_case)
    review = correct_week(review, user=owner, **rework("0.10"))  # withdrawn, Rollout / Funded
    assert state(use_case) == ROLLOUT

    again = correct_week(review, user=owner, **rework("0.22"))

    first.refresh_from_db()
    assert first.resolution_kind == FlagResolution.WITHDRAWN  # stays as it was
    old, new = flags_of(use_case)
    assert old == first
    assert new.is_open and new.period == "2026-W47" and new.rule_key == first.rule_key
    assert new.observed_value == Decimal("0.22")
    assert [f.pk for f in again.outcome.flags] == [new.pk]
    assert state(use_case) == REDESIGN
    moved = StageTransition.objects.filter(use_case=use_case).first()  # the latest
    assert (moved.cause_kind, moved.cause_id) == (TransitionCause.STOP_LOSS, new.pk)
    assert list(Flag.objects.standing().filter(use_case=use_case)) == [new]
    # ... and withdrawn again by the next correction, restored again.
    correct_week(again, user=owner, **rework("0.05"))
    new.refresh_from_db()
    assert new.resolution_kind == FlagResolution.WITHDRAWN
    assert state(use_case) == ROLLOUT


def test_a_flag_the_pmo_resolved_still_stands_for_its_period(use_case, owner, pmo):
    """Only a flag whose breach a correction withdrew makes way: a flag the PMO resolved
    (the breach accepted) is not raised again for the same period by a later correction."""
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    flag_resolve(user=pmo, flag=flag, note="Onboarding week, explained.")
    correct_week(review, user=owner, **rework("0.25"))
    assert flags_of(use_case) == [flag]


def test_a_rebreach_after_the_pmo_resolved_a_marked_flag_raises_a_new_one(use_case, owner, pmo):
    w46 = submit_week(use_case, "2026-W46", user=owner, **rework("0.20"))
    submit_week(use_case, "2026-W47", user=owner, **rework("0.25"))
    first, second = flags_of(use_case)
    w46 = correct_week(w46, user=owner, **rework("0.10"))  # marked: W47's flag is open
    flag_resolve(user=pmo, flag=second, note="Explained.")
    flag_resolve_and_restore(user=pmo, flag=first)
    assert state(use_case) == ROLLOUT
    correct_week(w46, user=owner, **rework("0.30"))
    newest = flags_of(use_case)[-1]
    assert newest.pk not in (first.pk, second.pk)
    assert newest.period == "2026-W46" and newest.is_open
    assert state(use_case) == REDESIGN


def test_the_database_refuses_two_standing_flags_for_one_rule_and_period(use_case, owner):
    from django.db import IntegrityError, transaction

    submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    twin = dict(
        use_case=use_case,
        kind=flag.kind,
        rule_key=flag.rule_key,
        period=flag.period,
        explanation="twin",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(**twin)
    Flag.objects.filter(pk=flag.pk).update(
        resolved_at=flag.raised_at, resolution_kind=FlagResolution.WITHDRAWN
    )
    Flag.objects.create(**twin)  # the withdrawn one no longer holds the key


def test_the_sweep_raises_a_new_flag_where_a_withdrawn_one_was(use_case, owner, pmo):
    """The breach is back without a correction (the PMO tightened the rule): the sweep, which
    judges the same key, is not held back by the withdrawn flag."""
    from reviews.sweep import sweep_portfolio

    from .stoploss_helpers import TODAY

    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [first] = flags_of(use_case)
    correct_week(review, user=owner, **rework("0.10"))
    assert stop_loss(sweep_portfolio(today=TODAY)) == []  # withdrawn, nothing breaches
    first.rule.threshold = Decimal("0.08")
    first.rule.save()

    outcome = sweep_portfolio(today=TODAY)

    [new] = stop_loss(outcome)
    assert new.pk != first.pk and (new.rule_key, new.period) == (first.rule_key, "2026-W47")
    assert state(use_case) == REDESIGN
    assert stop_loss(sweep_portfolio(today=TODAY)) == []  # once


def stop_loss(outcome):
    return [f for f in outcome.flags if f.kind == FlagKind.STOP_LOSS]
