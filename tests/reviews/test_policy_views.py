"""The stop-loss policy pages: PMO (and admins) only; field validation of rules."""

from decimal import Decimal

import pytest
from django.urls import reverse

from reviews.models import Metric, StopLossRule

from .stoploss_helpers import default_rule, make_rule

pytestmark = pytest.mark.django_db

RULE_DATA = dict(
    metric="rework_rate",
    comparison="exceeds",
    threshold="20",  # percent: rates are typed as percentages on the policy pages
    consecutive_weeks="2",
    grace_weeks="1",
    action="redesign",
    active="on",
)


def urls(use_case):
    rule = default_rule(Metric.REWORK_RATE)
    return [
        reverse("reviews:policy"),
        reverse("reviews:policy_rule_new"),
        f"{reverse('reviews:policy_rule_new')}?use_case={use_case.pk}",
        reverse("reviews:policy_rule_edit", args=[rule.pk]),
        reverse("reviews:policy_use_case", args=[use_case.pk]),
    ]


def test_anonymous_is_sent_to_login(client, use_case):
    for url in urls(use_case):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


# role -> status on every policy page for ``use_case`` (the outsider cannot see the use case)
DENIED = {
    "owner": [403] * 5,
    "other_owner": [403] * 5,
    "contributor": [403] * 5,
    "leader": [403] * 5,
    "outsider": [403, 403, 403, 403, 404],
}


@pytest.mark.parametrize("role", DENIED)
def test_non_pmo_gets_403(role, role_users, client_for, use_case):
    client = client_for(role_users[role])
    before = list(StopLossRule.objects.values_list("pk", "threshold"))
    for url, status in zip(urls(use_case), DENIED[role], strict=True):
        assert client.get(url).status_code == status, url
        assert client.post(url, RULE_DATA).status_code == status, url
    assert list(StopLossRule.objects.values_list("pk", "threshold")) == before


def test_contributor_gets_404_for_an_invisible_use_case(client_for, contributor, other_use_case):
    url = reverse("reviews:policy_use_case", args=[other_use_case.pk])
    assert client_for(contributor).get(url).status_code == 404


@pytest.mark.parametrize("role", ["pmo", "admin"])
def test_policy_page_lists_defaults_and_overrides(role, role_users, client_for, use_case):
    make_rule(use_case, threshold=Decimal("0.25"))
    response = client_for(role_users[role]).get(reverse("reviews:policy"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "15.00%" in body and "60.00%" in body and "25.00%" in body
    assert [r.metric for r in response.context["defaults"]] == ["adoption_rate", "rework_rate"]
    assert [r.use_case for r in response.context["overrides"]] == [use_case]


def test_policy_page_redirects_to_the_chosen_use_case(client_for, pmo, use_case):
    response = client_for(pmo).get(reverse("reviews:policy"), {"use_case": use_case.pk})
    assert response["Location"] == reverse("reviews:policy_use_case", args=[use_case.pk])


def test_pmo_edits_a_default_rule(client_for, pmo):
    rule = default_rule(Metric.REWORK_RATE)
    url = reverse("reviews:policy_rule_edit", args=[rule.pk])
    client = client_for(pmo)
    assert client.get(url).status_code == 200
    response = client.post(url, RULE_DATA)
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:policy")
    rule.refresh_from_db()
    assert (rule.threshold, rule.consecutive_weeks, rule.grace_weeks, rule.use_case) == (
        Decimal("0.20"),
        2,
        1,
        None,
    )
    latest = rule.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (pmo, "policy rule changed")


def test_pmo_adds_a_default_rule(client_for, pmo):
    data = {**RULE_DATA, "metric": "net_value", "comparison": "falls_below", "threshold": "-500"}
    response = client_for(pmo).post(reverse("reviews:policy_rule_new"), data)
    assert response.status_code == 302
    rule = StopLossRule.objects.get(metric="net_value")
    assert (rule.use_case, rule.threshold) == (None, Decimal("-500"))


def test_pmo_adds_an_override_and_sees_the_effective_rules(client_for, pmo, use_case):
    client = client_for(pmo)
    url = f"{reverse('reviews:policy_rule_new')}?use_case={use_case.pk}"
    assert use_case.name in client.get(url).content.decode()
    response = client.post(url, {**RULE_DATA, "threshold": "30"})
    page = reverse("reviews:policy_use_case", args=[use_case.pk])
    assert response["Location"] == page
    override = StopLossRule.objects.get(use_case=use_case)
    assert override.threshold == Decimal("0.30")
    effective = client.get(page).context["effective"]
    assert [(r.metric, r.use_case_id) for r in effective] == [
        ("rework_rate", use_case.pk),
        ("adoption_rate", None),
    ]


def test_new_override_for_an_unknown_use_case_is_404(client_for, pmo):
    url = f"{reverse('reviews:policy_rule_new')}?use_case=999999"
    assert client_for(pmo).get(url).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"threshold": "150"}, "threshold", "A rate is a percentage from 0 to 100"),
        ({"threshold": "-10"}, "threshold", "A rate is a percentage from 0 to 100"),
        (
            {"metric": "adoption_rate", "comparison": "falls_below", "threshold": "160"},
            "threshold",
            "A rate is a percentage from 0 to 100",
        ),
        ({"metric": "quality_score", "threshold": "101"}, "threshold", "between 0 and 100"),
        ({"metric": "quality_score", "threshold": "-1"}, "threshold", "between 0 and 100"),
        ({"consecutive_weeks": "0"}, "consecutive_weeks", ""),
        ({"consecutive_weeks": "53"}, "consecutive_weeks", "At most 52 weeks."),
        ({"grace_weeks": "-1"}, "grace_weeks", ""),
        ({"metric": "nonsense"}, "metric", ""),
    ],
)
def test_nonsensical_rules_are_rejected_at_the_field(client_for, pmo, changes, field, message):
    rule = default_rule(Metric.REWORK_RATE)
    url = reverse("reviews:policy_rule_edit", args=[rule.pk])
    response = client_for(pmo).post(url, {**RULE_DATA, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.15")


@pytest.mark.parametrize(
    "changes",
    [
        {"threshold": "0"},
        {"threshold": "100"},
        {"metric": "quality_score", "comparison": "falls_below", "threshold": "100"},
        {"metric": "net_value", "comparison": "falls_below", "threshold": "-25000.50"},
        {"grace_weeks": "0", "consecutive_weeks": "1"},
    ],
)
def test_sensible_edge_values_are_accepted(client_for, pmo, changes):
    rule = default_rule(Metric.REWORK_RATE)
    url = reverse("reviews:policy_rule_edit", args=[rule.pk])
    assert client_for(pmo).post(url, {**RULE_DATA, **changes}).status_code == 302
