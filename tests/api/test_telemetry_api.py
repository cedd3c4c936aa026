"""``GET /api/v1/use-cases/{id}/telemetry/?week=``: the week's measured figures (per role in
the permission matrix); the week parameter's messages; nothing received reads as zeros."""

import pytest

from reviews.models import TelemetryDay, TelemetryTrace, TelemetryUser

pytestmark = pytest.mark.django_db


def url(use_case, query=""):
    return f"/api/v1/use-cases/{use_case.pk}/telemetry/{query}"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?week=2026-W49", "has not started"),
        ("?week=2026-W54", ""),
        ("?week=48", ""),
        ("?week=２０２６-W48", ""),
    ],
)
def test_bad_weeks_are_400_with_a_field_message(api_for, use_case, query, message):
    response = api_for("owner").get(url(use_case, query))
    assert response.status_code == 400
    assert list(response.json()) == ["week"]
    assert message in response.json()["week"][0]


def test_no_week_is_the_current_one_and_nothing_received_is_zeros(api_for, use_case):
    body = api_for("contributor").get(url(use_case)).json()
    assert body["week"] == "2026-W48"  # frozen on Wednesday 25 November
    assert (body["traces"], body["tasks_with_ai"], body["active_users"]) == (0, 0, 0)
    assert body["quality_score"] is None and body["last_span_at"] is None
    assert body["tokens"] == [] and body["unpriced_models"] == []


def test_figures_of_another_use_case_do_not_leak(api_for, use_case, other_use_case):
    TelemetryDay.objects.create(use_case=other_use_case, day="2026-11-24", spans=3, ai_calls=2)
    TelemetryTrace.objects.create(
        use_case=other_use_case, trace_id="a" * 32, day="2026-11-24", has_ai=True
    )
    TelemetryUser.objects.create(use_case=other_use_case, week="2026-W48", user_hash="f" * 64)
    mine = api_for("owner").get(url(use_case, "?week=2026-W48")).json()
    assert (mine["spans"], mine["tasks_with_ai"], mine["active_users"]) == (0, 0, 0)
    theirs = api_for("owner").get(url(other_use_case, "?week=2026-W48")).json()
    assert (theirs["spans"], theirs["tasks_with_ai"], theirs["active_users"]) == (3, 1, 1)
    assert api_for("contributor").get(url(other_use_case)).status_code == 404
