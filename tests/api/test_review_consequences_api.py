"""Issue 14 item 1 in the API: ``POST weekly-reviews/preview/`` and ``monthly-reviews/preview/``
validate a create body as create does, save nothing and answer with the figures and the
``consequences`` submitting would have; create (201) and correct (200) answer with the
consequences the save had.

Time is frozen on Wednesday 2026-11-25 (ISO week 2026-W48): 2026-W47 and 2026-10 are complete.
"""

from decimal import Decimal

import pytest

from reviews.models import Flag, MonthlyReview, StopLossRule, WeeklyReview
from tests.factories import StopLossRuleFactory
from usecases.models import Notification, StageTransition, UseCase

from .conftest import ROLES, make_weekly, monthly_payload, weekly_payload

pytestmark = pytest.mark.django_db

WEEKLY = "/api/v1/weekly-reviews/"
MONTHLY = "/api/v1/monthly-reviews/"
WEEKLY_PREVIEW = WEEKLY + "preview/"
MONTHLY_PREVIEW = MONTHLY + "preview/"

#: 160 of 800 tasks with AI reworked: 20 % rework, above the default 15 % stop-loss.
BREACHING = {"reworked_outputs": 160}


def counts() -> dict:
    return {
        "weekly": WeeklyReview.objects.count(),
        "weekly_history": WeeklyReview.history.count(),
        "monthly": MonthlyReview.objects.count(),
        "flags": Flag.objects.count(),
        "transitions": StageTransition.objects.count(),
        "notifications": Notification.objects.count(),
        "use_case_history": UseCase.history.count(),
    }


def stage_of(use_case) -> tuple[str, str]:
    use_case.refresh_from_db()
    return use_case.stage, use_case.funding_status


# --- weekly preview ----------------------------------------------------------------------------


def test_weekly_preview_of_a_breach_says_what_submitting_would_do(api_for, use_case, owner):
    before, stage = counts(), stage_of(use_case)
    response = api_for("owner").post(WEEKLY_PREVIEW, weekly_payload(use_case, **BREACHING))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["rework_rate"] == "0.2000"
    assert body["id"] is None
    [consequence] = body["consequences"]
    rule = StopLossRule.objects.get(use_case=None, metric="rework_rate")
    assert consequence == {
        "kind": "stop_loss",
        "rule": f"rule:{rule.pk}",
        "metric": "rework_rate",
        "period": "2026-W47",
        "observed": "0.2000",
        "threshold": "0.1500",
        "effect": "return_to_redesign",
        "message": (
            "Rework rate 20.0% exceeds the 15.0% stop-loss threshold (default policy). "
            f"Submitting returns {use_case.name} to Redesign and makes funding Conditional; "
            f"{owner.get_full_name() or owner.username} and the PMO are notified."
        ),
    }
    assert counts() == before
    assert stage_of(use_case) == stage == ("rollout", use_case.funding_status)


def test_weekly_preview_without_breach_has_no_consequences(api_for, use_case):
    before = counts()
    response = api_for("owner").post(WEEKLY_PREVIEW, weekly_payload(use_case))
    assert response.status_code == 200
    assert response.json()["consequences"] == []
    assert response.json()["rework_rate"] == "0.1000"
    assert counts() == before


def test_weekly_preview_of_a_flag_only_rule_moves_nothing(api_for, use_case):
    StopLossRuleFactory(use_case=use_case, action="flag_only")
    response = api_for("owner").post(WEEKLY_PREVIEW, weekly_payload(use_case, **BREACHING))
    [consequence] = response.json()["consequences"]
    assert consequence["effect"] == "flag"
    assert "override for this use case" in consequence["message"]
    assert f"{use_case.name} stays in Rollout" in consequence["message"]


def test_weekly_preview_refuses_an_invalid_body_as_create_does(api_for, use_case, owner):
    before = counts()
    client = api_for("owner")
    missing = weekly_payload(use_case)
    del missing["tasks_total"]
    for url in (WEEKLY_PREVIEW, WEEKLY):
        response = client.post(url, missing)
        assert response.status_code == 400
        assert "tasks_total" in response.json()
    too_many = weekly_payload(use_case, reworked_outputs=900)
    preview = client.post(WEEKLY_PREVIEW, too_many)
    assert preview.status_code == 400
    assert preview.json() == client.post(WEEKLY, too_many).json()
    assert counts() == before


def test_weekly_preview_of_a_week_already_filed_names_it(api_for, use_case, owner):
    existing = make_weekly(use_case, "2026-W47", owner)
    response = api_for("owner").post(WEEKLY_PREVIEW, weekly_payload(use_case))
    assert response.status_code == 400
    assert response.json()["existing"]["id"] == existing.pk
    assert "week" in response.json()


PREVIEW = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 200,
    "leader": 403,
    "pmo": 403,
    "owner": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_weekly_preview_per_role_as_create(role, api_for, use_case):
    before = counts()
    response = api_for(role).post(WEEKLY_PREVIEW, weekly_payload(use_case, **BREACHING))
    assert response.status_code == PREVIEW[role]
    if response.status_code == 200:
        assert response.json()["consequences"][0]["effect"] == "return_to_redesign"
    assert counts() == before


@pytest.mark.parametrize("role", ROLES)
def test_monthly_preview_per_role_as_create(role, api_for, use_case):
    before = counts()
    response = api_for(role).post(MONTHLY_PREVIEW, monthly_payload(use_case))
    assert response.status_code == PREVIEW[role]
    assert counts() == before


def test_weekly_preview_of_an_old_week_is_historical(api_for, use_case):
    response = api_for("owner").post(
        WEEKLY_PREVIEW, weekly_payload(use_case, week="2026-W30", **BREACHING)
    )
    assert response.status_code == 200
    [consequence] = response.json()["consequences"]
    assert consequence["kind"] == "historical_breach"
    assert consequence["effect"] == "none"
    assert consequence["message"] == (
        "historical: week 2026-W30 breached rework rate (20.0% > 15.0%), no flag — older than "
        "the 4-week look-back"
    )


# --- monthly preview ---------------------------------------------------------------------------


@pytest.fixture
def net_value_rule():
    """Net value below 0 for one month → redesign (the default policy has none)."""
    return StopLossRuleFactory(metric="net_value", comparison="falls_below", threshold=Decimal("0"))


def test_monthly_preview_of_a_net_value_breach(api_for, use_case, owner, net_value_rule):
    before = counts()
    response = api_for("owner").post(MONTHLY_PREVIEW, monthly_payload(use_case))
    assert response.status_code == 200, response.json()
    body = response.json()
    # No weekly review in October: the net value is minus the typed costs (3,300.00).
    assert body["net_value"] == "-3300.00"
    [consequence] = body["consequences"]
    assert consequence["metric"] == "net_value"
    assert consequence["effect"] == "return_to_redesign"
    assert consequence["period"] == "2026-10"
    assert consequence["message"].startswith(
        "Monthly net value −EUR 3,300.00 falls below the EUR 0.00"
    )
    assert "stop-loss threshold (default policy)" in consequence["message"]
    assert counts() == before


def test_monthly_preview_without_breach(api_for, use_case):
    response = api_for("owner").post(MONTHLY_PREVIEW, monthly_payload(use_case))
    assert response.status_code == 200
    assert response.json()["consequences"] == []


def test_monthly_preview_refuses_an_invalid_body(api_for, use_case, net_value_rule):
    before = counts()
    response = api_for("owner").post(MONTHLY_PREVIEW, monthly_payload(use_case, run_cost="-5"))
    assert response.status_code == 400
    assert "run_cost" in response.json()
    assert counts() == before


def test_weekly_preview_changes_a_filed_months_net_value(api_for, use_case, owner, net_value_rule):
    """A week of a month with a monthly review is judged at the month too, with its figures."""
    api_for("owner").post(MONTHLY, monthly_payload(use_case, month="2026-10", **_no_costs()))
    assert not Flag.objects.exists()  # net value 0, not below 0
    response = api_for("owner").post(
        WEEKLY_PREVIEW,
        weekly_payload(use_case, week="2026-W43", rework_minutes_per_output="600.00"),
    )
    kinds = {(c["metric"], c["period"]) for c in response.json()["consequences"]}
    assert kinds == {("net_value", "2026-10")}


def _no_costs() -> dict:
    return {name: "0" for name in MonthlyReview.COST_FIELDS}


# --- what create and correct did ---------------------------------------------------------------


def test_create_answers_with_the_consequences_it_had(api_for, use_case, owner):
    response = api_for("owner").post(WEEKLY, weekly_payload(use_case, **BREACHING))
    assert response.status_code == 201
    [consequence] = response.json()["consequences"]
    assert consequence["effect"] == "return_to_redesign"
    assert consequence["message"].startswith(
        "Rework rate 20.0% exceeds the 15.0% stop-loss threshold (default policy) in 2026-W47. "
        f"{use_case.name} returned to Redesign and funding is now Conditional"
    )
    assert stage_of(use_case) == ("redesign", "conditional")
    assert Flag.objects.get().period == "2026-W47"


def test_create_without_breach_answers_no_consequences(api_for, use_case):
    response = api_for("owner").post(WEEKLY, weekly_payload(use_case))
    assert response.status_code == 201
    assert response.json()["consequences"] == []


def test_correction_answers_with_the_consequences_it_had(api_for, use_case, owner):
    review = make_weekly(use_case, "2026-W47", owner)
    response = api_for("owner").patch(
        f"{WEEKLY}{review.pk}/", {"version": review.version, **BREACHING}, format="json"
    )
    assert response.status_code == 200, response.json()
    [consequence] = response.json()["consequences"]
    assert consequence["effect"] == "return_to_redesign"
    assert stage_of(use_case) == ("redesign", "conditional")


def test_monthly_create_answers_with_its_consequences(api_for, use_case, net_value_rule):
    response = api_for("owner").post(MONTHLY, monthly_payload(use_case))
    assert response.status_code == 201
    assert [c["metric"] for c in response.json()["consequences"]] == ["net_value"]


def test_weekly_preview_names_declared_vs_measured_before_saving(api_for, use_case):
    """The week has telemetry (56 users, 800 tasks with AI measured): declaring 70 active users
    is +25 %, above the 20 % alert; the preview says so, and saving raises the flag."""
    from reviews.models import FlagKind
    from tests.reviews.telemetry_helpers import telemetry_rows

    telemetry_rows(use_case, "2026-W47", users=56, tasks=800)
    client = api_for("owner")
    response = client.post(WEEKLY_PREVIEW, weekly_payload(use_case))
    assert response.status_code == 200, response.json()
    [consequence] = response.json()["consequences"]
    assert consequence["kind"] == FlagKind.DECLARED_VS_MEASURED
    assert consequence["effect"] == "signal"
    assert (
        "declared 70 active users, telemetry measured 56 (declared +25 %"
        in (consequence["message"])
    )
    assert not Flag.objects.exists()
    # As measured (within 20 %): nothing to foresee.
    near = client.post(WEEKLY_PREVIEW, weekly_payload(use_case, active_users=60))
    assert near.json()["consequences"] == []
    assert client.post(WEEKLY, weekly_payload(use_case)).status_code == 201
    assert Flag.objects.get().kind == FlagKind.DECLARED_VS_MEASURED
