"""The correction preview foresees withdrawals (issue 14, item 2): what saving a correction
would do to the stop-loss flags whose breach it removes, worded in the future tense, decided by
the code the save runs (``reviews.withdrawals.plan`` via ``foresee``) and writing nothing; the
save then does what was foreseen, said in the past tense. Service, the correction page's
no-JavaScript preview and its live panel. The clock is Wed 2026-11-25 (2026-W48)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from reviews import consequences
from reviews.models import Comparison, Flag, FlagResolution, Metric, WeeklyReview
from reviews.services import correction_preview, monthly_review_correct
from usecases import transitions
from usecases.models import Notification, StageTransition, TransitionCause, UseCase

from .stoploss_helpers import (  # noqa: F401
    adoption,
    correct_week,
    frozen_today,
    make_rule,
    rework,
    submit_month,
    submit_week,
)
from .test_withdrawals import REDESIGN, ROLLOUT, flags_of, funded, state  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def written() -> tuple:
    return (
        list(Flag.objects.values_list("pk", "resolved_at", "withdrawn_at")),
        StageTransition.objects.count(),
        Notification.objects.count(),
        list(WeeklyReview.objects.values_list("pk", "version")),
    )


def withdrawals_of(found):
    return [c for c in found if c.kind == consequences.WITHDRAWAL]


def test_preview_foresees_the_withdrawal_and_the_restore_and_writes_nothing(use_case, owner):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    before = written()

    _, found = correction_preview(user=owner, review=review, data=rework("0.10"))

    [foreseen] = withdrawals_of(found)
    assert foreseen.effect == consequences.EFFECT_RESTORED
    assert (foreseen.rule, foreseen.period) == (flag.rule_key, "2026-W47")
    assert foreseen.observed == Decimal("0.1")
    assert foreseen.message == (
        f"Saving the correction withdraws stop-loss flag #{flag.pk} (2026-W47): rework rate now "
        f"10.0%. {use_case.name} returns to Rollout / Funded; Olivia Owner and the PMO are "
        "notified."
    )
    assert consequences.figure_marks(found) == {}  # rework no longer crosses the threshold
    assert written() == before
    assert state(use_case) == REDESIGN

    corrected = correct_week(review, user=owner, **rework("0.10"))
    [done] = withdrawals_of(consequences.of_outcome(corrected.outcome, use_case))
    assert done.effect == foreseen.effect
    assert done.message.startswith(f"Stop-loss flag #{flag.pk} (2026-W47) withdrawn: ")
    assert "returned to Rollout / Funded; Olivia Owner and the PMO were notified." in done.message
    assert state(use_case) == ROLLOUT


def test_preview_of_a_correction_that_keeps_the_breach_foresees_no_withdrawal(use_case, owner):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    _, found = correction_preview(user=owner, review=review, data=rework("0.18"))
    assert withdrawals_of(found) == []


def test_preview_foresees_the_pmo_mark_when_another_flag_is_open(use_case, owner):
    w46 = submit_week(use_case, "2026-W46", user=owner, **rework("0.20"))
    submit_week(use_case, "2026-W47", user=owner, **rework("0.25"))
    first, second = flags_of(use_case)

    _, found = correction_preview(user=owner, review=w46, data=rework("0.10"))

    [foreseen] = withdrawals_of(found)
    assert foreseen.effect == consequences.EFFECT_PMO_TO_RESOLVE
    assert foreseen.message.startswith(
        f"Saving the correction withdraws the breach behind stop-loss flag #{first.pk} "
        "(2026-W46) (rework rate now 10.0%), but restores nothing automatically: stop-loss flag "
        f"#{second.pk} (2026-W47) is still open on this use case."
    )
    assert "may resolve it and restore Rollout / Funded" in foreseen.message
    corrected = correct_week(w46, user=owner, **rework("0.10"))
    assert [w.effect for w in corrected.outcome.withdrawn] == [foreseen.effect]


def test_preview_counts_a_flag_the_correction_itself_raises(use_case, owner):
    """Rework back under the threshold, adoption now under its own: the save raises the adoption
    flag first, so the rework flag cannot restore the stage — foreseen alike."""
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    data = {**rework("0.10"), **adoption("0.50")}

    _, found = correction_preview(user=owner, review=review, data=data)

    assert [c.kind for c in found] == ["stop_loss", "withdrawal"]
    foreseen = found[1]
    assert foreseen.effect == consequences.EFFECT_PMO_TO_RESOLVE
    assert "the stop-loss flag this correction raises (2026-W47) will be open" in foreseen.message
    corrected = correct_week(review, user=owner, **data)
    [done] = corrected.outcome.withdrawn
    assert done.effect == foreseen.effect
    assert Flag.objects.get(pk=flag.pk).withdrawn_by_correction
    assert state(use_case) == REDESIGN


def test_preview_foresees_a_later_change_blocking_the_restore(use_case, owner, pmo):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    transitions.transition(
        use_case_id=use_case.pk,
        move=transitions.Move.HOLD,
        reason="Gate: hold.",
        cause=transitions.Cause(TransitionCause.GATE_DECISION, 1, "gate decision #1"),
        actor=pmo,
    )
    _, found = correction_preview(user=owner, review=review, data=rework("0.10"))
    [foreseen] = withdrawals_of(found)
    assert foreseen.effect == consequences.EFFECT_PMO_TO_RESOLVE
    assert "has moved since" in foreseen.message


def test_preview_foresees_a_withdrawal_that_moves_no_stage(use_case, owner):
    UseCase.objects.filter(pk=use_case.pk).update(stage="redesign", funding_status="conditional")
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    _, found = correction_preview(user=owner, review=review, data=rework("0.10"))
    [foreseen] = withdrawals_of(found)
    assert foreseen.effect == consequences.EFFECT_WITHDRAWN
    assert "The flag moved no stage, so nothing else changes" in foreseen.message


def test_monthly_preview_foresees_the_net_value_withdrawal(use_case, owner):
    make_rule(metric=Metric.NET_VALUE, comparison=Comparison.FALLS_BELOW, threshold=Decimal(0))
    submit_week(use_case, "2026-W41", user=owner)
    month = submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("1000"))
    [flag] = flags_of(use_case)
    before = written()

    _, found = correction_preview(user=owner, review=month, data={"run_cost": Decimal("500")})

    [foreseen] = withdrawals_of(found)
    assert foreseen.effect == consequences.EFFECT_RESTORED
    assert f"withdraws stop-loss flag #{flag.pk} (2026-10): monthly net value now EUR 250.00" in (
        foreseen.message
    )
    assert written() == before
    monthly_review_correct(
        user=owner, review=month, data={"run_cost": Decimal("500")}, expected_version=None
    )
    assert Flag.objects.get(pk=flag.pk).resolution_kind == FlagResolution.WITHDRAWN


def test_weekly_preview_foresees_the_withdrawal_of_its_months_net_value_flag(use_case, owner):
    make_rule(metric=Metric.NET_VALUE, comparison=Comparison.FALLS_BELOW, threshold=Decimal(0))
    week = submit_week(use_case, "2026-W41", user=owner, rework_minutes_per_output=15)
    submit_month(use_case, "2026-10", user=owner, run_cost=Decimal("500"))
    [flag] = flags_of(use_case)
    _, found = correction_preview(
        user=owner, review=week, data={"rework_minutes_per_output": Decimal(5)}
    )
    [foreseen] = withdrawals_of(found)
    assert (foreseen.period, foreseen.effect) == ("2026-10", consequences.EFFECT_RESTORED)
    assert Flag.objects.get(pk=flag.pk).is_open


def test_preview_foresees_the_new_flag_of_a_rebreach_after_a_withdrawal(use_case, owner):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    review = correct_week(review, user=owner, **rework("0.10"))
    _, found = correction_preview(user=owner, review=review, data=rework("0.22"))
    [again] = found
    assert again.effect == consequences.EFFECT_RETURN_TO_REDESIGN
    assert f"Saving the correction returns {use_case.name} to Redesign" in again.message


# --- the correction page: the no-JavaScript preview and the live panel ---------------------------


def form_of(review, **changes) -> dict:
    data = {name: getattr(review, name) for name in WeeklyReview.KPI_FIELDS}
    data.update(changes)
    data.update(version=review.version, notes="", user_barriers="", model_version="")
    return {k: "" if v is None else str(v) for k, v in data.items()}


def test_correction_page_no_javascript_preview_says_the_flag_is_withdrawn(
    client_for, use_case, owner
):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    before = written()
    url = reverse("reviews:weekly_edit", args=[review.pk])

    response = client_for(owner).post(url, {**form_of(review, **rework("0.10")), "preview": "1"})

    assert response.status_code == 200
    text = response.content.decode()
    assert (
        f"Saving the correction withdraws stop-loss flag #{flag.pk} (2026-W47): rework rate now "
        f"10.0%. {use_case.name} returns to Rollout / Funded; Olivia Owner and the PMO are "
        "notified."
    ) in text
    assert 'data-effect="restored"' in text
    assert 'class="consequences consequences-good"' in text  # good news, not a red alarm
    assert "returned to" not in text  # the preview speaks of the future
    assert "(above 15.0% stop-loss)" not in text
    assert written() == before


def test_correction_page_live_panel_says_the_flag_is_withdrawn(client_for, use_case, owner):
    review = submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    url = reverse("reviews:weekly_edit_preview", args=[review.pk])
    response = client_for(owner).post(
        url, form_of(review, **rework("0.10")), HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert f"Saving the correction withdraws stop-loss flag #{flag.pk} (2026-W47)" in text
    assert "returns to Rollout / Funded" in text
    assert flags_of(use_case)[0].is_open
