"""Drafts people confirm: the weekly review pre-filled from telemetry (API and page), saved
through the same preview and save as a typed review, recording what was measured and what the
owner changed."""

import pytest
import time_machine
from rest_framework.test import APIClient

from reviews.ingest_keys import ingest_key_create
from reviews.models import WeeklyReview

from .telemetry_helpers import DRAFT_STATUS, NOW, WEEK48, Recorder, protobuf_of, week48_batches

pytestmark = pytest.mark.django_db
DRAFT = "/api/v1/weekly-reviews/draft/"
#: What telemetry cannot know; the owner adds it.
TYPED = dict(
    tasks_total=40,
    minutes_saved_per_task="3.00",
    rework_minutes_per_output="5.00",
    backlog=12,
    declared_hours_saved="2.00",
)


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def week48(client, use_case, owner):
    key = ingest_key_create(user=owner, use_case=use_case)[0]
    for batch in week48_batches(Recorder()):
        response = client.generic(
            "POST",
            "/otlp/v1/traces",
            protobuf_of(batch),
            content_type="application/x-protobuf",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 200
    return use_case


def api(user):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def test_the_draft_is_the_measured_week_and_saving_it_records_what_changed(week48, owner):
    response = api(owner).get(DRAFT, {"use_case": week48.pk, "week": "2026-W48"})
    assert response.status_code == 200, response.content
    draft = response.json()
    body = draft["body"]
    for field in ("active_users", "tasks_with_ai", "exceptions", "reworked_outputs"):
        assert body[field] == WEEK48[field]
    assert body["quality_score"] == WEEK48["quality_score"]
    assert body["from_draft"] is True
    assert draft["measured"]["active_users"]["note"] == (
        "measured: 5 traces, last at Sat 28 Nov 08:00"
    )
    assert set(draft["measured"]) == {
        "active_users",
        "tasks_with_ai",
        "exceptions",
        "reworked_outputs",
        "quality_score",
    }

    body.update(TYPED, active_users=6)  # the owner knows two people used it without telemetry
    preview = api(owner).post("/api/v1/weekly-reviews/preview/", body, format="json")
    assert preview.status_code == 200, preview.content
    saved = api(owner).post("/api/v1/weekly-reviews/", body, format="json")
    assert saved.status_code == 201, saved.content
    record = saved.json()["telemetry"]
    assert record["changed"] == ["active_users"]
    assert record["measured"]["active_users"] == WEEK48["active_users"]
    assert record["measured"]["quality_score"] == "70.00"
    assert record["traces"] == 5
    review = WeeklyReview.objects.get(use_case=week48, week="2026-W48")
    assert review.telemetry == record and review.active_users == 6


def test_a_typed_review_records_no_telemetry(week48, owner):
    body = {"use_case": week48.pk, "week": "2026-W48", "active_users": 4, "tasks_with_ai": 4}
    body.update(TYPED, exceptions=2, reworked_outputs=1, quality_score="70.00")
    saved = api(owner).post("/api/v1/weekly-reviews/", body, format="json")
    assert saved.status_code == 201, saved.content
    assert saved.json()["telemetry"] is None


def test_a_week_without_telemetry_drafts_nothing(week48, owner):
    draft = api(owner).get(DRAFT, {"use_case": week48.pk, "week": "2026-W46"}).json()
    assert draft["measured"] == {} and draft["traces"] == 0
    assert "active_users" not in draft["body"]


STATUS = DRAFT_STATUS


@pytest.mark.parametrize("role", sorted(STATUS))
def test_the_draft_per_role(role, role_users, use_case):
    user = None if role == "anonymous" else role_users[role]
    response = api(user).get(DRAFT, {"use_case": use_case.pk, "week": "2026-W48"})
    assert response.status_code == STATUS[role]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"week": "2026-W48"}, "use_case"), ({"week": "2026-W50"}, "week"), ({"week": "x"}, "week")],
)
def test_bad_draft_queries_are_field_messages(owner, use_case, query, field):
    response = api(owner).get(
        DRAFT, {"use_case": use_case.pk, **query} if field != "use_case" else query
    )
    assert response.status_code == 400
    assert field in response.json()


def test_the_weekly_page_opens_pre_filled_and_marked(week48, owner, client_for):
    client = client_for(owner)
    page = client.get(f"/reviews/use-cases/{week48.pk}/weekly/new/?week=2026-W48")
    html = page.content.decode()
    assert "Drafted from telemetry" in html
    assert html.count("measured: 5 traces, last at Sat 28 Nov 08:00") == 6  # notice + 5 fields
    assert 'name="active_users" value="4"' in html
    assert 'name="from_draft" value="True"' in html
    form = {
        "week": "2026-W48",
        "target_users": week48.target_users,
        "active_users": 4,
        "tasks_with_ai": 4,
        "exceptions": 2,
        "reworked_outputs": 3,  # the owner counted more reworked outputs
        "quality_score": "70.00",
        "from_draft": "True",
        **TYPED,
    }
    saved = client.post(f"/reviews/use-cases/{week48.pk}/weekly/new/", form)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    review = WeeklyReview.objects.get(use_case=week48, week="2026-W48")
    assert review.telemetry["changed"] == ["reworked_outputs"]


def test_a_typed_page_without_telemetry_has_no_marks(use_case, owner, client_for):
    html = client_for(owner).get(f"/reviews/use-cases/{use_case.pk}/weekly/new/?week=2026-W48")
    assert "measured:" not in html.content.decode()


# --- workflow metrics: what only the workflow system knows --------------------------------------


def token_client(user):
    from tests.conftest import api_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def metrics_url(use_case, week="2026-W48"):
    return f"/api/v1/use-cases/{use_case.pk}/workflow-metrics/{week}/"


PUSH = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 403,
    "leader": 403,
    "pmo": 201,
    "owner": 201,
    "admin": 201,
}


@pytest.mark.parametrize("role", sorted(PUSH))
def test_workflow_metrics_per_role_with_a_token(role, role_users, use_case):
    client = APIClient() if role == "anonymous" else token_client(role_users[role])
    body = {"tasks_total": 120, "backlog": 14}
    assert client.put(metrics_url(use_case), body, format="json").status_code == PUSH[role]
    if PUSH[role] == 201:
        again = client.put(metrics_url(use_case), {"tasks_total": 121, "backlog": 9}, format="json")
        assert again.status_code == 200
        assert again.json()["tasks_total"] == 121


@pytest.mark.parametrize(
    ("week", "body", "field"),
    [
        ("2026-W48", {"tasks_total": -1, "backlog": 0}, "tasks_total"),
        ("2026-W48", {"tasks_total": 1}, "backlog"),
        ("2026-W48", {"tasks_total": "many", "backlog": 0}, "tasks_total"),
        ("2026-W50", {"tasks_total": 1, "backlog": 0}, "week"),
        ("2026-W99", {"tasks_total": 1, "backlog": 0}, "week"),
    ],
)
def test_bad_workflow_metrics_are_field_messages(owner, use_case, week, body, field):
    response = token_client(owner).put(metrics_url(use_case, week), body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_with_pushed_metrics_and_last_weeks_rates_the_draft_needs_no_typing(week48, owner):
    from tests.factories import WeeklyReviewFactory

    WeeklyReviewFactory(
        use_case=week48,
        week="2026-W47",
        active_users=3,
        target_users=100,
        tasks_total=30,
        tasks_with_ai=3,
        reworked_outputs=0,
        exceptions=0,
        minutes_saved_per_task="4.50",
        rework_minutes_per_output="7.00",
        quality_score="80.00",
        backlog=20,
    )
    pushed = token_client(owner).put(
        metrics_url(week48), {"tasks_total": 40, "backlog": 12}, format="json"
    )
    assert pushed.status_code == 201
    draft = api(owner).get(DRAFT, {"use_case": week48.pk, "week": "2026-W48"}).json()
    assert draft["pushed"]["tasks_total"]["note"].startswith("from the workflow system, ")
    assert draft["carried"]["minutes_saved_per_task"] == {
        "value": "4.50",
        "note": "as in your review of 2026-W47",
    }
    saved = api(owner).post("/api/v1/weekly-reviews/", draft["body"], format="json")
    assert saved.status_code == 201, saved.content  # nothing typed
    record = saved.json()["telemetry"]
    assert record["pushed"] == {"tasks_total": 40, "backlog": 12}
    assert record["changed"] == []
    review = WeeklyReview.objects.get(use_case=week48, week="2026-W48")
    assert (review.tasks_total, review.backlog, review.minutes_saved_per_task) == (40, 12, 4.5)
