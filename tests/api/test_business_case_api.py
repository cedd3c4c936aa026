"""/api/v1/use-cases/{id}/business-case/: GET (who may see the use case), PUT (PMO, value owner)."""

import pytest

from tests.conftest import make_use_case
from usecases.models import BusinessCase

from .conftest import ROLES

pytestmark = pytest.mark.django_db


def url(use_case):
    return f"/api/v1/use-cases/{use_case.pk}/business-case/"


FULL = {
    "baseline_tasks_per_week": "2500.00",
    "baseline_minutes_per_task": "10.00",
    "baseline_source": "production",
    "hourly_cost": "50.00",
    "pilot_effort_reduction": "0.2500",
    "reclaimable_share": "0.6000",
    "adoption_pessimistic": "0.3000",
    "adoption_base": "0.5500",
    "adoption_optimistic": "0.7500",
    "planned_monthly_run_cost": "1000.00",
    "planned_monthly_support_cost": "600.00",
    "planned_monthly_maintenance_cost": "400.00",
    "one_off_integration_cost": "15000.00",
    "one_off_training_cost": "4000.00",
}

GET = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 200,
    "contributor": 200,
    "leader": 200,
    "pmo": 200,
    "owner": 200,
    "admin": 200,
}
PUT = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "pmo": 200,
    "owner": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_get_per_role(role, api_for, use_case):
    response = api_for(role).get(url(use_case))
    assert response.status_code == GET[role]
    if response.status_code == 200:
        body = response.json()
        # Fractions: strings with 4 decimals; money: strings with 2 decimals.
        assert body["pilot_effort_reduction"] == "0.3000"
        assert body["reclaimable_share"] == "0.5000"
        assert body["hourly_cost"] == "45.00"
        assert body["one_off_integration_cost"] == "20000.00"
        assert body["baseline_source"] == "pilot"
        assert set(body) == {*FULL, "updated_at"}


@pytest.mark.parametrize("role", ROLES)
def test_put_per_role(role, api_for, use_case, role_users):
    response = api_for(role).put(url(use_case), FULL, format="json")
    assert response.status_code == PUT[role]
    business_case = BusinessCase.objects.get(use_case=use_case)
    if PUT[role] == 200:
        body = response.json()
        assert {k: body[k] for k in FULL} == FULL
        assert str(business_case.hourly_cost) == "50.00"
        latest = business_case.history.order_by("-history_date", "-history_id").first()
        assert latest.history_user == role_users[role]
    else:
        assert str(business_case.hourly_cost) == "45.00"


def test_contributor_of_another_use_case_gets_404(api_for, other_use_case):
    assert api_for("contributor").get(url(other_use_case)).status_code == 404
    assert api_for("contributor").put(url(other_use_case), FULL, format="json").status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pilot_effort_reduction", "1.0001"),
        ("reclaimable_share", "-0.1"),
        ("adoption_base", 2),
        ("adoption_optimistic", "0.12345"),
        ("hourly_cost", "-1.00"),
        ("one_off_training_cost", "12.345"),
        ("baseline_source", "guess"),
        ("hourly_cost", "abc"),
    ],
)
def test_put_validation(field, value, api_for, use_case):
    response = api_for("owner").put(url(use_case), {**FULL, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert str(BusinessCase.objects.get(use_case=use_case).hourly_cost) == "45.00"


def test_put_accepts_fraction_bounds_as_numbers(api_for, use_case):
    body = {**FULL, "reclaimable_share": 1, "adoption_pessimistic": 0, "adoption_base": 0.5}
    response = api_for("owner").put(url(use_case), body, format="json")
    assert response.status_code == 200
    assert response.json()["reclaimable_share"] == "1.0000"
    assert response.json()["adoption_base"] == "0.5000"


def test_put_requires_every_field(api_for, use_case):
    partial = {k: v for k, v in FULL.items() if k != "hourly_cost"}
    response = api_for("owner").put(url(use_case), partial, format="json")
    assert response.status_code == 400
    assert response.json() == {"hourly_cost": ["This field is required."]}


def test_put_rejects_unknown_fields(api_for, use_case):
    response = api_for("owner").put(url(use_case), {**FULL, "discount": "0.1"}, format="json")
    assert response.status_code == 400
    assert "discount" in response.json()


def test_patch_is_not_allowed(api_for, use_case):
    response = api_for("owner").patch(url(use_case), {"hourly_cost": "1.00"}, format="json")
    assert response.status_code == 405


def test_use_case_without_business_case(api_for, owner):
    bare = make_use_case("Bare", owner=owner)
    BusinessCase.objects.filter(use_case=bare).delete()
    api = api_for("owner")
    got = api.get(url(bare))
    assert got.status_code == 200
    assert got.json()["hourly_cost"] == "0.00"
    assert got.json()["reclaimable_share"] == "0.0000"
    assert api.put(url(bare), FULL, format="json").status_code == 200
    assert str(BusinessCase.objects.get(use_case=bare).hourly_cost) == "50.00"
