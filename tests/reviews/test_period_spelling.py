"""One review per use case and period, whatever digits the period is typed with (issue 13, HIGH).

The period patterns used ``\\d``, which takes fullwidth (``２０２６``) and Arabic-Indic (``٤٧``)
digits; ``int()`` read them as the same numbers and the text was stored as typed, so
``２０２６-W45`` was a second review of 2026-W45 under the unique constraint on (use case, week).
Periods now take ASCII digits only, are stored canonically, and the database refuses any other
spelling. Today is Wednesday 25 November 2026 (ISO week 2026-W48).
"""

import datetime
import json

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from reviews.models import MonthlyReview, WeeklyReview
from tests.api.conftest import make_monthly, make_weekly, monthly_payload, weekly_payload
from tests.api.test_weekly_review_submit_cost import token_client
from tests.reviews.test_bulk_import import HEADER, ROWS, csv_file, errors_of, upload
from tests.reviews.test_views_weekly import VALID, field_errors
from usecases import economics

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)
FULLWIDTH_WEEK = "２０２６-W45"  # 2026-W45 in fullwidth digits
ARABIC_WEEK = "2026-W٤٥"  # 2026-W45 with Arabic-Indic digits
FULLWIDTH_MONTH = "２０２６-１０"  # 2026-10
ODD_WEEKS = [FULLWIDTH_WEEK, ARABIC_WEEK, "2026-W４５", "߂߀߂߆-W45"]  # … and NKo digits
ODD_MONTHS = [FULLWIDTH_MONTH, "2026-١٠", "２０２６-10"]

MONTHLY_VALID = {
    "month": "2026-10",
    "training_cost": "500",
    "support_cost": "800",
    "integration_cost": "300",
    "run_cost": "1200",
    "maintenance_cost": "400",
    "other_cost": "100",
    "notes": "",
}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


# --- the parse functions -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ODD_WEEKS)
def test_a_week_in_other_digits_does_not_parse(text):
    with pytest.raises(ValueError, match="with the digits 0-9"):
        economics.parse_iso_week(text)


@pytest.mark.parametrize("text", ODD_MONTHS)
def test_a_month_in_other_digits_does_not_parse(text):
    with pytest.raises(ValueError, match="with the digits 0-9"):
        economics.parse_month(text)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("2026-W05", (2026, 5)), ("2026-W45", (2026, 45)), ("2020-W53", (2020, 53))],
)
def test_what_parses_is_the_canonical_spelling(text, parsed):
    assert economics.parse_iso_week(text) == parsed
    assert economics.format_iso_week(*parsed) == text
    assert economics.format_month(*economics.parse_month("2026-11")) == "2026-11"


# --- the API -------------------------------------------------------------------------------------


def _post(client, url, body):
    # json.dumps writes non-ASCII as \\u escapes, as any client may.
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("week", ODD_WEEKS)
def test_api_refuses_a_week_in_other_digits(week, use_case, contributor):
    make_weekly(use_case, "2026-W45")
    response = _post(
        token_client(contributor), "/api/v1/weekly-reviews/", weekly_payload(use_case, week)
    )
    assert response.status_code == 400, response.content
    assert "with the digits 0-9" in response.json()["week"][0]
    assert WeeklyReview.objects.filter(use_case=use_case).count() == 1


@pytest.mark.parametrize("month", ODD_MONTHS)
def test_api_refuses_a_month_in_other_digits(month, use_case, contributor):
    make_monthly(use_case, "2026-10")
    response = _post(
        token_client(contributor), "/api/v1/monthly-reviews/", monthly_payload(use_case, month)
    )
    assert response.status_code == 400, response.content
    assert "with the digits 0-9" in response.json()["month"][0]
    assert MonthlyReview.objects.filter(use_case=use_case).count() == 1


# --- the web forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("week", [FULLWIDTH_WEEK, ARABIC_WEEK])
def test_weekly_form_refuses_a_week_in_other_digits(week, use_case, contributor, client_for):
    make_weekly(use_case, "2026-W45")
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    response = client_for(contributor).post(url, {**VALID, "week": week})
    assert response.status_code == 200
    (message,) = field_errors(response, "week")
    assert "with the digits 0-9" in message
    assert WeeklyReview.objects.filter(use_case=use_case).count() == 1


def test_weekly_preview_tells_the_week_is_not_one(use_case, contributor, client_for):
    url = reverse("reviews:weekly_preview", args=[use_case.pk])
    response = client_for(contributor).post(
        url, {**VALID, "week": FULLWIDTH_WEEK}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "with the digits 0-9" in response.content.decode()


def test_monthly_form_refuses_a_month_in_other_digits(use_case, contributor, client_for):
    make_monthly(use_case, "2026-10")
    url = reverse("reviews:monthly_new", args=[use_case.pk])
    response = client_for(contributor).post(url, {**MONTHLY_VALID, "month": FULLWIDTH_MONTH})
    assert response.status_code == 200
    (message,) = field_errors(response, "month")
    assert "with the digits 0-9" in message
    assert MonthlyReview.objects.filter(use_case=use_case).count() == 1


# --- the bulk import -----------------------------------------------------------------------------


def test_bulk_import_refuses_a_week_in_other_digits(use_case, owner, client_for):
    make_weekly(use_case, "2026-W45")
    rows = [ROWS[0], ROWS[1].replace("2026-W45", FULLWIDTH_WEEK)]
    response = upload(client_for(owner), use_case, csv_file(*rows, header=HEADER))
    errors = errors_of(response)
    assert [e[:2] for e in errors] == [(3, "week")]
    assert "with the digits 0-9" in errors[0][2]
    assert WeeklyReview.objects.filter(use_case=use_case).count() == 1


# --- the database --------------------------------------------------------------------------------


@pytest.mark.parametrize("week", [FULLWIDTH_WEEK, ARABIC_WEEK, "2026-w45", "2026-W00", "2026-W 5"])
def test_database_refuses_a_week_not_written_canonically(week, use_case):
    review = make_weekly(use_case, "2026-W44")
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyReview.objects.filter(pk=review.pk).update(week=week)


@pytest.mark.parametrize("month", [FULLWIDTH_MONTH, "2026-1", "2026-13", "2026/10"])
def test_database_refuses_a_month_not_written_canonically(month, use_case):
    review = make_monthly(use_case, "2026-09")
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReview.objects.filter(pk=review.pk).update(month=month)
