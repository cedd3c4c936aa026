"""Business case edit: /use-cases/<pk>/business-case/edit/ (PMO and the value owner)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import make_use_case, make_user
from tests.use_case_sections import whole_page
from usecases.models import BusinessCase
from usecases.services import BUSINESS_CASE_FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_contributor(other_use_case):
    user = make_user("cora")
    other_use_case.contributors.add(user)
    return user


@pytest.fixture
def users(role_users, foreign_contributor):
    return {**role_users, "foreign_contributor": foreign_contributor, "anonymous": None}


def url(use_case):
    return reverse("usecases:business_case_edit", args=[use_case.pk])


def current_data(use_case, **overrides):
    bc = BusinessCase.objects.get(use_case=use_case)
    data = {name: str(getattr(bc, name)) for name in BUSINESS_CASE_FIELDS}
    data.update(overrides)
    return data


STATUS = {
    "anonymous": 302,
    "outsider": 404,
    "foreign_contributor": 404,
    "contributor": 403,
    "other_owner": 403,
    "leader": 403,
    "pmo": 200,
    "owner": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", STATUS)
def test_per_role(role, users, use_case, client_for):
    client = client_for(users[role])
    status = STATUS[role]
    assert client.get(url(use_case)).status_code == status
    versions = BusinessCase.history.filter(use_case_id=use_case.pk).count()
    response = client.post(url(use_case), current_data(use_case, hourly_cost="52.50"))
    bc = BusinessCase.objects.get(use_case=use_case)
    if status == 200:
        assert response.status_code == 302
        assert bc.hourly_cost == Decimal("52.50")
        assert BusinessCase.history.filter(use_case_id=use_case.pk).count() == versions + 1
        assert bc.history.first().history_user == users[role]
    else:
        assert response.status_code == status
        assert bc.hourly_cost == Decimal("45.00")
        assert BusinessCase.history.filter(use_case_id=use_case.pk).count() == versions
    if status == 302:
        assert response.url.startswith(reverse("login"))


def test_happy_path(client_for, owner, use_case):
    client = client_for(owner)
    response = client.post(
        url(use_case),
        current_data(
            use_case,
            baseline_source="production",
            pilot_effort_reduction="0.2500",
            reclaimable_share="0.6",
            adoption_base="0.55",
            planned_monthly_run_cost="1500.00",
        ),
    )
    assert response.status_code == 302
    assert response.url == f"{use_case.get_absolute_url()}#business-case"
    bc = BusinessCase.objects.get(use_case=use_case)
    assert bc.baseline_source == "production"
    assert bc.pilot_effort_reduction == Decimal("0.25")
    assert bc.reclaimable_share == Decimal("0.6")
    assert bc.adoption_base == Decimal("0.55")
    assert bc.planned_monthly_run_cost == Decimal("1500")
    record = bc.history.first()
    assert record.history_change_reason == "Business case updated"
    page = client.get(response.url)
    assert "Business case saved as a new version." in page.content.decode()


def test_form_explains_fractions_and_currency(client_for, pmo, use_case):
    response = client_for(pmo).get(url(use_case))
    html = response.content.decode()
    assert "0.30 means 30%" in html
    assert "Per month, in EUR." in html
    form = response.context["form"]
    assert form.initial["hourly_cost"] == Decimal("45.00")
    widget_attrs = form["pilot_effort_reduction"].field.widget.attrs
    assert (widget_attrs["min"], widget_attrs["max"]) == ("0", "1")


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("pilot_effort_reduction", "1.2", "Enter a fraction from 0 to 1 (0.30 means 30%)."),
        ("adoption_optimistic", "-0.1", "Enter a number of 0 or more."),
        ("reclaimable_share", "30", "Enter a fraction from 0 to 1 (0.30 means 30%)."),
        ("hourly_cost", "-1", "Enter a number of 0 or more."),
        ("one_off_training_cost", "-0.01", "Enter a number of 0 or more."),
        ("planned_monthly_support_cost", "abc", "Enter a number."),
        ("baseline_source", "guess", None),
    ],
)
def test_invalid_values_are_field_errors_and_nothing_is_saved(
    field, value, message, client_for, owner, use_case
):
    versions = BusinessCase.history.filter(use_case_id=use_case.pk).count()
    before = BusinessCase.objects.values().get(use_case=use_case)
    other_valid = "adoption_base" if field == "hourly_cost" else "hourly_cost"
    # 0.7: a valid fraction that keeps the scenarios in order (0.40 <= 0.7 <= 0.80).
    data = current_data(use_case, **{other_valid: "0.7", field: value})
    response = client_for(owner).post(url(use_case), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message:
        assert message in errors[field]
    # Nothing half-saved: the other valid value in the same submission is not stored either.
    assert BusinessCase.objects.values().get(use_case=use_case) == before
    assert BusinessCase.history.filter(use_case_id=use_case.pk).count() == versions


def test_unchanged_submission_writes_no_version(client_for, owner, use_case):
    versions = BusinessCase.history.filter(use_case_id=use_case.pk).count()
    response = client_for(owner).post(url(use_case), current_data(use_case))
    assert response.status_code == 302
    assert BusinessCase.history.filter(use_case_id=use_case.pk).count() == versions


def test_use_case_without_business_case_gets_one(client_for, pmo):
    use_case = make_use_case(name="Bare")
    BusinessCase.objects.filter(use_case=use_case).delete()
    client = client_for(pmo)
    assert client.get(url(use_case)).status_code == 200
    assert "No business case yet." in whole_page(client, use_case.get_absolute_url())
    data = {name: "0" for name in BUSINESS_CASE_FIELDS}
    data.update(baseline_source="pilot", hourly_cost="40")
    assert client.post(url(use_case), data).status_code == 302
    assert BusinessCase.objects.get(use_case=use_case).hourly_cost == Decimal("40")


def test_wrong_method(client_for, pmo, use_case):
    assert client_for(pmo).put(url(use_case)).status_code == 405
    assert client_for(pmo).delete(url(use_case)).status_code == 405


def test_each_out_of_range_value_is_told_once(client_for, owner, use_case):
    """Issue 16: the range is the model field's validator, worded by the form: one message per
    value, once on the page."""
    data = current_data(
        use_case,
        one_off_training_cost="-5",
        hourly_cost="-1",
        pilot_effort_reduction="1.5",
        reclaimable_share="30",  # 30 % typed as a percentage: too many whole digits, one message
    )
    response = client_for(owner).post(url(use_case), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["one_off_training_cost"] == ["Enter a number of 0 or more."]
    assert errors["hourly_cost"] == ["Enter a number of 0 or more."]
    fraction = "Enter a fraction from 0 to 1 (0.30 means 30%)."
    assert errors["pilot_effort_reduction"] == [fraction]
    assert errors["reclaimable_share"] == [fraction]
    html = response.content.decode()
    assert html.count("Enter a number of 0 or more.") == 2
    assert html.count(fraction) == 2
