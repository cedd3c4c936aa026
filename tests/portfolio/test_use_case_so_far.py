"""The use case page's "Measured this week so far" box (portfolio.use_case_page.measured_so_far):
the running week's measured active users and adoption against the stop-loss adoption threshold,
with the evidence ("n traces, last at …"), only for a use case with telemetry, and no query more
for a use case without.

The clock is frozen on Wednesday 2026-11-25 10:00 (2026-W48, day 3 of 7)."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.models import Comparison, Metric, StopLossRule
from tests.conftest import make_use_case
from tests.reviews.telemetry_helpers import BERLIN, telemetry_rows

pytestmark = pytest.mark.django_db
W48 = "2026-W48"
LAST = datetime.datetime(2026, 11, 25, 9, 42, tzinfo=BERLIN)
MAX_QUERIES = 12  # tests/portfolio/test_use_case_page.py


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(
        timezone.make_aware(datetime.datetime(2026, 11, 25, 10, 0)), tick=False
    ):
        yield


def page(client, use_case):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("usecases:detail", args=[use_case.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def box(html: str) -> str:
    match = re.search(r'<section class="card uc-so-far".*?</section>', html, re.S)
    return re.sub(r"\s+", " ", match.group(0)) if match else ""


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:div|span|p)>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip()


@pytest.mark.parametrize(
    ("users", "adoption", "verdict"),
    [(84, "42.0%", "above it so far"), (100, "50.0%", "below it so far")],
)
def test_the_box_shows_measured_adoption_so_far_against_the_threshold(
    client_for, owner, users, adoption, verdict
):
    # 84 of 200 is 42 %: above a use case rule "falls below 40 %"; 100 of 200 = 50 % is below
    # a rule "falls below 60 %" (the default policy).
    use_case = make_use_case(owner=owner, target_users=200)
    if users == 84:
        StopLossRule.objects.create(
            use_case=use_case,
            metric=Metric.ADOPTION_RATE,
            comparison=Comparison.FALLS_BELOW,
            threshold="0.40",
        )
    telemetry_rows(use_case, W48, users=users, tasks=300, traces=312, last_span_at=LAST)
    html, _ = page(client_for(owner), use_case)
    found = box(html)
    assert "2026-W48 (Mon 23 Nov – Sun 29 Nov), day 3 of 7" in found
    assert text_of(found, "so-far-evidence") == "312 traces, last at Wed 25 Nov 09:42"
    assert text_of(found, "so-far-users") == str(users)
    assert text_of(found, "so-far-adoption") == adoption
    assert "of 200 target users" in found
    threshold = "40.0%" if users == 84 else "60.0%"
    assert f"Stop-loss: adoption falls below <strong>{threshold}</strong> — " in found
    assert verdict in found
    assert f'class="so-far-fill{" below" if "below it" in verdict else ""}"' in found
    assert 'href="#measured-so-far"' in html  # in the section index


def test_no_box_without_telemetry_and_no_query_more(client_for, owner, leader):
    quiet = make_use_case(name="Quiet", owner=owner, target_users=200)
    measured = make_use_case(name="Measured", owner=owner, target_users=200)
    telemetry_rows(measured, W48, users=5, tasks=5, last_span_at=LAST)
    client = client_for(leader)
    page(client, quiet)  # warm up
    quiet_html, quiet_queries = page(client, quiet)
    measured_html, measured_queries = page(client, measured)
    assert box(quiet_html) == "" and 'href="#measured-so-far"' not in quiet_html
    assert box(measured_html)
    assert measured_queries == quiet_queries + 1 <= MAX_QUERIES  # the thresholds


def test_telemetry_of_earlier_weeks_only_shows_no_spans_yet(client_for, owner):
    use_case = make_use_case(owner=owner, target_users=50)
    telemetry_rows(use_case, "2026-W47", users=40, tasks=100, last_span_at=LAST)
    found = box(page(client_for(owner), use_case)[0])
    assert text_of(found, "so-far-evidence") == "no spans yet this week"
    assert text_of(found, "so-far-users") == "0"
    assert text_of(found, "so-far-adoption") == "0.0%"


def test_without_target_users_there_is_no_adoption(client_for, owner):
    use_case = make_use_case(owner=owner, target_users=0)
    telemetry_rows(use_case, W48, users=7, tasks=9, last_span_at=LAST)
    found = box(page(client_for(owner), use_case)[0])
    assert text_of(found, "so-far-users") == "7"
    assert text_of(found, "so-far-adoption") == "—"
    assert "no target users set on the use case" in found
    assert "<svg" not in found
