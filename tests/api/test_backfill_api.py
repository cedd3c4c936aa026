"""Issue 14 item 4 through the API: back-filled history raises no penalties. Weeks older than the
stop-loss look-back (4 complete weeks: 2026-W44..W47 on Wednesday 2026-11-25) submitted through
``POST /api/v1/weekly-reviews/`` are recorded with their breach as historical — the response's
``consequences`` say so (``historical_breach``, effect ``none``), no flag opens, no stage or
funding changes, nobody is notified — and ``/api/v1/flags/`` lists them as ``historical``."""

import pytest

from reviews.models import Flag
from usecases.models import Funding, Notification, Stage, StageTransition, UseCase

from .conftest import weekly_payload

pytestmark = pytest.mark.django_db

BREACHING = {"reworked_outputs": 160}  # of 800 tasks with AI: 20 %, above the 15 % default


def state(use_case):
    return tuple(UseCase.objects.values_list("stage", "funding_status").get(pk=use_case.pk))


@pytest.fixture(autouse=True)
def funded(use_case, role_users):
    UseCase.objects.filter(pk=use_case.pk).update(funding_status=Funding.FUNDED)


def test_back_filled_weeks_are_historical_and_change_nothing(api_for, use_case):
    client = api_for("owner")
    for week in ("2026-W30", "2026-W31"):
        response = client.post(
            "/api/v1/weekly-reviews/", weekly_payload(use_case, week, **BREACHING), format="json"
        )
        assert response.status_code == 201, response.json()
        [consequence] = response.json()["consequences"]
        assert (consequence["kind"], consequence["effect"]) == ("historical_breach", "none")
        assert consequence["message"] == (
            f"historical: week {week} breached rework rate (20.0% > 15.0%), no flag — older "
            "than the 4-week look-back"
        )

    assert state(use_case) == (Stage.ROLLOUT, Funding.FUNDED)
    assert not Flag.objects.open().exists()
    assert not StageTransition.objects.exists()
    assert not Notification.objects.exists()
    listed = client.get(f"/api/v1/flags/?use_case={use_case.pk}").json()["results"]
    assert sorted((f["period"], f["historical"], f["is_open"]) for f in listed) == [
        ("2026-W30", True, False),
        ("2026-W31", True, False),
    ]
    assert all(f["resolution_note"].startswith("Historical: older than") for f in listed)


def test_a_week_inside_the_lookback_still_flags(api_for, use_case):
    response = api_for("owner").post(
        "/api/v1/weekly-reviews/",
        weekly_payload(use_case, "2026-W44", **BREACHING),
        format="json",
    )
    assert response.status_code == 201
    [consequence] = response.json()["consequences"]
    assert (consequence["kind"], consequence["effect"]) == ("stop_loss", "return_to_redesign")
    [flag] = Flag.objects.open()
    assert not flag.historical
    assert state(use_case) == (Stage.REDESIGN, Funding.CONDITIONAL)


def test_correcting_a_back_filled_week_into_a_breach_is_historical_too(api_for, use_case):
    client = api_for("owner")
    created = client.post(
        "/api/v1/weekly-reviews/", weekly_payload(use_case, "2026-W30"), format="json"
    ).json()
    assert created["consequences"] == []
    url = f"/api/v1/weekly-reviews/{created['id']}/"
    previewed = client.post(url + "preview/", {"version": 1, **BREACHING}, format="json").json()
    corrected = client.patch(url, {"version": 1, **BREACHING}, format="json").json()
    for body in (previewed, corrected):
        [consequence] = body["consequences"]
        assert (consequence["kind"], consequence["effect"]) == ("historical_breach", "none")
    assert not Flag.objects.open().exists()
    assert state(use_case) == (Stage.ROLLOUT, Funding.FUNDED)
