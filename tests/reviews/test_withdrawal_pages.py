"""The PMO's one action on a flag whose breach a correction withdrew: "Resolve and restore
Rollout / Funded" on the flag page and ``restore: true`` in the API (PMO only); the mark shown on
the flags page, the use case page and in the API."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.flags import flag_resolve
from reviews.models import Flag, FlagResolution
from usecases import transitions
from usecases.models import Funding, Stage, StageTransition, TransitionCause, UseCase

from .stoploss_helpers import correct_week, frozen_today, rework, submit_week  # noqa: F401
from .test_withdrawals import REDESIGN, ROLLOUT, flags_of, funded, state  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

#: Who may resolve with the restore (admin counts as PMO everywhere); status of GET and POST.
RESTORE = {
    "owner": 403,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "outsider": 404,
    "pmo": 302,
    "admin": 302,
}
API_RESTORE = {**RESTORE, "pmo": 200, "admin": 200}


@pytest.fixture
def withdrawn(use_case, owner, pmo):
    """W46 moved the use case to redesign; W47 breached too (open flag); W46 corrected: its
    flag is marked "breach withdrawn by correction"; then the W47 flag is resolved."""
    w46 = submit_week(use_case, "2026-W46", user=owner, **rework("0.20"))
    submit_week(use_case, "2026-W47", user=owner, **rework("0.25"))
    first, second = flags_of(use_case)
    correct_week(w46, user=owner, **rework("0.10"))
    flag_resolve(user=pmo, flag=second, note="Explained.")
    first.refresh_from_db()
    assert first.withdrawn_by_correction
    return first


def url_of(flag):
    return reverse("reviews:flag_resolve", args=[flag.pk])


def test_flag_page_offers_the_restore_in_one_action(client_for, pmo, withdrawn, use_case):
    client = client_for(pmo)
    page = client.get(url_of(withdrawn)).content.decode()
    assert "Breach withdrawn by correction" in page
    assert "Resolve and restore Rollout / Funded" in page
    assert withdrawn.withdrawal_note in page  # the note is prefilled
    response = client.post(url_of(withdrawn), {"note": withdrawn.withdrawal_note, "restore": "1"})
    assert response.status_code == 302
    flag = Flag.objects.get(pk=withdrawn.pk)
    assert flag.resolution_kind == FlagResolution.RESTORED
    assert state(use_case) == ROLLOUT
    latest = StageTransition.objects.filter(use_case=use_case).first()
    assert (latest.cause_kind, latest.cause_id) == (TransitionCause.WITHDRAWAL, flag.pk)
    followed = client.get(response["Location"]).content.decode()
    assert "back in Rollout / Funded" in followed


def test_flag_page_refuses_a_restore_that_would_undo_a_later_decision(
    client_for, pmo, withdrawn, use_case
):
    transitions.transition(
        use_case_id=use_case.pk,
        move=transitions.Move.HOLD,
        reason="Gate: hold.",
        cause=transitions.Cause(TransitionCause.GATE_DECISION, 1, "gate decision #1"),
        actor=pmo,
    )
    client = client_for(pmo)
    page = client.get(url_of(withdrawn)).content.decode()
    assert "Restore not possible now" in page and "now On hold / Frozen" in page
    assert "Resolve and restore" not in page
    response = client.post(url_of(withdrawn), {"note": "x", "restore": "1"})
    assert response.status_code == 200
    assert "has moved since" in response.content.decode()
    assert Flag.objects.get(pk=withdrawn.pk).is_open
    assert state(use_case) == (Stage.ON_HOLD, Funding.FROZEN)


def test_resolve_without_restoring_keeps_the_stage(client_for, pmo, withdrawn, use_case):
    response = client_for(pmo).post(url_of(withdrawn), {"note": "Keep redesign."})
    assert response.status_code == 302
    flag = Flag.objects.get(pk=withdrawn.pk)
    assert flag.resolution_kind == FlagResolution.RESOLVED
    assert state(use_case) == REDESIGN


@pytest.mark.parametrize("role", RESTORE)
def test_restore_on_the_page_is_pmo_only(role, role_users, client_for, withdrawn, use_case):
    client = client_for(role_users[role])
    expected = RESTORE[role]
    assert client.get(url_of(withdrawn)).status_code == (200 if expected == 302 else expected)
    response = client.post(url_of(withdrawn), {"note": "typo", "restore": "1"})
    assert response.status_code == expected
    assert state(use_case) == (ROLLOUT if expected == 302 else REDESIGN)
    assert Flag.objects.get(pk=withdrawn.pk).is_open is (expected != 302)


@pytest.mark.parametrize("role", API_RESTORE)
def test_restore_in_the_api_is_pmo_only(role, role_users, withdrawn, use_case):
    client = APIClient()
    client.force_login(role_users[role])
    response = client.post(
        f"/api/v1/flags/{withdrawn.pk}/resolve/", {"restore": True}, format="json"
    )
    assert response.status_code == API_RESTORE[role]
    if response.status_code == 200:
        body = response.json()
        assert body["resolution_kind"] == "restored"
        assert body["is_open"] is False
        assert body["resolution_note"] == withdrawn.withdrawal_note
        assert state(use_case) == ROLLOUT
    else:
        assert state(use_case) == REDESIGN


def test_api_shows_the_mark_and_refuses_a_wrong_restore(pmo, withdrawn, use_case):
    client = APIClient()
    client.force_login(pmo)
    body = client.get(f"/api/v1/flags/{withdrawn.pk}/").json()
    assert body["withdrawn_by_correction"] is True
    assert body["withdrawal_note"].startswith("breach withdrawn by correction: review 2026-W46")
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.SCALED, funding_status="funded")
    response = client.post(
        f"/api/v1/flags/{withdrawn.pk}/resolve/", {"note": "x", "restore": True}, format="json"
    )
    assert response.status_code == 400
    assert "has moved since" in response.json()["restore"][0]
    assert Flag.objects.get(pk=withdrawn.pk).is_open


def test_api_restore_of_a_flag_not_withdrawn_is_a_400(pmo, use_case, owner):
    submit_week(use_case, "2026-W47", user=owner, **rework("0.20"))
    [flag] = flags_of(use_case)
    client = APIClient()
    client.force_login(pmo)
    response = client.post(
        f"/api/v1/flags/{flag.pk}/resolve/", {"note": "x", "restore": True}, format="json"
    )
    assert response.status_code == 400
    assert "correction withdrew" in response.json()["restore"][0]


def test_use_case_page_and_flags_page_show_the_mark(client_for, owner, withdrawn, use_case):
    client = client_for(owner)
    page = client.get(use_case.get_absolute_url()).content.decode()
    assert "Breach withdrawn by correction" in page
    assert withdrawn.withdrawal_note in page
    flags_page = client.get(reverse("reviews:flags")).content.decode()
    assert "Breach withdrawn by correction" in flags_page
