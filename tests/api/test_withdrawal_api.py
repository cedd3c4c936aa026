"""A correction through the API that removes a stop-loss breach withdraws its flag: resolved, the
stage and funding restored (a ``StageTransition`` naming the withdrawal), the value owner and the
PMO notified (issue 14, item 2). Only complete periods: the clock is Wed 2026-11-25 (2026-W48)."""

from decimal import Decimal

import pytest
from django.core import mail

from reviews.models import Comparison, Flag, FlagKind, FlagResolution, Metric
from tests.factories import StopLossRuleFactory, submit_weekly
from usecases.models import Funding, Notification, Stage, StageTransition, TransitionCause, UseCase

from .conftest import MONTHLY_VALUES, monthly_payload, weekly_payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def funded(use_case, role_users):
    UseCase.objects.filter(pk=use_case.pk).update(funding_status=Funding.FUNDED)


def state(use_case):
    return tuple(UseCase.objects.values_list("stage", "funding_status").get(pk=use_case.pk))


def test_patch_correction_withdraws_the_flag_and_restores_the_stage(
    api_for, use_case, owner, pmo, django_capture_on_commit_callbacks
):
    body = weekly_payload(use_case, "2026-W47", tasks_with_ai=300, reworked_outputs=60)
    created = api_for("owner").post("/api/v1/weekly-reviews/", body, format="json")
    assert created.status_code == 201, created.json()
    [flag] = Flag.objects.filter(use_case=use_case, kind=FlagKind.STOP_LOSS)
    assert state(use_case) == (Stage.REDESIGN, Funding.CONDITIONAL)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_for("owner").patch(
            f"/api/v1/weekly-reviews/{created.json()['id']}/",
            {"version": 1, "reworked_outputs": 30},
            format="json",
        )

    assert response.status_code == 200, response.json()
    flag.refresh_from_db()
    assert not flag.is_open
    assert flag.resolution_kind == FlagResolution.WITHDRAWN
    assert flag.resolution_note.startswith("withdrawn: review 2026-W47 corrected by olivia at ")
    assert flag.resolution_note.endswith("rework rate now 10.0%")
    assert state(use_case) == (Stage.ROLLOUT, Funding.FUNDED)
    restore = StageTransition.objects.get(use_case=use_case, cause_kind=TransitionCause.WITHDRAWAL)
    assert (restore.stage_before, restore.stage_after) == (Stage.REDESIGN, Stage.ROLLOUT)
    assert (restore.funding_before, restore.funding_after) == (Funding.CONDITIONAL, Funding.FUNDED)
    assert "version 1 → 2" in restore.cause_label
    told = Notification.objects.filter(kind="stop_loss_withdrawn", subject_id=flag.pk)
    assert sorted(told.values_list("recipient__username", flat=True)) == ["olivia", "pia"]
    assert {m.to[0] for m in mail.outbox if "withdrawn" in m.subject.lower()} == {
        owner.email,
        pmo.email,
    }
    listed = api_for("owner").get(f"/api/v1/flags/{flag.pk}/").json()
    assert (listed["is_open"], listed["resolution_kind"]) == (False, "withdrawn")


def test_patch_monthly_correction_withdraws_the_net_value_flag(api_for, use_case, owner, pmo):
    StopLossRuleFactory(
        use_case=None,
        metric=Metric.NET_VALUE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("0"),
    )
    submit_weekly(use_case, "2026-W41", user=owner)
    body = monthly_payload(use_case, "2026-10", run_cost="100000.00")
    created = api_for("owner").post("/api/v1/monthly-reviews/", body, format="json")
    assert created.status_code == 201, created.json()
    [flag] = Flag.objects.filter(use_case=use_case, kind=FlagKind.STOP_LOSS)
    assert state(use_case) == (Stage.REDESIGN, Funding.CONDITIONAL)
    response = api_for("owner").patch(
        f"/api/v1/monthly-reviews/{created.json()['id']}/",
        {"version": 1, **{cost: "0.00" for cost in MONTHLY_VALUES}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    flag.refresh_from_db()
    assert flag.resolution_kind == FlagResolution.WITHDRAWN
    assert state(use_case) == (Stage.ROLLOUT, Funding.FUNDED)
    assert StageTransition.objects.filter(
        use_case=use_case, cause_kind=TransitionCause.WITHDRAWAL, cause_id=flag.pk
    ).exists()
