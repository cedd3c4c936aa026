"""Crafted input gets a 400 with a field message (API) or a form error (pages), never a 500
(issue 13, MEDIUM), and an outsider learns nothing from how a use case id is spelt (LOW).

Today is Wednesday 25 November 2026 (ISO week 2026-W48).
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from reviews.breaches import grace_end
from reviews.models import StopLossRule
from tests.api.conftest import monthly_payload, weekly_payload
from tests.api.test_weekly_review_submit_cost import token_client
from tests.reviews.test_views_weekly import VALID, field_errors

pytestmark = pytest.mark.django_db


def post_raw(client, url, body: str):
    """``body`` is sent as it is: JSON a client may write (``1e400``, ``"\\ud800"``)."""
    client.raise_request_exception = False
    return client.post(url, body, content_type="application/json")


def with_member(body: dict, name: str, raw: str) -> str:
    """``body`` as JSON with member ``name`` set to the raw JSON text ``raw``."""
    rest = {k: v for k, v in body.items() if k != name}
    return json.dumps(rest)[:-1] + f', "{name}": {raw}}}'


# --- a week that ends beyond the calendar --------------------------------------------------------


def test_api_week_9999_w52_is_a_field_error(use_case, contributor):
    client = token_client(contributor)
    response = post_raw(
        client, "/api/v1/weekly-reviews/", json.dumps(weekly_payload(use_case, "9999-W52"))
    )
    assert response.status_code == 400, response.content
    assert "9999-W52" in response.json()["week"][0]


def test_form_week_9999_w52_is_a_form_error(use_case, contributor, client_for):
    client = client_for(contributor)
    client.raise_request_exception = False
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    response = client.post(url, {**VALID, "week": "9999-W52"})
    assert response.status_code == 200
    (message,) = field_errors(response, "week")
    assert "9999-W52" in message


def test_htmx_preview_of_week_9999_w52(use_case, contributor, client_for):
    client = client_for(contributor)
    client.raise_request_exception = False
    url = reverse("reviews:weekly_preview", args=[use_case.pk])
    response = client.post(url, {**VALID, "week": "9999-W52"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "9999-W52 is outside the supported calendar" in response.content.decode()


# --- 1e400 (a float infinity once parsed) in an id -----------------------------------------------

ID_FIELDS = [
    ("/api/v1/weekly-reviews/", "weekly", "use_case"),
    ("/api/v1/weekly-reviews/", "weekly", "model_version"),
    ("/api/v1/monthly-reviews/", "monthly", "use_case"),
    ("/api/v1/model-changes/", "change", "use_case"),
    ("/api/v1/stop-loss-rules/", "rule", "use_case"),
]


def _body(kind, use_case) -> dict:
    return {
        "weekly": lambda: weekly_payload(use_case),
        "monthly": lambda: monthly_payload(use_case),
        "change": lambda: {
            "use_case": use_case.pk,
            "version_label": "v9",
            "kind": "model",
            "effective_date": "2026-11-20",
        },
        "rule": lambda: {"metric": "rework_rate", "comparison": "exceeds", "threshold": "0.2"},
    }[kind]()


def _client_for_kind(kind, owner, pmo):
    return token_client(pmo if kind == "rule" else owner)


@pytest.mark.parametrize("raw", ["1e400", "-1e400", "1.5", "2.0", "true", '"+1"'])
@pytest.mark.parametrize(("url", "kind", "field"), ID_FIELDS)
def test_an_id_that_is_no_plain_integer_is_a_field_error(
    url, kind, field, raw, use_case, owner, pmo
):
    client = _client_for_kind(kind, owner, pmo)
    response = post_raw(client, url, with_member(_body(kind, use_case), field, raw))
    assert response.status_code == 400, response.content
    assert response.json()[field] == [
        "An id is a whole number written with the digits 0-9, e.g. 42."
    ]


# --- a lone surrogate ----------------------------------------------------------------------------

CHOICE_FIELDS = [
    ("/api/v1/model-changes/", "change", "kind"),
    ("/api/v1/stop-loss-rules/", "rule", "metric"),
    ("/api/v1/stop-loss-rules/", "rule", "comparison"),
    ("/api/v1/stop-loss-rules/", "rule", "action"),
]


@pytest.mark.parametrize(("url", "kind", "field"), CHOICE_FIELDS)
def test_a_lone_surrogate_in_a_choice_field_is_a_field_error(
    url, kind, field, use_case, owner, pmo
):
    client = _client_for_kind(kind, owner, pmo)
    response = post_raw(client, url, with_member(_body(kind, use_case), field, '"\\ud800"'))
    assert response.status_code == 400, response.content
    # The message echoes the value, its surrogate written as an escape: renderable.
    assert response.json()[field] == ['"\\ud800" is not a valid choice.']


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/api/v1/weekly-reviews/", "weekly"),
        ("/api/v1/monthly-reviews/", "monthly"),
        ("/api/v1/model-changes/", "change"),
    ],
)
def test_a_lone_surrogate_as_a_json_key_is_a_400(url, kind, use_case, owner, pmo):
    client = _client_for_kind(kind, owner, pmo)
    response = post_raw(client, url, with_member(_body(kind, use_case), "\\ud800", "1"))
    assert response.status_code == 400, response.content
    assert response.json() == {"\\ud800": ["Unknown field: not part of this resource."]}


def test_a_lone_surrogate_in_a_patch_is_a_400(use_case, owner):
    client = token_client(owner)
    created = client.post("/api/v1/weekly-reviews/", weekly_payload(use_case), format="json")
    url = f"/api/v1/weekly-reviews/{created.json()['id']}/"
    client.raise_request_exception = False
    response = client.patch(url, '{"version": 1, "\\udfff": 2}', content_type="application/json")
    assert response.status_code == 400, response.content


# --- the economics range -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [("end=0001-01", "end"), ("end=0001-02", "end"), ("start=0001-01&end=0000-12", "end")],
)
def test_economics_range_before_the_calendar_is_a_field_error(query, field, use_case, owner):
    client = token_client(owner)
    client.raise_request_exception = False
    response = client.get(f"/api/v1/use-cases/{use_case.pk}/economics/?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_economics_range_at_the_first_months_works(use_case, owner):
    response = token_client(owner).get(
        f"/api/v1/use-cases/{use_case.pk}/economics/?start=0001-01&end=0001-03"
    )
    assert response.status_code == 200
    assert response.json()["start"] == "0001-01"


# --- a use case id spelt otherwise tells nothing -------------------------------------------------

SPELLINGS = [
    lambda pk: float(pk),  # 2.0
    lambda pk: f" {pk}",
    lambda pk: f"+{pk}",
    lambda pk: "".join(chr(0x660 + int(d)) for d in str(pk)),  # Arabic-Indic digits
    lambda pk: f"{pk}.0",
    lambda pk: str(pk),
    lambda pk: pk,
]
MISSING = 987654


@pytest.mark.parametrize("spell", SPELLINGS)
@pytest.mark.parametrize(
    "url", ["/api/v1/weekly-reviews/", "/api/v1/monthly-reviews/", "/api/v1/model-changes/"]
)
def test_hidden_and_missing_use_cases_get_the_same_answer(
    spell, url, use_case, other_use_case, contributor
):
    """The contributor may not see ``other_use_case``: whatever the spelling of its id, the answer
    is the one a use case that does not exist gets."""
    client = token_client(contributor)
    body = {
        "/api/v1/weekly-reviews/": weekly_payload(use_case),
        "/api/v1/monthly-reviews/": monthly_payload(use_case),
        "/api/v1/model-changes/": _body("change", use_case),
    }[url]
    answers = []
    for pk in (other_use_case.pk, MISSING):
        response = client.post(url, {**body, "use_case": spell(pk)}, format="json")
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] in {400, 404}


# --- a stop-loss rule's grace beyond the calendar ------------------------------------------------


@pytest.mark.parametrize("grace", [521, 10**18])
def test_a_grace_of_more_than_ten_years_is_a_field_error(grace, pmo):
    body = {"metric": "rework_rate", "comparison": "exceeds", "threshold": "0.2"}
    response = post_raw(
        token_client(pmo), "/api/v1/stop-loss-rules/", json.dumps({**body, "grace_weeks": grace})
    )
    assert response.status_code == 400, response.content
    # PostgreSQL's smallint bound (32767, the field's own validator) may tell first.
    assert response.json()["grace_weeks"][0] in {
        "At most 520 weeks (ten years).",
        "Ensure this value is less than or equal to 32767.",
    }
    if grace == 521:
        assert response.json()["grace_weeks"] == ["At most 520 weeks (ten years)."]


def test_a_grace_beyond_the_calendar_never_ends():
    """A rule stored before the bound (SQLite keeps any integer) must not crash the evaluation."""
    rule = StopLossRule(grace_weeks=10**18)
    assert grace_end(rule, datetime.date(2026, 6, 1)) == datetime.date.max
    assert grace_end(StopLossRule(grace_weeks=2), datetime.date(2026, 6, 1)) == datetime.date(
        2026, 6, 15
    )


# --- previews of numbers no field holds ----------------------------------------------------------


def test_monthly_preview_of_a_huge_cost(use_case, contributor, client_for):
    client = client_for(contributor)
    client.raise_request_exception = False
    url = reverse("reviews:monthly_preview", args=[use_case.pk])
    costs = dict.fromkeys(
        ("training_cost", "support_cost", "run_cost", "maintenance_cost", "other_cost"), "1"
    )
    body = {"month": "2026-10", **costs, "integration_cost": "1E30", "notes": ""}
    response = client.post(url, body, HTTP_HX_REQUEST="true")
    assert response.status_code == 200


def test_weekly_preview_of_huge_numbers(use_case, contributor, client_for):
    client = client_for(contributor)
    client.raise_request_exception = False
    url = reverse("reviews:weekly_preview", args=[use_case.pk])
    body = {**VALID, "minutes_saved_per_task": "1E999999", "rework_minutes_per_output": "9E999999"}
    response = client.post(url, body, HTTP_HX_REQUEST="true")
    assert response.status_code == 200


def test_money_and_percent_filters_never_fail():
    from usecases.templatetags.money import money, percent

    assert money(Decimal("1E30"), "EUR") == "EUR 1.00E+30"
    assert money(Decimal("-1234.5"), "EUR") == "−EUR 1,234.50"
    assert percent(Decimal("1E999999")) == "1.00E+1000001%"
    assert percent(Decimal("0.155"), 1) == "15.5%"


# --- the same class of defect in gates: one per quarter ------------------------------------------


@pytest.mark.parametrize("quarter", ["２０２６-Q4", "2026-Q٤", "٢٠٢٦-Q4"])
def test_a_gate_quarter_in_other_digits_is_a_field_error(quarter, pmo, leader):
    from stagegates.models import Gate

    client = token_client(pmo)
    body = {"opens_on": "2026-11-16", "closes_on": "2026-12-04", "chair": leader.username}
    assert (
        client.post("/api/v1/gates/", {**body, "quarter": "2026-Q4"}, format="json").status_code
        == 201
    )
    response = post_raw(client, "/api/v1/gates/", json.dumps({**body, "quarter": quarter}))
    assert response.status_code == 400, response.content
    assert "quarter" in response.json()
    assert Gate.objects.count() == 1


def test_the_last_quarter_of_the_calendar_has_bounds():
    from stagegates.models import quarter_bounds

    assert quarter_bounds("9999-Q4") == (datetime.date(9999, 10, 1), datetime.date(9999, 12, 31))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/weekly-reviews/",
        "/api/v1/monthly-reviews/",
        "/api/v1/model-changes/",
        "/api/v1/stop-loss-rules/",
        "/api/v1/flags/",
    ],
)
def test_a_list_filtered_by_a_hidden_use_case_answers_as_for_a_missing_one(
    url, use_case, other_use_case, contributor
):
    """``?use_case=<hidden id>`` gave an empty page, ``?use_case=<missing id>`` a 400."""
    client = token_client(contributor)
    hidden = client.get(url, {"use_case": other_use_case.pk})
    missing = client.get(url, {"use_case": MISSING})
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert hidden.status_code == 400
    assert client.get(url, {"use_case": use_case.pk}).status_code == 200
