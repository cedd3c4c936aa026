"""Issue 14 item 6: on the policy pages people type and read stop-loss rate thresholds as
percentages ("12" means 12 %, stored as 0.12); the quality score stays in points and the net
value in money; the API keeps fractions. Typing "0.12" for a rate is asked about (it means 0.12 %,
or someone's 12 % typed the old way); hostile input gets a field message, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reviews import threshold_entry
from reviews.models import Metric, StopLossRule

from .stoploss_helpers import default_rule, make_rule

pytestmark = pytest.mark.django_db

DATA = dict(
    metric="rework_rate",
    comparison="exceeds",
    threshold="12",
    consecutive_weeks="1",
    grace_weeks="0",
    action="redesign",
    active="on",
)
NEW = reverse("reviews:policy_rule_new")


def edit_url(rule):
    return reverse("reviews:policy_rule_edit", args=[rule.pk])


@pytest.fixture
def pmo_client(client_for, pmo):
    return client_for(pmo)


@pytest.mark.parametrize(
    ("typed", "stored", "said"),
    [
        ("12", Decimal("0.12"), "12.0%"),
        ("12.5", Decimal("0.125"), "12.5%"),
        ("12 %", Decimal("0.12"), "12.0%"),
        ("12.25%", Decimal("0.1225"), "12.25%"),
        (" 7 ", Decimal("0.07"), "7.0%"),
        ("100", Decimal("1"), "100.0%"),
        ("0", Decimal("0"), "0.0%"),
    ],
)
def test_a_rate_is_typed_as_a_percentage_and_confirmed_as_one(pmo_client, typed, stored, said):
    response = pmo_client.post(NEW, {**DATA, "threshold": typed}, follow=True)
    rule = StopLossRule.objects.latest("pk")
    assert rule.threshold == stored
    assert f"Rule saved: Rework rate exceeds {said} (default policy)." in (
        response.content.decode()
    )


def test_the_edit_page_shows_a_rate_as_its_percentage(pmo_client):
    rule = default_rule(Metric.REWORK_RATE)  # 0.15
    response = pmo_client.get(edit_url(rule))
    html = response.content.decode()
    assert 'name="threshold" value="15"' in html
    assert '<span id="threshold-unit" class="unit">%</span>' in html
    adoption = default_rule(Metric.ADOPTION_RATE)  # 0.60
    assert 'name="threshold" value="60"' in pmo_client.get(edit_url(adoption)).content.decode()


def test_saving_an_unchanged_rule_keeps_its_rate(pmo_client):
    rule = default_rule(Metric.REWORK_RATE)
    data = {**DATA, "threshold": "15"}
    assert pmo_client.post(edit_url(rule), data).status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.15")


def test_a_rate_below_one_percent_is_asked_about(pmo_client):
    rule = default_rule(Metric.REWORK_RATE)
    response = pmo_client.post(edit_url(rule), {**DATA, "threshold": "0.12"})
    assert response.status_code == 200
    [message] = response.context["form"].errors["threshold"]
    assert message == (
        "0.12 here means 0.12 %, not 12 %: rates are typed as percentages. Type 12 for 12 %, "
        "or tick “I mean less than 1 %” to keep 0.12 %."
    )
    assert 'name="small_percent_confirmed"' in response.content.decode()
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.15")


def test_a_rate_below_one_percent_is_kept_when_confirmed(pmo_client):
    rule = default_rule(Metric.REWORK_RATE)
    data = {**DATA, "threshold": "0.5", "small_percent_confirmed": "on"}
    assert pmo_client.post(edit_url(rule), data).status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.005")
    # Saved again as it is (the field shows 0.5), it is not asked about again.
    assert 'value="0.5"' in pmo_client.get(edit_url(rule)).content.decode()
    assert pmo_client.post(edit_url(rule), {**DATA, "threshold": "0.5"}).status_code == 302


def test_the_box_is_not_shown_until_needed(pmo_client):
    html = pmo_client.get(NEW).content.decode()
    assert 'name="small_percent_confirmed"' not in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("١٢", "digits 0-9"),  # Arabic-Indic digits
        ("１２", "digits 0-9"),  # full-width digits
        ("1e400", "digits 0-9"),
        ("1E2", "digits 0-9"),
        ("NaN", "digits 0-9"),
        ("Infinity", "digits 0-9"),
        ("-inf", "digits 0-9"),
        ("0x10", "digits 0-9"),
        ("12\n", None),  # stripped: accepted below
        ("12,5", "Use a point for decimals"),
        ("1,000", "Use a point for decimals"),
        ("--5", "digits 0-9"),
        ("", "required"),
        ("9" * 40, "at most 32"),
        ("150", "percentage from 0 to 100"),
        ("100.01", "percentage from 0 to 100"),
        ("-1", "percentage from 0 to 100"),
        ("12.345", "At most two decimals"),
        ("12 %%", "digits 0-9"),
    ],
)
def test_hostile_rate_input_is_a_field_error(pmo_client, typed, message):
    rule = default_rule(Metric.REWORK_RATE)
    response = pmo_client.post(edit_url(rule), {**DATA, "threshold": typed})
    rule.refresh_from_db()
    if message is None:
        assert response.status_code == 302
        assert rule.threshold == Decimal("0.12")
        return
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["threshold"]
    assert message.lower() in " ".join(errors["threshold"]).lower()
    assert rule.threshold == Decimal("0.15")


@pytest.mark.parametrize(
    ("changes", "stored", "said"),
    [
        ({"metric": "quality_score", "comparison": "falls_below", "threshold": "70"}, "70", "70"),
        (
            {"metric": "net_value", "comparison": "falls_below", "threshold": "-500.5"},
            "-500.5",
            "−EUR 500.50",
        ),
    ],
)
def test_other_metrics_keep_their_units(pmo_client, changes, stored, said):
    response = pmo_client.post(NEW, {**DATA, **changes}, follow=True)
    rule = StopLossRule.objects.latest("pk")
    assert rule.threshold == Decimal(stored)
    assert f"falls below {said} (default policy)." in response.content.decode()
    assert pmo_client.get(edit_url(rule)).context["form"].initial["threshold"] == stored


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metric": "quality_score", "threshold": "85%"}, "Only rates are percentages"),
        ({"metric": "quality_score", "threshold": "101"}, "between 0 and 100"),
        ({"metric": "net_value", "threshold": "9" * 20}, "digits"),
        ({"metric": "net_value", "threshold": "0.00001"}, "decimal places"),
    ],
)
def test_other_metrics_refuse_at_the_field(pmo_client, changes, message):
    before = StopLossRule.objects.count()
    response = pmo_client.post(NEW, {**DATA, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["threshold"]
    assert message in " ".join(errors["threshold"])
    assert StopLossRule.objects.count() == before


def test_an_override_page_shows_percentages(pmo_client, use_case):
    make_rule(use_case, threshold=Decimal("0.125"))
    html = pmo_client.get(reverse("reviews:policy_use_case", args=[use_case.pk])).content.decode()
    assert "12.50%" in html


def test_the_api_keeps_fractions(pmo):
    api = APIClient()
    api.force_login(pmo)
    body = {"metric": "exception_share", "comparison": "exceeds", "threshold": "0.12"}
    response = api.post("/api/v1/stop-loss-rules/", body, format="json")
    assert response.status_code == 201
    assert Decimal(response.json()["threshold"]) == Decimal("0.12")
    body["threshold"] = "12"
    response = api.post("/api/v1/stop-loss-rules/", body, format="json")
    assert response.status_code == 400
    assert "fraction between 0 and 1" in response.json()["threshold"][0]


@pytest.mark.parametrize(
    ("metric", "stored", "typed"),
    [
        (Metric.REWORK_RATE, Decimal("0.1500"), "15"),
        (Metric.ADOPTION_RATE, Decimal("0.125"), "12.5"),
        (Metric.EXCEPTION_SHARE, Decimal("0.0050"), "0.5"),
        (Metric.QUALITY_SCORE, Decimal("70.0000"), "70"),
        (Metric.NET_VALUE, Decimal("-500.5000"), "-500.5"),
        (Metric.NET_VALUE, Decimal("0E-4"), "0"),
    ],
)
def test_a_stored_threshold_is_shown_as_typed(metric, stored, typed):
    assert threshold_entry.to_typed(metric, stored) == typed
    value, _percent = threshold_entry.parse(typed)
    assert threshold_entry.to_stored(metric, value) == stored
