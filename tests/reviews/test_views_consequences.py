"""Issue 14 item 1 on the pages: the weekly and monthly forms say what submitting would do (the
no-JavaScript "Preview figures" button and the htmx panel), mark the figure that crosses a
stop-loss threshold with colour and text, and after a save with consequences show a warning,
not a success. Today is Wednesday 25 November 2026 (ISO week 2026-W48)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from reviews.models import Flag, MonthlyReview, WeeklyReview
from tests.factories import StopLossRuleFactory, WeeklyReviewFactory
from usecases.models import StageTransition

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)

VALID = {
    "week": "2026-W47",
    "active_users": "75",
    "target_users": "100",
    "tasks_total": "1000",
    "tasks_with_ai": "800",
    "reworked_outputs": "80",
    "exceptions": "50",
    "minutes_saved_per_task": "2.5",
    "rework_minutes_per_output": "7.5",
    "quality_score": "88",
    "backlog": "120",
    "declared_hours_saved": "40",
    "model_version": "",
    "notes": "",
    "user_barriers": "",
}
#: 160 of 800 reworked: 20 % rework, above the default 15 % stop-loss.
BREACHING = {**VALID, "reworked_outputs": "160"}
SENTENCE = "Rework rate 20.0% exceeds the 15.0% stop-loss threshold (default policy)."


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


def saved_rows() -> tuple:
    return (
        WeeklyReview.objects.count(),
        MonthlyReview.objects.count(),
        Flag.objects.count(),
        StageTransition.objects.count(),
    )


def test_no_javascript_preview_says_what_submitting_would_do(owner, use_case, client_for):
    before = saved_rows()
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    response = client_for(owner).post(url, {**BREACHING, "preview": "1"})
    assert response.status_code == 200
    text = response.content.decode()
    assert SENTENCE in text
    assert (
        f"Submitting returns {use_case.name} to Redesign and makes funding Conditional; "
        f"{owner.get_full_name()} and the PMO are notified."
    ) in text
    # The figure is marked in words, not by colour alone.
    assert 'class="figure breach"' in text
    assert "(above 15.0% stop-loss)" in text
    assert saved_rows() == before
    use_case.refresh_from_db()
    assert use_case.stage == "rollout"


def test_no_javascript_preview_without_breach_says_so(owner, use_case, client_for):
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    text = client_for(owner).post(url, {**VALID, "preview": "1"}).content.decode()
    assert "No stop-loss rule or early-warning signal fires with these values." in text
    assert "breach-mark" not in text


def test_live_panel_says_what_submitting_would_do(owner, use_case, client_for):
    url = reverse("reviews:weekly_preview", args=[use_case.pk])
    response = client_for(owner).post(url, BREACHING, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert SENTENCE in text
    assert 'data-effect="return_to_redesign"' in text
    assert "(above 15.0% stop-loss)" in text


def test_live_panel_waits_for_valid_values(owner, use_case, client_for):
    url = reverse("reviews:weekly_preview", args=[use_case.pk])
    data = {**BREACHING, "tasks_total": ""}
    text = client_for(owner).post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "once every value is valid" in text
    assert SENTENCE not in text


def test_submit_with_consequences_is_a_warning(owner, use_case, client_for):
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    response = client_for(owner).post(url, BREACHING)
    assert response.status_code == 302
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "warning"
    assert str(message).startswith("Weekly review 2026-W47 saved, with consequences: ")
    assert f"{use_case.name} returned to Redesign and funding is now Conditional" in str(message)


def test_submit_without_consequences_is_a_success(owner, use_case, client_for):
    response = client_for(owner).post(reverse("reviews:weekly_new", args=[use_case.pk]), VALID)
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "success"
    assert str(message) == "Weekly review 2026-W47 saved."


def test_correction_preview_and_warning(owner, use_case, client_for):
    review = WeeklyReviewFactory(
        use_case=use_case, week="2026-W47", **{k: v for k, v in VALID.items() if k in KPI}
    )
    client = client_for(owner)
    data = {k: v for k, v in BREACHING.items() if k != "week"} | {"version": review.version}
    url = reverse("reviews:weekly_edit", args=[review.pk])
    text = client.post(url, {**data, "preview": "1"}).content.decode()
    assert "What saving this correction does" in text
    assert "Saving the correction returns" in text
    assert not Flag.objects.exists()
    response = client.post(url, data)
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "warning"
    assert str(message).startswith("Weekly review 2026-W47 corrected, with consequences: ")


KPI = set(WeeklyReview.KPI_FIELDS)

MONTHLY = {
    "month": "2026-10",
    "training_cost": "500",
    "support_cost": "0",
    "integration_cost": "0",
    "run_cost": "0",
    "maintenance_cost": "0",
    "other_cost": "0",
    "notes": "",
}


def test_monthly_no_javascript_preview_and_warning(owner, use_case, client_for):
    StopLossRuleFactory(metric="net_value", comparison="falls_below", threshold=Decimal("0"))
    client = client_for(owner)
    url = reverse("reviews:monthly_new", args=[use_case.pk])
    text = client.post(url, {**MONTHLY, "preview": "1"}).content.decode()
    assert "Monthly net value −EUR 500.00 falls below the EUR 0.00 stop-loss threshold" in text
    assert "(below EUR 0.00 stop-loss)" in text
    assert not MonthlyReview.objects.exists()
    response = client.post(url, MONTHLY)
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "warning"
