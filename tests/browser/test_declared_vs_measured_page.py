"""Telemetry on the use case page, in Chromium at 1440 and 390 px: the owner confirms a drafted
week but declares more active users than the spans measured — the ``declared_vs_measured`` early
warning is on the page, explained in words — and, with the new week's spans arriving, "Measured
this week so far" shows adoption so far against the stop-loss threshold. The page never scrolls
sideways (screenshots in the test artifacts folder)."""

import os

import time_machine
from django.test import Client

from reviews.ingest_keys import ingest_key_create
from reviews.models import Flag, FlagKind
from tests.browser.helpers import BROWSER, log_in
from tests.conftest import make_use_case, make_user
from tests.reviews.telemetry_helpers import NOW, Recorder, at, chat, protobuf_of, week48_batches

pytestmark = BROWSER


def send(key, spans):
    response = Client().generic(
        "POST",
        "/otlp/v1/traces",
        protobuf_of(spans),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200


def test_the_owner_sees_the_signal_and_this_weeks_adoption(page, live_server, artifacts_dir):
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    use_case = make_use_case(owner=owner, target_users=10)
    key = ingest_key_create(user=owner, use_case=use_case)[0]
    with time_machine.travel(NOW, tick=True):  # Monday 30 November 10:00, 2026-W49
        for batch in week48_batches(Recorder()):
            send(key, batch)
        # The new week's first spans: three users by 09:30 on Monday.
        recorder = Recorder()
        for n, user in enumerate(["u1", "u2", "u5"]):
            recorder.span("chat", at(30, 8, 10 * n), attributes=chat("gpt-4o", 100, 20, user=user))
        send(key, recorder.take())

        page.set_viewport_size({"width": 1440, "height": 900})
        log_in(page, live_server.url, "olivia")
        page.goto(f"{live_server.url}/reviews/use-cases/{use_case.pk}/weekly/new/?week=2026-W48")
        assert page.input_value("#id_active_users") == "4"
        page.fill("#id_active_users", "6")  # declared: 6; measured: 4 (+50 %)
        page.fill("#id_tasks_total", "40")
        page.fill("#id_minutes_saved_per_task", "3")
        page.fill("#id_rework_minutes_per_output", "5")
        page.fill("#id_backlog", "12")
        page.fill("#id_declared_hours_saved", "2")
        page.get_by_role("button", name="Submit review").click()
        page.wait_for_url(f"{live_server.url}{use_case.get_absolute_url()}")

        flag = Flag.objects.get(use_case=use_case, kind=FlagKind.DECLARED_VS_MEASURED)
        assert flag.period == "2026-W48"
        item = page.locator(f"#flag-{flag.pk}")
        assert "Declared differs from measured" in item.inner_text()
        assert (
            "2026-W48: declared 6 active users, telemetry measured 4 (declared +50 % against "
            "measured)" in item.locator(".flag-explanation").inner_text()
        )
        assert "observed 50.0% apart, threshold 20% apart" in item.inner_text()

        box = page.locator("#measured-so-far")
        assert page.locator("#so-far-users").inner_text() == "3"
        assert page.locator("#so-far-adoption").inner_text() == "30.0%"
        assert page.locator("#so-far-evidence").inner_text() == (
            "3 traces, last at Mon 30 Nov 08:20"
        )
        assert "falls below 60.0% — below it so far" in box.inner_text()

        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            shot = os.path.join(artifacts_dir, f"declared-vs-measured-{{}}-{width}.png")
            page.screenshot(path=shot.format("page"), full_page=True)
            page.locator(".uc-top-grid").screenshot(path=shot.format("flags"))
            box.screenshot(path=shot.format("so-far"))
