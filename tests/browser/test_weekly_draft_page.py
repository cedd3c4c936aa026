"""The weekly review drafted from telemetry, in Chromium at 1440 and 390 px: the measured fields
are filled in and marked "measured: n traces, last at …", the owner adds the rest and submits;
the page never scrolls sideways (screenshots in the test artifacts folder)."""

import os

import time_machine
from django.test import Client

from reviews.ingest_keys import ingest_key_create
from reviews.models import WeeklyReview
from tests.browser.helpers import BROWSER, log_in
from tests.conftest import make_use_case, make_user
from tests.reviews.telemetry_helpers import NOW, Recorder, protobuf_of, week48_batches

pytestmark = BROWSER


def test_the_owner_confirms_a_drafted_week(page, live_server, artifacts_dir):
    owner = make_user("olivia")
    use_case = make_use_case(owner=owner)
    key = ingest_key_create(user=owner, use_case=use_case)[0]
    with time_machine.travel(NOW, tick=True):
        for batch in week48_batches(Recorder()):
            response = Client().generic(
                "POST",
                "/otlp/v1/traces",
                protobuf_of(batch),
                content_type="application/x-protobuf",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
            assert response.status_code == 200
        page.set_viewport_size({"width": 1440, "height": 900})
        log_in(page, live_server.url, "olivia")
        page.goto(f"{live_server.url}/reviews/use-cases/{use_case.pk}/weekly/new/?week=2026-W48")
        assert page.input_value("#id_active_users") == "4"
        assert page.input_value("#id_tasks_with_ai") == "4"
        assert page.locator("#id_active_users_measured").inner_text() == (
            "measured: 5 traces, last at Sat 28 Nov 08:00"
        )
        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(
                path=os.path.join(artifacts_dir, f"weekly-draft-{width}.png"), full_page=True
            )
        page.set_viewport_size({"width": 1440, "height": 900})
        page.fill("#id_tasks_total", "40")
        page.fill("#id_minutes_saved_per_task", "3")
        page.fill("#id_rework_minutes_per_output", "5")
        page.fill("#id_backlog", "12")
        page.fill("#id_declared_hours_saved", "2")
        page.fill("#id_exceptions", "3")
        page.get_by_role("button", name="Submit review").click()
        page.wait_for_url(f"{live_server.url}{use_case.get_absolute_url()}")
    review = WeeklyReview.objects.get(use_case=use_case, week="2026-W48")
    assert review.telemetry["changed"] == ["exceptions"]
