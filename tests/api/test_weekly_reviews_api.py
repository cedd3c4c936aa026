"""/api/v1/weekly-reviews/: list, create, retrieve, correct (PATCH with version); per role.

Time is frozen on Wednesday 2026-11-25 (ISO week 2026-W48).
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reviews.models import WeeklyReview
from tests.conftest import api_token, make_use_case, make_user
from usecases.models import BusinessCase, ModelChange

from .conftest import ROLES, make_weekly, weekly_payload

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")

pytestmark = pytest.mark.django_db

LIST = "/api/v1/weekly-reviews/"


def detail(review):
    return f"/api/v1/weekly-reviews/{review.pk}/"


@pytest.fixture
def review(use_case, owner):
    return make_weekly(use_case, "2026-W46", owner)


@pytest.fixture
def other_review(other_use_case, other_owner):
    return make_weekly(other_use_case, "2026-W46", other_owner)


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


@pytest.mark.parametrize("role", ROLES)
def test_retrieve_per_role(role, api_for, review):
    assert api_for(role).get(detail(review)).status_code == RETRIEVE[role]


def test_contributor_cannot_see_other_use_cases_reviews(api_for, other_review):
    assert api_for("contributor").get(detail(other_review)).status_code == 404
    response = api_for("contributor").patch(detail(other_review), {"version": 1}, format="json")
    assert response.status_code == 404


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


@pytest.mark.parametrize("role", ROLES)
def test_create_per_role(role, api_for, use_case, role_users):
    response = api_for(role).post(LIST, weekly_payload(use_case), format="json")
    assert response.status_code == CREATE[role]
    saved = WeeklyReview.objects.filter(use_case=use_case, week="2026-W47")
    if CREATE[role] == 201:
        review = saved.get()
        assert response.json()["id"] == review.pk
        assert review.submitted_by == role_users[role]
        assert review.history.get().history_user == role_users[role]
    else:
        assert not saved.exists()


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
def test_partial_update_per_role(role, api_for, review, role_users):
    response = api_for(role).patch(detail(review), {"version": 1, "backlog": 12}, format="json")
    assert response.status_code == PATCH[role]
    review.refresh_from_db()
    if PATCH[role] == 200:
        assert (review.backlog, review.version) == (12, 2)
        assert review.updated_by == role_users[role]
    else:
        assert (review.backlog, review.version) == (40, 1)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_no_put_or_delete(method, api_for, review):
    response = getattr(api_for("owner"), method)(detail(review), {}, format="json")
    assert response.status_code == 405
    assert WeeklyReview.objects.filter(pk=review.pk).exists()


# --- representation ---------------------------------------------------------------------------


def test_created_review_has_every_field_and_the_engine_figures(api_for, use_case):
    change = ModelChange.objects.create(
        use_case=use_case, version_label="v2", kind="prompt", effective_date="2026-10-01"
    )
    response = api_for("owner").post(LIST, weekly_payload(use_case), format="json")
    assert response.status_code == 201
    body = response.json()
    review = WeeklyReview.objects.get()
    assert body == {
        "id": review.pk,
        "use_case": use_case.pk,
        "week": "2026-W47",
        "active_users": 70,
        "target_users": 100,
        "tasks_total": 1000,
        "tasks_with_ai": 800,
        "reworked_outputs": 80,
        "exceptions": 30,
        "minutes_saved_per_task": "2.50",
        "rework_minutes_per_output": "6.00",
        "quality_score": "91.50",
        "backlog": 40,
        "declared_hours_saved": "30.00",
        "model_version": change.pk,
        "notes": "Busy week.",
        "user_barriers": "Two teams still on the old macro.",
        # 70 / 100, 80 / 800, 30 / 1000: fractions as strings with 4 decimals
        "adoption_rate": "0.7000",
        "rework_rate": "0.1000",
        "exception_share": "0.0300",
        # H = 45: 800 × 2.50 / 60 × 45 and 80 × 6.00 / 60 × 45
        "gross_efficiency": "1500.00",
        "rework_cost": "360.00",
        "version": 1,
        "submitted_by": "olivia",
        "updated_at": body["updated_at"],
        "telemetry": None,  # typed, not saved from a telemetry draft
        "consequences": [],  # what the save triggered (issue 14): nothing here
    }
    del body["consequences"]  # only in the answers of create, correct and preview
    assert api_for("leader").get(detail(review)).json() == body


def test_figures_are_rounded_half_up_at_the_edge(api_for, use_case):
    body = weekly_payload(
        use_case,
        active_users=2,
        target_users=3,
        tasks_total=7,
        tasks_with_ai=7,
        reworked_outputs=1,
        exceptions=1,
        minutes_saved_per_task="0.01",
        rework_minutes_per_output="0.01",
    )
    response = api_for("owner").post(LIST, body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["adoption_rate"] == "0.6667"  # 0.66666…
    assert data["rework_rate"] == "0.1429"  # 1/7 = 0.142857…
    assert data["exception_share"] == "0.1429"
    # 7 × 0.01 / 60 × 45 = 0.0525 → 0.05; 1 × 0.01 / 60 × 45 = 0.0075 → 0.01
    assert data["gross_efficiency"] == "0.05"
    assert data["rework_cost"] == "0.01"


def test_defaults_target_users_and_model_version_in_effect(api_for, use_case):
    v2 = ModelChange.objects.create(
        use_case=use_case, version_label="v2", kind="model", effective_date="2026-10-01"
    )
    v3 = ModelChange.objects.create(
        use_case=use_case, version_label="v3", kind="prompt", effective_date="2026-11-17"
    )
    api = api_for("owner")
    body = weekly_payload(use_case, "2026-W46")
    del body["target_users"]
    w46 = api.post(LIST, body, format="json").json()
    assert (w46["target_users"], w46["model_version"]) == (100, v2.pk)
    # 2026-W47 is Mon 16 – Sun 22 November: v3 (17 November) is in effect at its end.
    w47 = api.post(LIST, weekly_payload(use_case, "2026-W47"), format="json").json()
    assert w47["model_version"] == v3.pk
    explicit = api.post(
        LIST, weekly_payload(use_case, "2026-W45", model_version=v2.pk), format="json"
    ).json()
    assert explicit["model_version"] == v2.pk
    before = api.post(LIST, weekly_payload(use_case, "2026-W30"), format="json").json()
    assert before["model_version"] is None


# --- validation on create ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"active_users": -1}, "active_users"),
        ({"tasks_total": -5}, "tasks_total"),
        ({"tasks_with_ai": -1}, "tasks_with_ai"),
        ({"reworked_outputs": -1}, "reworked_outputs"),
        ({"exceptions": -1}, "exceptions"),
        ({"backlog": -1}, "backlog"),
        ({"minutes_saved_per_task": "-0.01"}, "minutes_saved_per_task"),
        ({"rework_minutes_per_output": "-1"}, "rework_minutes_per_output"),
        ({"declared_hours_saved": "-1"}, "declared_hours_saved"),
        ({"tasks_total": 100, "tasks_with_ai": 101, "reworked_outputs": 0}, "tasks_with_ai"),
        ({"tasks_with_ai": 50, "reworked_outputs": 51}, "reworked_outputs"),
        ({"tasks_total": 100, "tasks_with_ai": 50, "exceptions": 101}, "exceptions"),
        ({"quality_score": "100.01"}, "quality_score"),
        ({"quality_score": "-0.01"}, "quality_score"),
        ({"target_users": 0}, "target_users"),
        ({"active_users": "many"}, "active_users"),
        ({"week": "2026-W00"}, "week"),  # malformed: weeks start at 01
        ({"week": "2027-W53"}, "week"),  # 2027 has 52 ISO weeks
        ({"week": "2026-W53"}, "week"),  # exists (2026 has 53 weeks) but is in the future
        ({"week": "2026-W49"}, "week"),  # next week: in the future
        ({"week": "2026-47"}, "week"),
        ({"week": "2026-W7"}, "week"),
        ({"week": ""}, "week"),
    ],
)
def test_create_rejects(overrides, field, api_for, use_case):
    response = api_for("owner").post(LIST, weekly_payload(use_case, **overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not WeeklyReview.objects.exists()


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2026-W00", "is not an ISO week: year 2026 has weeks 01-53"),
        ("2027-W53", "is not an ISO week: year 2027 has weeks 01-52"),
        ("2026-W53", "2026-W53 ends on Sunday 3 Jan; submit it from Monday 4 Jan."),
    ],
)
def test_week_messages(week, message, api_for, use_case):
    response = api_for("owner").post(LIST, weekly_payload(use_case, week), format="json")
    assert message in response.json()["week"][0]


def test_the_current_week_is_refused_with_the_day_it_can_be_submitted(api_for, use_case):
    """Issue 14: the unfinished week (W48 on Wednesday 25 November) is a 400 at ``week``."""
    response = api_for("owner").post(LIST, weekly_payload(use_case, "2026-W48"), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "week": ["2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov."]
    }
    assert not WeeklyReview.objects.exists()


def test_the_week_is_accepted_from_the_monday_after_it(api_for, use_case):
    api = api_for("owner")
    with time_machine.travel(datetime.datetime(2026, 11, 29, 23, 30, tzinfo=BERLIN), tick=False):
        sunday = api.post(LIST, weekly_payload(use_case, "2026-W48"), format="json")
    assert sunday.status_code == 400
    assert sunday.json()["week"] == [
        "2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov."
    ]
    with time_machine.travel(datetime.datetime(2026, 11, 30, 0, 5, tzinfo=BERLIN), tick=False):
        monday = api.post(LIST, weekly_payload(use_case, "2026-W48"), format="json")
    assert monday.status_code == 201, monday.json()


def test_cross_field_messages_are_the_rules(api_for, use_case):
    body = weekly_payload(use_case, tasks_total=100, tasks_with_ai=120, exceptions=130)
    response = api_for("owner").post(LIST, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert errors["tasks_with_ai"] == ["Tasks with AI (120) cannot exceed tasks in total (100)."]
    assert errors["exceptions"] == ["Exceptions (130) cannot exceed tasks in total (100)."]


@pytest.mark.parametrize(
    "overrides",
    [
        {"tasks_total": 100, "tasks_with_ai": 100, "reworked_outputs": 100, "exceptions": 100},
        {"quality_score": "100"},
        {"quality_score": "0"},
        {
            "active_users": 0,
            "tasks_total": 0,
            "tasks_with_ai": 0,
            "reworked_outputs": 0,
            "exceptions": 0,
        },
        {"week": "2026-W47"},  # the last complete week
        {"week": "2026-W01"},
    ],
)
def test_create_accepts_boundaries(overrides, api_for, use_case):
    response = api_for("owner").post(LIST, weekly_payload(use_case, **overrides), format="json")
    assert response.status_code == 201, response.json()


def test_missing_required_field(api_for, use_case):
    body = weekly_payload(use_case)
    del body["tasks_total"]
    response = api_for("owner").post(LIST, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"tasks_total": ["This field is required."]}


def test_unknown_field_is_400(api_for, use_case):
    response = api_for("owner").post(
        LIST, weekly_payload(use_case, mood="good", tasks=3), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"mood", "tasks"}
    assert not WeeklyReview.objects.exists()


def test_read_only_fields_sent_back_are_ignored(api_for, use_case):
    body = weekly_payload(use_case, adoption_rate="1.0000", submitted_by="lena", id=99)
    response = api_for("owner").post(LIST, body, format="json")
    assert response.status_code == 201
    assert response.json()["adoption_rate"] == "0.7000"
    assert response.json()["submitted_by"] == "olivia"


def test_model_version_of_another_use_case_is_400(api_for, use_case, other_use_case):
    foreign = ModelChange.objects.create(
        use_case=other_use_case, version_label="x1", kind="model", effective_date="2026-10-01"
    )
    response = api_for("owner").post(
        LIST, weekly_payload(use_case, model_version=foreign.pk), format="json"
    )
    assert response.status_code == 400
    assert "model_version" in response.json()


def test_missing_or_unknown_use_case(api_for, use_case):
    body = weekly_payload(use_case)
    del body["use_case"]
    response = api_for("owner").post(LIST, body, format="json")
    assert response.status_code == 400
    assert "use_case" in response.json()
    unknown = {**weekly_payload(use_case), "use_case": 999999}
    assert api_for("owner").post(LIST, unknown, format="json").status_code == 404


def test_duplicate_week_is_400_naming_the_existing_review(api_for, use_case, review):
    response = api_for("contributor").post(
        LIST, weekly_payload(use_case, "2026-W46"), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["existing"] == {
        "id": review.pk,
        "url": f"http://testserver/api/v1/weekly-reviews/{review.pk}/",
    }
    assert f"review #{review.pk}" in body["week"][0]
    assert f"/reviews/weekly/{review.pk}/" in body["week"][0]
    assert WeeklyReview.objects.count() == 1


# --- corrections (PATCH) ----------------------------------------------------------------------


def test_patch_needs_version(api_for, review):
    response = api_for("owner").patch(detail(review), {"backlog": 3}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["version"]
    review.refresh_from_db()
    assert (review.backlog, review.version) == (40, 1)


def test_patch_with_stale_version_is_409_and_writes_nothing(api_for, review):
    first = api_for("owner").patch(detail(review), {"version": 1, "backlog": 10}, format="json")
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = api_for("contributor").patch(
        detail(review), {"version": 1, "backlog": 99}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert "changed by someone else" in stale.json()["detail"]
    review.refresh_from_db()
    assert (review.backlog, review.version) == (10, 2)
    assert review.history.count() == 2  # created + one correction


def test_patch_recomputes_figures_and_records_history(api_for, review, contributor):
    response = api_for("contributor").patch(
        detail(review),
        {"version": "1", "tasks_with_ai": 900, "reworked_outputs": 90},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert body["rework_rate"] == "0.1000"
    assert body["gross_efficiency"] == "1687.50"  # 900 × 2.50 / 60 × 45
    created, corrected = review.history.order_by("history_id")
    assert corrected.history_user == contributor
    assert (created.tasks_with_ai, corrected.tasks_with_ai) == (800, 900)
    assert corrected.history_change_reason == "corrected (version 2)"


def test_patch_cannot_move_the_review(api_for, review, other_use_case):
    api = api_for("owner")
    moved = api.patch(detail(review), {"version": 1, "week": "2026-W45"}, format="json")
    assert moved.status_code == 400
    assert "week" in moved.json()
    other = api.patch(detail(review), {"version": 1, "use_case": other_use_case.pk}, format="json")
    assert other.status_code == 400
    assert "use_case" in other.json()
    same = api.patch(
        detail(review),
        {"version": 1, "week": "2026-W46", "use_case": review.use_case_id, "backlog": 5},
        format="json",
    )
    assert same.status_code == 200
    review.refresh_from_db()
    assert (review.week, review.backlog) == ("2026-W46", 5)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tasks_with_ai": 1001}, "tasks_with_ai"),  # tasks_total is 1000
        ({"tasks_total": 500}, "tasks_with_ai"),  # now below the 800 tasks with AI
        ({"reworked_outputs": 801}, "reworked_outputs"),
        ({"exceptions": 1001}, "exceptions"),
        ({"quality_score": "101"}, "quality_score"),
        ({"active_users": -3}, "active_users"),
        ({"target_users": None}, "target_users"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_patch_validation(change, field, api_for, review):
    response = api_for("owner").patch(detail(review), {"version": 1, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    review.refresh_from_db()
    assert review.version == 1
    assert review.history.count() == 1


def test_token_client_corrects_and_history_names_the_user(owner, review):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(owner)}")
    response = api.patch(detail(review), {"version": 1, "notes": "Fixed."}, format="json")
    assert response.status_code == 200
    latest = review.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == owner


# --- filters and query counts -----------------------------------------------------------------


def test_filters(api_for, use_case, other_use_case, owner, other_owner):
    a = make_weekly(use_case, "2026-W45", owner)
    b = make_weekly(use_case, "2026-W46", owner)
    c = make_weekly(other_use_case, "2026-W46", other_owner)
    api = api_for("pmo")

    def ids(query):
        response = api.get(f"{LIST}?{query}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(f"use_case={use_case.pk}") == {a.pk, b.pk}
    assert ids("week=2026-W46") == {b.pk, c.pk}
    assert ids(f"use_case={other_use_case.pk}&week=2026-W46") == {c.pk}
    assert ids("week=2026-W44") == set()
    bad = api.get(f"{LIST}?week=2026-W00")
    assert bad.status_code == 400
    assert "week" in bad.json()
    assert api.get(f"{LIST}?use_case=abc").status_code == 400


def test_list_is_newest_first(api_for, use_case, owner):
    for week in ("2026-W40", "2026-W46", "2026-W42"):
        make_weekly(use_case, week, owner)
    weeks = [row["week"] for row in api_for("owner").get(LIST).json()["results"]]
    assert weeks == ["2026-W46", "2026-W42", "2026-W40"]


def test_list_computes_each_review_at_its_own_use_cases_hourly_cost(
    api_for, use_case, other_use_case, owner
):
    """The list computes H once per use case of the page: reviews of two use cases with
    different H, interleaved, each get their own use case's figures."""
    BusinessCase.objects.filter(use_case=other_use_case).update(hourly_cost=Decimal("60.00"))
    for week in ("2026-W40", "2026-W41", "2026-W42", "2026-W43"):
        make_weekly(use_case, week, owner)
        make_weekly(other_use_case, week, owner)
    rows = api_for("pmo").get(LIST).json()["results"]
    assert len(rows) == 8
    expected = {use_case.pk: "1500.00", other_use_case.pk: "2000.00"}  # 800 × 2.50 / 60 × H
    assert [row["gross_efficiency"] for row in rows] == [expected[r["use_case"]] for r in rows]
    assert {row["use_case"] for row in rows[:2]} == set(expected)  # interleaved


def test_list_gives_each_review_the_figures_its_own_read_gives(
    api_for, use_case, other_use_case, owner
):
    """A page of the list reads each use case's H by itself (no business case joined per row):
    a use case whose business case was never saved counts at H = 0, as its review read alone
    does, and a use case's H as saved a moment ago is the one the list uses."""
    BusinessCase.objects.filter(use_case=other_use_case).delete()
    BusinessCase.objects.filter(use_case=use_case).update(hourly_cost=Decimal("37.30"))
    reviews = [
        make_weekly(uc, week, owner)
        for week in ("2026-W40", "2026-W41")
        for uc in (use_case, other_use_case)
    ]
    api = api_for("pmo")
    rows = {row["id"]: row for row in api.get(LIST).json()["results"]}
    assert set(rows) == {review.pk for review in reviews}
    for review in reviews:
        alone = api.get(detail(review)).json()
        assert rows[review.pk] == alone
    assert {rows[r.pk]["gross_efficiency"] for r in reviews if r.use_case == use_case} == {
        "1243.33"  # 800 × 2.50 / 60 × 37.30
    }
    assert {rows[r.pk]["gross_efficiency"] for r in reviews if r.use_case != use_case} == {"0.00"}
    assert {rows[r.pk]["rework_cost"] for r in reviews if r.use_case != use_case} == {"0.00"}


def _list_queries(api):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(LIST)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("role", ["pmo", "contributor", "owner"])
def test_list_query_count_is_constant(role, api_for, use_case, role_users, owner):
    """session, user, groups, (owns a use case), count, page with its submitters joined, the
    H of the page's use cases: the same for 1 and 30 reviews over several use cases and
    submitters."""
    make_weekly(use_case, "2026-W01", owner)
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
        change = ModelChange.objects.create(
            use_case=uc,
            version_label=f"v{i}",
            kind="model",
            effective_date=datetime.date(2026, 1, 1),
        )
        make_weekly(uc, f"2026-W{i + 2:02d}", submitters[i % 3], model_version=change)
    many, count_many = _list_queries(api)
    assert (count_one, count_many) == (1, 30)
    assert one == many, f"{one} queries for 1 review, {many} for 30"
