"""/api/v1/monthly-reviews/: list, create, retrieve, correct (PATCH with version); per role.

Each monthly review carries its month's CFO figures for the use case (the month's weekly
reviews, by Thursday, plus its six costs), computed for a whole page at once.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import MonthlyReview
from tests.conftest import make_use_case, make_user
from usecases import economics
from usecases.models import BusinessCase
from usecases.serializers import money

from .conftest import MONTHLY_VALUES, ROLES, make_monthly, make_weekly, monthly_payload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/monthly-reviews/"


def detail(review):
    return f"/api/v1/monthly-reviews/{review.pk}/"


@pytest.fixture
def review(use_case, owner):
    return make_monthly(use_case, "2026-09", owner)


@pytest.fixture
def other_review(other_use_case, other_owner):
    return make_monthly(other_use_case, "2026-09", other_owner)


# --- permissions per role ---------------------------------------------------------------------

LIST_SEES = {
    "outsider": set(),
    "other_owner": {"review", "other_review"},
    "contributor": {"review"},
    "leader": {"review", "other_review"},
    "pmo": {"review", "other_review"},
    "owner": {"review", "other_review"},
    "admin": {"review", "other_review"},
}


@pytest.mark.parametrize("role", ROLES)
def test_list_per_role(role, api_for, review, other_review):
    response = api_for(role).get(LIST)
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    ids = {"review": review.pk, "other_review": other_review.pk}
    assert {row["id"] for row in body["results"]} == {ids[n] for n in LIST_SEES[role]}


RETRIEVE = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 200,
    "contributor": 200,
    "leader": 200,
    "pmo": 200,
    "owner": 200,
    "admin": 200,
}
CREATE = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 201,
    "leader": 403,
    "pmo": 403,
    "owner": 201,
    "admin": 201,
}
PATCH = {
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
def test_retrieve_per_role(role, api_for, review):
    assert api_for(role).get(detail(review)).status_code == RETRIEVE[role]


def test_contributor_cannot_see_other_use_cases_reviews(api_for, other_review):
    assert api_for("contributor").get(detail(other_review)).status_code == 404
    response = api_for("contributor").patch(detail(other_review), {"version": 1}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_create_per_role(role, api_for, use_case, role_users):
    response = api_for(role).post(LIST, monthly_payload(use_case), format="json")
    assert response.status_code == CREATE[role]
    saved = MonthlyReview.objects.filter(use_case=use_case, month="2026-10")
    if CREATE[role] == 201:
        review = saved.get()
        assert response.json()["id"] == review.pk
        assert review.submitted_by == role_users[role]
        assert review.history.get().history_user == role_users[role]
    else:
        assert not saved.exists()


@pytest.mark.parametrize("role", ROLES)
def test_partial_update_per_role(role, api_for, review, role_users):
    response = api_for(role).patch(
        detail(review), {"version": 1, "run_cost": "1500.00"}, format="json"
    )
    assert response.status_code == PATCH[role]
    review.refresh_from_db()
    if PATCH[role] == 200:
        assert (review.run_cost, review.version) == (Decimal("1500.00"), 2)
        assert review.updated_by == role_users[role]
    else:
        assert (review.run_cost, review.version) == (Decimal("1200.00"), 1)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_no_put_or_delete(method, api_for, review):
    response = getattr(api_for("owner"), method)(detail(review), {}, format="json")
    assert response.status_code == 405
    assert MonthlyReview.objects.filter(pk=review.pk).exists()


# --- representation: the month's figures ------------------------------------------------------


def test_created_review_has_the_months_figures(api_for, use_case, owner):
    # October 2026: W40 and W44 (Mon 26 Oct – Sun 1 Nov, Thursday 29 Oct); W45 is November.
    make_weekly(use_case, "2026-W40", owner)
    make_weekly(use_case, "2026-W44", owner, tasks_with_ai=600, minutes_saved_per_task=Decimal(3))
    make_weekly(use_case, "2026-W45", owner)
    response = api_for("contributor").post(LIST, monthly_payload(use_case), format="json")
    assert response.status_code == 201
    body = response.json()
    review = MonthlyReview.objects.get()
    # Gross: (800 × 2.50 + 600 × 3.00) min / 60 × 45 = 2850.00; rework 2 × 80 × 6 min = 720.00;
    # costs 3300.00: absorption 4020.00; R = 0.5: net 1425.00 − 4020.00; gap 1425.00.
    assert body == {
        "id": review.pk,
        "use_case": use_case.pk,
        "month": "2026-10",
        "training_cost": "500.00",
        "support_cost": "800.00",
        "integration_cost": "300.00",
        "run_cost": "1200.00",
        "maintenance_cost": "400.00",
        "other_cost": "100.00",
        "notes": "",
        "gross_efficiency": "2850.00",
        "translation_gap": "1425.00",
        "absorption_cost": "4020.00",
        "net_value": "-2595.00",
        "version": 1,
        "submitted_by": "carl",
        "updated_at": body["updated_at"],
        "consequences": [],  # what the save triggered (issue 14): nothing here
    }
    del body["consequences"]  # only in the answers of create, correct and preview
    assert api_for("leader").get(detail(review)).json() == body


def test_list_rows_equal_the_engine_per_use_case_and_month(
    api_for, use_case, other_use_case, owner, other_owner
):
    BusinessCase.objects.filter(use_case=other_use_case).update(
        hourly_cost=Decimal("60.00"), reclaimable_share=Decimal("0.7500")
    )
    make_weekly(use_case, "2026-W36", owner)  # Thursday 3 September
    make_weekly(use_case, "2026-W40", owner, reworked_outputs=10)  # Thursday 1 October
    make_weekly(other_use_case, "2026-W44", other_owner, tasks_with_ai=300)  # October
    rows = [
        make_monthly(use_case, "2026-09", owner),
        make_monthly(use_case, "2026-10", owner, other_cost=Decimal("12.34")),
        make_monthly(other_use_case, "2026-10", other_owner),
        make_monthly(other_use_case, "2026-11", other_owner),  # no weekly reviews
    ]
    results = {row["id"]: row for row in api_for("pmo").get(LIST).json()["results"]}
    weeks = {
        (use_case.pk, "2026-09"): ["2026-W36"],
        (use_case.pk, "2026-10"): ["2026-W40"],
        (other_use_case.pk, "2026-10"): ["2026-W44"],
        (other_use_case.pk, "2026-11"): [],
    }
    for review in rows:
        bc = BusinessCase.objects.get(use_case_id=review.use_case_id).inputs()
        week_figures = [
            w.figures()
            for w in review.use_case.weekly_reviews.filter(
                week__in=weeks[(review.use_case_id, review.month)]
            )
        ]
        totals = economics.PeriodTotals.from_weeks_and_costs(week_figures, [review.costs()])
        figures = economics.period_figures(totals, bc)
        row = results[review.pk]
        assert {
            k: row[k]
            for k in ("gross_efficiency", "translation_gap", "absorption_cost", "net_value")
        } == {
            "gross_efficiency": money(figures.gross_efficiency),
            "translation_gap": money(figures.translation_gap),
            "absorption_cost": money(figures.absorption_cost),
            "net_value": money(figures.net_value),
        }
    assert results[rows[3].pk]["gross_efficiency"] == "0.00"
    assert results[rows[3].pk]["absorption_cost"] == "3300.00"


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"training_cost": "-0.01"}, "training_cost"),
        ({"support_cost": "-1"}, "support_cost"),
        ({"integration_cost": "-5"}, "integration_cost"),
        ({"run_cost": "-1"}, "run_cost"),
        ({"maintenance_cost": "-1"}, "maintenance_cost"),
        ({"other_cost": "-1"}, "other_cost"),
        ({"run_cost": "12.345"}, "run_cost"),
        ({"run_cost": "lots"}, "run_cost"),
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-00"}, "month"),
        ({"month": "2026-1"}, "month"),
        ({"month": "2026-W44"}, "month"),
        ({"month": "2026-12"}, "month"),  # the future
        ({"month": "2027-01"}, "month"),
    ],
)
def test_create_rejects(overrides, field, api_for, use_case):
    response = api_for("owner").post(LIST, monthly_payload(use_case, **overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not MonthlyReview.objects.exists()


def test_future_month_message(api_for, use_case):
    response = api_for("owner").post(LIST, monthly_payload(use_case, "2026-12"), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "month": ["2026-12 ends on Thursday 31 Dec; submit it from Friday 1 Jan."]
    }


def test_the_current_month_is_refused_until_it_has_ended(api_for, use_case):
    """Issue 14: a month is submitted once it has ended, from the 1st of the next."""
    body = monthly_payload(use_case, "2026-11", **dict.fromkeys(MONTHLY_VALUES, "0"))
    response = api_for("owner").post(LIST, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "month": ["2026-11 ends on Monday 30 Nov; submit it from Tuesday 1 Dec."]
    }
    assert not MonthlyReview.objects.exists()


# 2025-06: the earliest month the use case (live since 2026-06-01) accepts (reviews.rules).
@pytest.mark.parametrize("month", ["2026-10", "2025-06"])
def test_ended_months_are_accepted(month, api_for, use_case):
    body = monthly_payload(use_case, month, **dict.fromkeys(MONTHLY_VALUES, "0"))
    response = api_for("owner").post(LIST, body, format="json")
    assert response.status_code == 201


def test_every_cost_field_is_required(api_for, use_case):
    body = monthly_payload(use_case)
    del body["run_cost"], body["other_cost"]
    response = api_for("owner").post(LIST, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"run_cost", "other_cost"}


def test_unknown_field_is_400(api_for, use_case):
    response = api_for("owner").post(
        LIST, monthly_payload(use_case, licence_cost="10.00"), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["licence_cost"]


def test_duplicate_month_is_400_naming_the_existing_review(api_for, use_case, review):
    response = api_for("owner").post(LIST, monthly_payload(use_case, "2026-09"), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["existing"] == {
        "id": review.pk,
        "url": f"http://testserver/api/v1/monthly-reviews/{review.pk}/",
    }
    assert f"review #{review.pk}" in body["month"][0]
    assert MonthlyReview.objects.count() == 1


# --- corrections ------------------------------------------------------------------------------


def test_patch_needs_version(api_for, review):
    response = api_for("owner").patch(detail(review), {"run_cost": "1.00"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["version"]


def test_patch_with_stale_version_is_409_and_writes_nothing(api_for, review):
    assert (
        api_for("owner").patch(detail(review), {"version": 1, "notes": "a"}, format="json")
    ).status_code == 200
    stale = api_for("contributor").patch(
        detail(review), {"version": 1, "run_cost": "9.00"}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    review.refresh_from_db()
    assert (review.run_cost, review.notes, review.version) == (Decimal("1200.00"), "a", 2)


def test_patch_updates_figures(api_for, review, owner):
    response = api_for("owner").patch(
        detail(review), {"version": 1, "run_cost": "0.00", "month": "2026-09"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["absorption_cost"] == "2100.00"
    assert response.json()["version"] == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"month": "2026-08"}, "month"),
        ({"run_cost": "-1"}, "run_cost"),
        ({"run_cost": None}, "run_cost"),
        ({"bonus": "1"}, "bonus"),
    ],
)
def test_patch_validation(change, field, api_for, review):
    response = api_for("owner").patch(detail(review), {"version": 1, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    review.refresh_from_db()
    assert review.version == 1


def test_patch_cannot_change_use_case(api_for, review, other_use_case):
    response = api_for("owner").patch(
        detail(review), {"version": 1, "use_case": other_use_case.pk}, format="json"
    )
    assert response.status_code == 400
    assert "use_case" in response.json()


# --- filters and query counts -----------------------------------------------------------------


def test_filters(api_for, use_case, other_use_case, owner, other_owner):
    a = make_monthly(use_case, "2026-09", owner)
    b = make_monthly(use_case, "2026-10", owner)
    c = make_monthly(other_use_case, "2026-10", other_owner)
    api = api_for("leader")

    def ids(query):
        response = api.get(f"{LIST}?{query}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(f"use_case={use_case.pk}") == {a.pk, b.pk}
    assert ids("month=2026-10") == {b.pk, c.pk}
    assert ids(f"use_case={use_case.pk}&month=2026-10") == {b.pk}
    bad = api.get(f"{LIST}?month=2026-13")
    assert bad.status_code == 400
    assert "month" in bad.json()


def _list_queries(api):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(LIST)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("role", ["pmo", "contributor", "owner"])
def test_list_query_count_is_constant(role, api_for, use_case, role_users, owner):
    """session, user, groups, (owns a use case), count, page (use case + business case +
    submitter joined), weekly sums and monthly sums for the page: 1 or 30 reviews alike."""
    make_monthly(use_case, "2024-01", owner)
    make_weekly(use_case, "2024-W02", owner)
    api = api_for(role)
    api.get(LIST)  # warm-up
    one, count_one = _list_queries(api)
    second = make_use_case("Second", owner=owner)
    second.contributors.add(role_users["contributor"])
    third = make_use_case("Third", owner=owner)
    third.contributors.add(role_users["contributor"])
    submitters = [owner, role_users["contributor"], make_user("sam")]
    for i in range(29):
        uc = (use_case, second, third)[i % 3]
        year, month = divmod(i + 1, 12)
        first = datetime.date(2024 + year, month + 1, 1)
        make_monthly(uc, f"{first:%Y-%m}", submitters[i % 3])
        make_weekly(uc, f"{first.isocalendar().year}-W{first.isocalendar().week + 1:02d}", owner)
    many, count_many = _list_queries(api)
    assert (count_one, count_many) == (1, 30)
    assert one == many, f"{one} queries for 1 review, {many} for 30"
