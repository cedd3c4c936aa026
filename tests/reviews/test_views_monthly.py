"""Monthly financial review pages: submit, correct, live CFO figures; permissions per role;
validation at the field; duplicate month; stale version. Today is Wednesday 25 November 2026."""

import datetime
import html
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import services
from reviews.models import MonthlyReview
from tests.reviews.test_views_weekly import (
    ALLOWED,
    NOW,
    ROLES,
    _assert_denied,
    _user,
    field_errors,
    figure,
    input_tag,
    live_from,
    make_review,
)

pytestmark = pytest.mark.django_db

VALID = {
    "month": "2026-10",
    "training_cost": "100",
    "support_cost": "200",
    "integration_cost": "300",
    "run_cost": "400",
    "maintenance_cost": "500",
    "other_cost": "0",
    "notes": "",
}
COSTS = ("training_cost", "support_cost", "integration_cost", "run_cost", "maintenance_cost")


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


def make_monthly(use_case, month="2026-09", **fields):
    values = dict.fromkeys((*COSTS, "other_cost"), Decimal("10"))
    values.update(fields)
    return MonthlyReview.objects.create(use_case=use_case, month=month, **values)


def form_data(review, **changes):
    data = {name: str(getattr(review, name)) for name in (*COSTS, "other_cost", "notes")}
    data["version"] = str(review.version)
    data.update({k: str(v) for k, v in changes.items()})
    return data


def new_url(use_case, **query):
    url = reverse("reviews:monthly_new", args=[use_case.pk])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def preview_url(use_case):
    return reverse("reviews:monthly_preview", args=[use_case.pk])


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_new_page_per_role(role, role_users, use_case, client_for):
    response = client_for(_user(role_users, role)).get(new_url(use_case))
    if role in ALLOWED:
        assert response.status_code == 200
        assert b"Submit a monthly financial review" in response.content
    else:
        _assert_denied(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_submit_per_role(role, role_users, use_case, client_for):
    response = client_for(_user(role_users, role)).post(new_url(use_case), VALID)
    if role in ALLOWED:
        assert response.status_code == 302
        assert response["Location"] == reverse("usecases:detail", args=[use_case.pk])
        assert (
            MonthlyReview.objects.get(use_case=use_case, month="2026-10").submitted_by
            == (role_users[role])
        )
    else:
        _assert_denied(response, role)
        assert not MonthlyReview.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_edit_page_per_role(role, role_users, use_case, client_for):
    review = make_monthly(use_case)
    response = client_for(_user(role_users, role)).get(
        reverse("reviews:monthly_edit", args=[review.pk])
    )
    if role in ALLOWED:
        assert response.status_code == 200
        assert b"Correct the monthly review 2026-09" in response.content
    else:
        _assert_denied(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_correct_per_role(role, role_users, use_case, client_for):
    review = make_monthly(use_case)
    response = client_for(_user(role_users, role)).post(
        reverse("reviews:monthly_edit", args=[review.pk]), form_data(review, run_cost="55.50")
    )
    review.refresh_from_db()
    if role in ALLOWED:
        assert response.status_code == 302
        assert (review.run_cost, review.version) == (Decimal("55.50"), 2)
    else:
        _assert_denied(response, role)
        assert (review.run_cost, review.version) == (Decimal("10"), 1)


@pytest.mark.parametrize("role", ROLES)
def test_preview_per_role(role, role_users, use_case, client_for):
    response = client_for(_user(role_users, role)).post(preview_url(use_case), VALID)
    if role in ALLOWED:
        assert response.status_code == 200
        assert figure(response, "absorption_cost") == "EUR 1,500.00"
    else:
        _assert_denied(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_edit_preview_per_role(role, role_users, use_case, client_for):
    review = make_monthly(use_case)
    response = client_for(_user(role_users, role)).post(
        reverse("reviews:monthly_edit_preview", args=[review.pk]),
        form_data(review, other_cost="40"),
    )
    if role in ALLOWED:
        assert response.status_code == 200
        assert figure(response, "absorption_cost") == "EUR 90.00"
    else:
        _assert_denied(response, role)


def test_review_of_another_use_case_is_404_for_its_contributor(
    contributor, other_use_case, client_for
):
    review = make_monthly(other_use_case)
    client = client_for(contributor)
    assert client.get(reverse("reviews:monthly_edit", args=[review.pk])).status_code == 404
    assert client.post(preview_url(other_use_case), VALID).status_code == 404


# --- defaults ---------------------------------------------------------------------------------


def test_default_month_is_the_earliest_missing_month(owner, use_case, client_for):
    """Issue 14. Due: August to October (live since 1 August); filed: August and October."""
    live_from(use_case, datetime.date(2026, 8, 1))
    make_monthly(use_case, "2026-08")
    make_monthly(use_case, "2026-10")
    response = client_for(owner).get(new_url(use_case))
    assert 'value="2026-09"' in input_tag(response, "month")
    assert 'type="month"' in input_tag(response, "month")


def test_default_month_is_the_last_complete_month_when_none_is_missing(owner, use_case, client_for):
    live_from(use_case, datetime.date(2026, 10, 1))
    make_monthly(use_case, "2026-10")
    response = client_for(owner).get(new_url(use_case))
    assert 'value="2026-10"' in input_tag(response, "month")
    use_case.stage = "pilot"  # owes no reviews
    use_case.save(update_fields=["stage"])
    with time_machine.travel(datetime.datetime(2027, 1, 1, 9, tzinfo=datetime.UTC)):
        assert 'value="2026-12"' in input_tag(client_for(owner).get(new_url(use_case)), "month")


def test_month_from_query_string(owner, use_case, client_for):
    response = client_for(owner).get(new_url(use_case, month="2026-08"))
    assert 'value="2026-08"' in input_tag(response, "month")


def test_cost_labels_carry_the_currency(owner, use_case, client_for):
    page = client_for(owner).get(new_url(use_case)).content.decode()
    assert "Run cost (EUR)" in page and "Training cost (EUR)" in page


# --- validation -------------------------------------------------------------------------------

BAD_VALUES = [
    *[({name: "-0.01"}, name, "greater than or equal to 0") for name in COSTS],
    ({"other_cost": "-5"}, "other_cost", "greater than or equal to 0"),
    ({"run_cost": "lots"}, "run_cost", "Enter a number."),
    ({"support_cost": ""}, "support_cost", "This field is required."),
    ({"month": "2026-13"}, "month", "'2026-13' is not a month"),
    ({"month": "2026-1"}, "month", "expected YYYY-MM"),
    ({"month": "Nov 26"}, "month", "expected YYYY-MM"),
    (
        {"month": "2026-12"},
        "month",
        "2026-12 ends on Thursday 31 Dec; submit it from Friday 1 Jan.",
    ),
    # Issue 14: the current month is refused until it has ended.
    ({"month": "2026-11"}, "month", "2026-11 ends on Monday 30 Nov; submit it from Tuesday 1 Dec."),
    ({"month": ""}, "month", "This field is required."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_VALUES)
def test_bad_value_is_told_at_the_field_and_nothing_is_saved(
    changes, field, message, owner, use_case, client_for
):
    response = client_for(owner).post(new_url(use_case), {**VALID, **changes})
    assert response.status_code == 200
    assert any(message in m for m in field_errors(response, field)), field_errors(response, field)
    assert 'aria-invalid="true"' in input_tag(response, field)
    assert not MonthlyReview.objects.exists()


@pytest.mark.parametrize(
    "changes", [{"month": "2026-10"}, dict.fromkeys(VALID, "0") | {"month": "2026-01"}]
)
def test_boundary_values_are_accepted(changes, owner, use_case, client_for):
    response = client_for(owner).post(new_url(use_case), {**VALID, **changes, "notes": ""})
    assert response.status_code == 302
    assert MonthlyReview.objects.count() == 1


def test_duplicate_month_links_to_the_existing_review(owner, use_case, client_for):
    existing = make_monthly(use_case, month="2026-10")
    response = client_for(owner).post(new_url(use_case), VALID)
    assert response.status_code == 200
    url = reverse("reviews:monthly_edit", args=[existing.pk])
    errors = re.search(
        r'<ul class="errorlist" id="id_month_error">(.*?)</ul>', response.content.decode(), re.S
    )[1]
    assert f'<a href="{url}">review #{existing.pk}</a>' in errors
    assert "A monthly review for 2026-10 already exists" in field_errors(response, "month")[0]
    assert MonthlyReview.objects.count() == 1


def test_submit_saves_decimals_and_redirects_with_a_message(owner, use_case, client_for):
    data = {**VALID, "run_cost": "1234.56", "notes": "Token price rise."}
    response = client_for(owner).post(new_url(use_case), data, follow=True)
    assert "Monthly review 2026-10 saved." in response.content.decode()
    review = MonthlyReview.objects.get()
    assert review.run_cost == Decimal("1234.56")
    assert review.month_start == datetime.date(2026, 10, 1)


def test_preview_button_renders_figures_and_saves_nothing(owner, use_case, client_for):
    response = client_for(owner).post(new_url(use_case), {**VALID, "preview": "1"})
    assert response.status_code == 200
    assert figure(response, "absorption_cost") == "EUR 1,500.00"
    assert not MonthlyReview.objects.exists()


# --- live CFO figures -------------------------------------------------------------------------


@pytest.fixture
def october_weeks(use_case):
    """October 2026 holds the weeks whose Thursday is in October: 2026-W40 (from Mon 28 Sep)
    to 2026-W44 (to Sun 1 Nov). W45 belongs to November."""
    return [
        make_review(use_case, week="2026-W40", tasks_with_ai=800, reworked_outputs=100),
        make_review(use_case, week="2026-W44", tasks_with_ai=400, reworked_outputs=20),
        make_review(use_case, week="2026-W45", tasks_with_ai=900, reworked_outputs=90),
    ]


def test_preview_figures_are_hand_computed(owner, use_case, october_weeks, client_for):
    """H = 45, R = 0.5. Gross: (800 + 400) × 3 min / 60 × 45 = 2,700. Rework: (100 + 20) × 6 min
    / 60 × 45 = 540. Costs typed: 1,500. Absorption 2,040. Translation gap 2,700 × 0.5 = 1,350.
    Net 2,700 × 0.5 − 2,040 = −690."""
    response = client_for(owner).post(preview_url(use_case), VALID)
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert figure(response, "gross_efficiency") == "EUR 2,700.00"
    assert figure(response, "translation_gap") == "EUR 1,350.00"
    assert figure(response, "absorption_cost") == "EUR 2,040.00"
    assert figure(response, "net_value") == "−EUR 690.00"
    text = html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))
    assert "weekly reviews for 2 of 5 weeks (2026-W40 – 2026-W44)" in text
    assert "rework EUR 540.00 + the costs above EUR 1,500.00" in text
    assert 'class="figure neg"' in response.content.decode()


def test_edit_preview_uses_the_typed_costs_not_the_saved_ones(
    owner, use_case, october_weeks, client_for
):
    review = make_monthly(use_case, month="2026-10")  # saved costs: 6 × 10
    data = form_data(
        review,
        training_cost="1000",
        support_cost="200",
        integration_cost="300",
        run_cost="400",
        maintenance_cost="500",
        other_cost="0",
    )
    response = client_for(owner).post(
        reverse("reviews:monthly_edit_preview", args=[review.pk]), data
    )
    assert figure(response, "absorption_cost") == "EUR 2,940.00"
    assert figure(response, "net_value") == "−EUR 1,590.00"


def test_preview_lists_the_rules_messages_and_month_problems(owner, use_case, client_for):
    client = client_for(owner)
    response = client.post(preview_url(use_case), {**VALID, "run_cost": "-3"})
    text = html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))
    assert text.count("Run cost (EUR): Ensure this value is greater than or equal to 0.") == 1
    future = client.post(preview_url(use_case), {**VALID, "month": "2027-02"}).content.decode()
    assert "2027-02 ends on Sunday 28 Feb; submit it from Monday 1 Mar." in future
    current = client.post(preview_url(use_case), {**VALID, "month": "2026-11"}).content.decode()
    assert "2026-11 ends on Monday 30 Nov; submit it from Tuesday 1 Dec." in current
    no_js = client.post(new_url(use_case), {**VALID, "month": "2026-11", "preview": "1"})
    assert field_errors(no_js, "month") == [
        "2026-11 ends on Monday 30 Nov; submit it from Tuesday 1 Dec."
    ]
    assert not MonthlyReview.objects.exists()
    assert figure(client.post(preview_url(use_case), {**VALID, "month": "x"}), "net_value") == "—"


def test_preview_query_count_does_not_grow_with_the_weekly_reviews(owner, use_case, client_for):
    client = client_for(owner)
    make_review(use_case, week="2026-W40")
    client.post(preview_url(use_case), VALID)
    with CaptureQueriesContext(connection) as one:
        client.post(preview_url(use_case), VALID)
    for week in ("2026-W41", "2026-W42", "2026-W43", "2026-W44"):
        make_review(use_case, week=week)
    with CaptureQueriesContext(connection) as many:
        response = client.post(preview_url(use_case), VALID)
    assert figure(response, "gross_efficiency") == "EUR 7,875.00"  # 5 × 700 × 3 / 60 × 45
    assert len(many) == len(one)


# --- correcting -------------------------------------------------------------------------------


def test_correction_form_carries_the_version_and_no_month(owner, use_case, client_for):
    review = make_monthly(use_case)
    page = client_for(owner).get(reverse("reviews:monthly_edit", args=[review.pk]))
    content = page.content.decode()
    assert re.search(r'<input type="hidden" name="version" value="1"', content)
    assert 'name="month"' not in content


def test_invalid_correction_changes_nothing(owner, use_case, client_for):
    review = make_monthly(use_case)
    response = client_for(owner).post(
        reverse("reviews:monthly_edit", args=[review.pk]), form_data(review, other_cost="-1")
    )
    assert response.status_code == 200
    assert field_errors(response, "other_cost")
    review.refresh_from_db()
    assert (review.other_cost, review.version) == (Decimal("10"), 1)


def test_stale_version_shows_the_conflict_and_overwrites_nothing(
    owner, contributor, use_case, client_for
):
    review = make_monthly(use_case)
    stale = form_data(review, run_cost="99")
    services.monthly_review_correct(
        user=contributor, review=review, data={"run_cost": Decimal("77")}, expected_version=1
    )
    response = client_for(owner).post(reverse("reviews:monthly_edit", args=[review.pk]), stale)
    assert response.status_code == 409
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    assert "Your changes were not saved." in text
    assert "changed by Carl Contributor at 25 Nov 2026, 13:00" in text
    assert "it is now version 2" in text
    assert "Run cost (EUR) 99 77" in text
    assert 'value="77.00"' in input_tag(response, "run_cost")
    review.refresh_from_db()
    assert (review.run_cost, review.version) == (Decimal("77"), 2)


def test_own_change_in_another_tab_is_named_as_such(owner, use_case, client_for):
    review = make_monthly(use_case)
    stale = form_data(review, run_cost="99")
    services.monthly_review_correct(
        user=owner, review=review, data={"run_cost": Decimal("77")}, expected_version=1
    )
    response = client_for(owner).post(reverse("reviews:monthly_edit", args=[review.pk]), stale)
    assert response.status_code == 409
    assert "changed by you (in another window or tab)" in re.sub(
        r"\s+", " ", response.content.decode()
    )


def test_a_negative_cost_is_told_once(owner, use_case, client_for):
    """Issue 16: the model field's validator and a rule both refused a negative cost."""
    client = client_for(owner)
    data = {**VALID, "run_cost": "-5", "other_cost": "-0.01"}
    response = client.post(new_url(use_case), data)
    assert response.status_code == 200
    message = "Ensure this value is greater than or equal to 0."
    assert field_errors(response, "run_cost") == [message]
    assert field_errors(response, "other_cost") == [message]
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    assert text.count(message) == 2
    assert not MonthlyReview.objects.exists()
    preview = client.post(preview_url(use_case), data).content.decode()
    assert html.unescape(re.sub(r"<[^>]+>", " ", preview)).count(message) == 2
