"""/api/v1/use-cases/{id}/scenarios/: the engine's three scenario forecasts, per role."""

import pytest

from usecases import economics
from usecases.models import BusinessCase
from usecases.serializers import fraction, money

from .conftest import ROLES

pytestmark = pytest.mark.django_db

STATUS = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 200,
    "contributor": 200,
    "leader": 200,
    "pmo": 200,
    "owner": 200,
    "admin": 200,
}


def url(use_case):
    return f"/api/v1/use-cases/{use_case.pk}/scenarios/"


@pytest.mark.parametrize("role", ROLES)
def test_scenarios_per_role(role, api_for, use_case):
    assert api_for(role).get(url(use_case)).status_code == STATUS[role]


def test_scenarios_equal_the_engine(api_for, use_case):
    bc = BusinessCase.objects.get(use_case=use_case).inputs()
    expected = [
        {
            "scenario": f.scenario,
            "adoption": fraction(f.adoption),
            "weekly_gross": money(f.weekly_gross),
            "weekly_net": money(f.weekly_net),
            "first_year_net": money(f.first_year_net),
        }
        for f in economics.scenario_forecasts(bc)
    ]
    response = api_for("leader").get(url(use_case))
    assert response.json() == expected


def test_scenarios_by_hand(api_for, use_case):
    """Base scenario of the fixture business case: 2000 tasks × 0.60 × 12 min × 0.30 / 60 × 45
    = 3240.00 a week; net = 3240 × 0.5 − 2500 × 12 / 52 = 1620 − 576.923… = 1043.08;
    first year = 1620 × 52 − 30000 − 25000 = 29240.00."""
    base = api_for("owner").get(url(use_case)).json()[1]
    assert base == {
        "scenario": "base",
        "adoption": "0.6000",
        "weekly_gross": "3240.00",
        "weekly_net": "1043.08",
        "first_year_net": "29240.00",
    }


def test_contributor_of_another_use_case_gets_404(api_for, other_use_case):
    assert api_for("contributor").get(url(other_use_case)).status_code == 404
