"""One review per use case and period (reviews.duplicates): the message, the lookup, and the one
``DuplicateReview`` the service raises for the form, the API and the bulk import to render."""

import pytest
from django.core.exceptions import ValidationError

from reviews import duplicates, services
from reviews.models import MonthlyReview, WeeklyReview
from tests.reviews.test_services import MONTH, WEEK, frozen_today  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_duplicate_messages_name_the_existing_review_and_link_to_it():
    weekly = duplicates.duplicate_message(WeeklyReview(pk=12, week="2026-W47"))
    assert weekly == (
        "A weekly review for 2026-W47 already exists (review #12, /reviews/weekly/12/): "
        "correct that one instead."
    )
    monthly = duplicates.duplicate_message(MonthlyReview(pk=7, month="2026-10"))
    assert monthly == (
        "A monthly review for 2026-10 already exists (review #7, /reviews/monthly/7/): "
        "correct that one instead."
    )


def test_the_page_message_links_the_review():
    html = duplicates.linked_duplicate_message(WeeklyReview(pk=12, week="2026-W47"))
    assert html == (
        'A weekly review for 2026-W47 already exists (<a href="/reviews/weekly/12/">review '
        "#12</a>): correct that one instead."
    )


def test_existing_review_is_the_use_cases_review_of_that_period(owner, use_case, other_use_case):
    review = services.weekly_review_submit(
        user=owner, use_case=use_case, week="2026-W40", data=WEEK
    )
    find = duplicates.existing_review
    assert find(WeeklyReview, use_case=use_case, period="2026-W40").pk == review.pk
    assert find(WeeklyReview, use_case=use_case, period="2026-W41") is None
    assert find(WeeklyReview, use_case=other_use_case, period="2026-W40") is None
    assert find(WeeklyReview, use_case=use_case, period="") is None


@pytest.mark.parametrize(
    "submit, period, data",
    [
        (services.weekly_review_submit, {"week": "2026-W40"}, WEEK),
        (services.monthly_review_submit, {"month": "2026-09"}, MONTH),
    ],
)
def test_the_service_raises_one_duplicate_review_naming_the_existing_one(
    owner, use_case, submit, period, data
):
    first = submit(user=owner, use_case=use_case, data=data, **period)
    with pytest.raises(duplicates.DuplicateReview) as raised:
        submit(user=owner, use_case=use_case, data=data, **period)
    error = raised.value
    assert isinstance(error, ValidationError)  # callers catching ValidationError still see it
    assert error.existing.pk == first.pk
    (field,) = period
    assert error.message_dict == {field: [duplicates.duplicate_message(first)]}
