"""Issue 14 item 5: the PMO cannot undo governance in a plain edit form.

A stage or funding change outside a gate decision needs a written reason (web form and
``PATCH /api/v1/use-cases/{id}/``), goes through ``usecases.transitions`` (a ``StageTransition``
with the reason and the actor) and tells the value owner (in-app and e-mail). Leaving redesign
while a stop-loss flag is open is refused, naming the flag (the guard ``reviews.stage_guards``
registered with the transitions); a gate decision may leave it; resolving the flag lifts it."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from reviews.flags import flag_resolve
from reviews.models import Comparison, Metric
from tests.factories import FlagFactory, StopLossRuleFactory
from usecases.models import Notification, StageTransition, UseCase

pytestmark = pytest.mark.django_db

RAISED = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 0))
NOW = timezone.make_aware(datetime.datetime(2026, 12, 2, 10, 0))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def api(user):
    client = APIClient()
    client.force_login(user)
    return client


def detail(use_case):
    return f"/api/v1/use-cases/{use_case.pk}/"


def edit_url(use_case):
    return reverse("usecases:edit", args=[use_case.pk])


def state(use_case):
    return UseCase.objects.values_list("stage", "funding_status").get(pk=use_case.pk)


def edit_data(use_case, **overrides):
    data = {
        "name": use_case.name,
        "business_unit": use_case.business_unit,
        "workflow": use_case.workflow,
        "description": use_case.description,
        "stage": use_case.stage,
        "funding_status": use_case.funding_status,
        "value_owner": use_case.value_owner.username if use_case.value_owner else "",
        "contributors": ", ".join(u.username for u in use_case.contributors.all()),
        "target_users": str(use_case.target_users),
        "live_since": use_case.live_since.isoformat() if use_case.live_since else "",
        "scaled_on": use_case.scaled_on.isoformat() if use_case.scaled_on else "",
        "change_reason": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def in_redesign(use_case):
    """Job ad writer returned to redesign / conditional by a stop-loss flag still open."""
    UseCase.objects.filter(pk=use_case.pk).update(stage="redesign", funding_status="conditional")
    use_case.refresh_from_db()
    return use_case


@pytest.fixture
def open_flag(in_redesign):
    rule = StopLossRuleFactory(metric=Metric.REWORK_RATE, comparison=Comparison.EXCEEDS)
    flag = FlagFactory(use_case=in_redesign, rule=rule, rule_key=f"rule:{rule.pk}")
    FlagFactory._meta.model.objects.filter(pk=flag.pk).update(raised_at=RAISED)
    flag.refresh_from_db()
    return flag


def refusal(flag):
    return (
        f"Stop-loss flag #{flag.pk} (rework rate 20.0% > 15.0%, raised 2026-11-30) is open: "
        "resolve it, or decide at a gate."
    )


# --- a written reason ---------------------------------------------------------------------------
@pytest.mark.parametrize("body", [{"stage": "on_hold"}, {"funding_status": "funded"}])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_api_patch_of_stage_or_funding_without_a_reason_is_400(pmo, use_case, body, reason):
    if reason is not None:
        body = {**body, "change_reason": reason}
    response = api(pmo).patch(detail(use_case), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["change_reason"]
    assert "reason" in response.json()["change_reason"][0]
    assert state(use_case) == ("rollout", "conditional")
    assert not StageTransition.objects.exists()
    assert not Notification.objects.exists()


def test_api_patch_with_a_reason_is_audited_and_the_value_owner_told(
    pmo, owner, use_case, django_capture_on_commit_callbacks
):
    body = {"stage": "on_hold", "funding_status": "frozen", "change_reason": "Team on leave."}
    with django_capture_on_commit_callbacks(execute=True):
        response = api(pmo).patch(detail(use_case), body, format="json")
    assert response.status_code == 200
    assert (response.json()["stage"], response.json()["funding_status"]) == (
        "on_hold",
        "frozen",
    )
    assert state(use_case) == ("on_hold", "frozen")
    [moved] = StageTransition.objects.filter(use_case=use_case)
    assert (moved.stage_before, moved.stage_after) == ("rollout", "on_hold")
    assert (moved.funding_before, moved.funding_after) == ("conditional", "frozen")
    assert (moved.reason, moved.actor, moved.cause_kind) == ("Team on leave.", pmo, "pmo_edit")
    [note] = Notification.objects.filter(kind="stage_edit")
    assert note.recipient == owner
    assert note.subject == moved
    assert "Rollout to On hold" in note.body and "Team on leave." in note.body
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert use_case.history.first().history_change_reason == "Team on leave."


def test_api_patch_of_other_fields_needs_no_reason(pmo, use_case):
    response = api(pmo).patch(detail(use_case), {"business_unit": "Support"}, format="json")
    assert response.status_code == 200
    assert not StageTransition.objects.exists()
    assert not Notification.objects.exists()


def test_api_patch_with_a_too_long_reason_is_400(pmo, use_case):
    body = {"stage": "on_hold", "change_reason": "x" * 1001}
    response = api(pmo).patch(detail(use_case), body, format="json")
    assert response.status_code == 400
    assert "At most 1000 characters" in response.json()["change_reason"][0]
    assert state(use_case) == ("rollout", "conditional")


def test_web_edit_of_stage_without_a_reason_is_a_field_error(client, pmo, use_case):
    client.force_login(pmo)
    response = client.post(edit_url(use_case), edit_data(use_case, stage="on_hold"))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["change_reason"]
    assert "Write why you change the stage or funding" in response.content.decode()
    assert state(use_case) == ("rollout", "conditional")
    assert not StageTransition.objects.exists()


def test_web_edit_of_stage_with_a_reason_is_audited_and_the_value_owner_told(
    client, pmo, owner, use_case, django_capture_on_commit_callbacks
):
    client.force_login(pmo)
    data = edit_data(use_case, funding_status="funded", change_reason="CFO approved the budget.")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(use_case), data)
    assert response.status_code == 302
    assert state(use_case) == ("rollout", "funded")
    [moved] = StageTransition.objects.all()
    assert (moved.reason, moved.actor) == ("CFO approved the budget.", pmo)
    assert moved.cause_label == "PMO edit by pia (web form)"
    [note] = Notification.objects.filter(kind="stage_edit")
    assert note.recipient == owner
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_web_edit_of_other_fields_needs_no_reason(client, pmo, use_case):
    client.force_login(pmo)
    response = client.post(edit_url(use_case), edit_data(use_case, business_unit="Support"))
    assert response.status_code == 302
    assert not StageTransition.objects.exists()


def test_the_reason_field_is_on_the_edit_form_only(client, pmo, use_case):
    client.force_login(pmo)
    assert "change_reason" in client.get(edit_url(use_case)).context["form"].fields
    assert "change_reason" not in client.get(reverse("usecases:create")).context["form"].fields


# --- leaving redesign while a stop-loss flag is open --------------------------------------------
def test_api_leaving_redesign_with_an_open_flag_is_refused_naming_it(pmo, open_flag):
    use_case = open_flag.use_case
    body = {"stage": "rollout", "funding_status": "funded", "change_reason": "Looks fine now."}
    response = api(pmo).patch(detail(use_case), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"stage": [refusal(open_flag)]}
    assert state(use_case) == ("redesign", "conditional")
    assert not StageTransition.objects.exists()
    assert not Notification.objects.exists()


def test_web_leaving_redesign_with_an_open_flag_is_a_form_error_naming_it(client, pmo, open_flag):
    use_case = open_flag.use_case
    client.force_login(pmo)
    data = edit_data(use_case, stage="rollout", funding_status="funded", change_reason="Fine.")
    response = client.post(edit_url(use_case), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"stage": [refusal(open_flag)]}
    assert f"Stop-loss flag #{open_flag.pk}" in response.content.decode()
    assert state(use_case) == ("redesign", "conditional")


def test_without_a_reason_both_messages_show_at_once(pmo, open_flag):
    response = api(pmo).patch(detail(open_flag.use_case), {"stage": "rollout"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"stage", "change_reason"}


def test_every_open_flag_is_named(pmo, open_flag):
    second = FlagFactory(use_case=open_flag.use_case, rule=None, rule_key="rule:gone")
    body = {"stage": "rollout", "change_reason": "Fine."}
    response = api(pmo).patch(detail(open_flag.use_case), body, format="json")
    [message] = response.json()["stage"]
    assert message.startswith(f"Stop-loss flags #{open_flag.pk} (rework rate 20.0% > 15.0%")
    assert f"#{second.pk} (2026-W46: 0.2000 against 0.1500, raised 2026-12-02)" in message
    assert message.endswith("are open: resolve them, or decide at a gate.")


def test_leaving_redesign_is_allowed_once_the_flag_is_resolved(pmo, owner, open_flag):
    flag_resolve(user=pmo, flag=open_flag, note="Rework fixed by prompt v8.")
    body = {"stage": "rollout", "funding_status": "funded", "change_reason": "Flag resolved."}
    response = api(pmo).patch(detail(open_flag.use_case), body, format="json")
    assert response.status_code == 200
    assert state(open_flag.use_case) == ("rollout", "funded")
    [moved] = StageTransition.objects.all()
    assert (moved.stage_before, moved.reason) == ("redesign", "Flag resolved.")


@pytest.mark.parametrize(
    "body",
    [
        {"funding_status": "funded"},  # funding only: not leaving redesign
        {"business_unit": "Support"},
    ],
)
def test_edits_that_stay_in_redesign_are_not_guarded(pmo, open_flag, body):
    body = {**body, "change_reason": "Budget kept for the redesign."}
    response = api(pmo).patch(detail(open_flag.use_case), body, format="json")
    assert response.status_code == 200


def test_a_signal_flag_does_not_hold_the_use_case_in_redesign(pmo, in_redesign):
    FlagFactory(use_case=in_redesign, kind="exceptions_growing", rule_key="exceptions_growing")
    body = {"stage": "rollout", "change_reason": "Redesign done."}
    assert api(pmo).patch(detail(in_redesign), body, format="json").status_code == 200


@pytest.mark.parametrize("role", ["owner", "contributor", "leader", "other_owner"])
def test_only_the_pmo_changes_stage_whatever_the_reason(role, role_users, use_case):
    body = {"stage": "scaled", "change_reason": "I say so."}
    response = api(role_users[role]).patch(detail(use_case), body, format="json")
    assert response.status_code == 403
    assert state(use_case) == ("rollout", "conditional")


def test_an_outsider_gets_404(outsider, use_case):
    body = {"stage": "scaled", "change_reason": "I say so."}
    assert api(outsider).patch(detail(use_case), body, format="json").status_code == 404


@pytest.mark.parametrize("role", ["pmo", "admin"])
def test_pmo_and_admin_change_stage_with_a_reason(role, role_users, use_case):
    body = {"stage": "on_hold", "change_reason": "Paused."}
    assert api(role_users[role]).patch(detail(use_case), body, format="json").status_code == 200
