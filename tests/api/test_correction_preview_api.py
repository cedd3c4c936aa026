"""``POST /api/v1/weekly-reviews/{id}/preview/`` and ``monthly-reviews/{id}/preview/``: the body of
a correction, validated as the correction is, nothing saved; the answer holds the review as
corrected and the ``consequences`` saving it would have — the withdrawals of the stop-loss flags
whose breach it removes too (issue 14, item 2), in the future tense. Permissions as for
correcting the review. The clock is Wed 2026-11-25 (2026-W48)."""

from decimal import Decimal

import pytest

from reviews.models import Comparison, Flag, FlagKind, Metric, MonthlyReview, WeeklyReview
from tests.factories import StopLossRuleFactory, submit_weekly
from usecases.models import Funding, Notification, Stage, StageTransition, UseCase

from .conftest import MONTHLY_VALUES, monthly_payload, weekly_payload

pytestmark = pytest.mark.django_db

CONSEQUENCE_KEYS = {
    "kind",
    "rule",
    "metric",
    "period",
    "observed",
    "threshold",
    "effect",
    "message",
}


@pytest.fixture(autouse=True)
def funded(use_case, role_users):
    UseCase.objects.filter(pk=use_case.pk).update(funding_status=Funding.FUNDED)


def state(use_case):
    return tuple(UseCase.objects.values_list("stage", "funding_status").get(pk=use_case.pk))


def written():
    return (
        list(Flag.objects.values_list("pk", "resolved_at", "withdrawn_at")),
        StageTransition.objects.count(),
        Notification.objects.count(),
        list(WeeklyReview.objects.values_list("pk", "version", "reworked_outputs")),
        list(MonthlyReview.objects.values_list("pk", "version", "run_cost")),
    )


@pytest.fixture
def breaching(api_for, use_case):
    """Olivia's 60 reworked outputs of 300 (20 %): flag, Redesign / Conditional."""
    body = weekly_payload(use_case, "2026-W47", tasks_with_ai=300, reworked_outputs=60)
    created = api_for("owner").post("/api/v1/weekly-reviews/", body, format="json")
    assert created.status_code == 201, created.json()
    return created.json()


def test_correction_preview_foresees_the_withdrawal_and_saves_nothing(api_for, use_case, breaching):
    [flag] = Flag.objects.filter(use_case=use_case, kind=FlagKind.STOP_LOSS)
    before = written()
    url = f"/api/v1/weekly-reviews/{breaching['id']}/preview/"

    response = api_for("owner").post(url, {"version": 1, "reworked_outputs": 30}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == breaching["id"] and body["reworked_outputs"] == 30
    assert body["version"] == 1
    assert body["rework_rate"] == "0.1000"
    [withdrawal] = body["consequences"]
    assert set(withdrawal) == CONSEQUENCE_KEYS
    assert withdrawal["kind"] == "withdrawal"
    assert withdrawal["effect"] == "restored"
    assert withdrawal["rule"] == flag.rule_key and withdrawal["metric"] == "rework_rate"
    assert (withdrawal["observed"], withdrawal["threshold"]) == ("0.1000", "0.1500")
    assert withdrawal["message"] == (
        f"Saving the correction withdraws stop-loss flag #{flag.pk} (2026-W47): rework rate now "
        f"10.0%. {use_case.name} returns to Rollout / Funded; Olivia Owner and the PMO are "
        "notified."
    )
    assert written() == before
    assert state(use_case) == (Stage.REDESIGN, Funding.CONDITIONAL)

    # The correction then does what the preview said, in the past tense.
    done = api_for("owner").patch(
        f"/api/v1/weekly-reviews/{breaching['id']}/",
        {"version": 1, "reworked_outputs": 30},
        format="json",
    )
    [did] = done.json()["consequences"]
    assert (did["kind"], did["effect"]) == ("withdrawal", "restored")
    assert "returned to Rollout / Funded" in did["message"]
    assert state(use_case) == (Stage.ROLLOUT, Funding.FUNDED)


def test_correction_preview_of_a_breach_says_it_returns_to_redesign(api_for, use_case):
    created = api_for("owner").post(
        "/api/v1/weekly-reviews/", weekly_payload(use_case, "2026-W47"), format="json"
    )
    url = f"/api/v1/weekly-reviews/{created.json()['id']}/preview/"
    response = api_for("contributor").post(
        url, {"version": 1, "reworked_outputs": 160}, format="json"
    )
    assert response.status_code == 200, response.json()
    [consequence] = response.json()["consequences"]
    assert consequence["effect"] == "return_to_redesign"
    assert consequence["message"].endswith(
        f"Saving the correction returns {use_case.name} to Redesign and makes funding "
        "Conditional; Olivia Owner and the PMO are notified."
    )
    assert not Flag.objects.filter(kind=FlagKind.STOP_LOSS).exists()


def test_monthly_correction_preview_foresees_the_net_value_withdrawal(api_for, use_case, owner):
    StopLossRuleFactory(
        use_case=None,
        metric=Metric.NET_VALUE,
        comparison=Comparison.FALLS_BELOW,
        threshold=Decimal("0"),
    )
    submit_weekly(use_case, "2026-W41", user=owner)
    body = monthly_payload(use_case, "2026-10", run_cost="100000.00")
    created = api_for("owner").post("/api/v1/monthly-reviews/", body, format="json")
    [flag] = Flag.objects.filter(use_case=use_case, kind=FlagKind.STOP_LOSS)
    before = written()
    response = api_for("owner").post(
        f"/api/v1/monthly-reviews/{created.json()['id']}/preview/",
        {"version": 1, **{cost: "0.00" for cost in MONTHLY_VALUES}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    [withdrawal] = response.json()["consequences"]
    assert (withdrawal["kind"], withdrawal["effect"]) == ("withdrawal", "restored")
    assert f"withdraws stop-loss flag #{flag.pk} (2026-10)" in withdrawal["message"]
    assert written() == before


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("outsider", 404),
        ("other_owner", 403),
        ("leader", 403),
        ("pmo", 403),
        ("contributor", 200),
        ("owner", 200),
        ("admin", 200),
    ],
)
def test_correction_preview_permissions_follow_the_correction(api_for, breaching, role, status):
    before = written()
    response = api_for(role).post(
        f"/api/v1/weekly-reviews/{breaching['id']}/preview/",
        {"version": 1, "reworked_outputs": 30},
        format="json",
    )
    assert response.status_code == status
    if status == 200:
        assert response.json()["consequences"][0]["kind"] == "withdrawal"
    else:
        assert "consequences" not in response.json()
    assert written() == before


def test_correction_preview_refuses_what_the_correction_refuses(api_for, breaching):
    url = f"/api/v1/weekly-reviews/{breaching['id']}/preview/"
    client = api_for("owner")
    missing = client.post(url, {"reworked_outputs": 30}, format="json")
    assert missing.status_code == 400
    assert "Send the version you read" in missing.json()["version"][0]
    stale = client.post(url, {"version": 7, "reworked_outputs": 30}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
    too_many = client.post(url, {"version": 1, "reworked_outputs": 301}, format="json")
    assert too_many.status_code == 400
    assert "reworked_outputs" in too_many.json()
    moved = client.post(url, {"version": 1, "week": "2026-W46"}, format="json")
    assert moved.status_code == 400 and "cannot be changed" in moved.json()["week"][0]
    assert client.post(url, {"version": 1, "bogus": 1}, format="json").status_code == 400
