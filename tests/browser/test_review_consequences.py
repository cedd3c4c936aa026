"""Issue 14 item 1 in a real browser: the value owner types a breaching value, the live panel
says what submitting would do (in words, the figure marked with text as well as colour); she
submits and the page shows what happened as a warning."""

import datetime

from playwright.sync_api import expect

from reviews.models import Flag
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user

from .test_review_forms import figure

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)  # Wednesday of 2026-W48


frozen_today = frozen_at(NOW)


def test_owner_sees_the_consequence_before_and_after_submitting(page, live_server, artifacts_dir):
    owner = make_user("olivia", first_name="Olivia", last_name="Owens")
    use_case = make_use_case(name="Job ad writer", owner=owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, owner.username, f"/reviews/use-cases/{use_case.pk}/weekly/new/")

    page.fill("#id_week", "2026-W47")  # a complete week
    for field, value in (
        ("active_users", "75"),
        ("tasks_total", "400"),
        ("tasks_with_ai", "300"),
        ("reworked_outputs", "30"),
        ("exceptions", "10"),
        ("minutes_saved_per_task", "2.5"),
        ("rework_minutes_per_output", "7.5"),
        ("quality_score", "88"),
        ("backlog", "120"),
    ):
        page.fill(f"#id_{field}", value)
    panel = page.locator("#figure-consequences")
    expect(panel).to_have_text("No stop-loss rule or early-warning signal fires with these values.")

    page.fill("#id_reworked_outputs", "60")  # 60 of 300: 20 % rework
    expect(figure(page, "rework_rate")).to_have_text("20.0%")
    expect(panel).to_contain_text(
        "Rework rate 20.0% exceeds the 15.0% stop-loss threshold (default policy). Submitting "
        "returns Job ad writer to Redesign and makes funding Conditional; Olivia Owens and the "
        "PMO are notified."
    )
    expect(page.locator("#figure-rework_rate .breach-mark")).to_have_text("(above 15.0% stop-loss)")
    expect(figure(page, "rework_rate")).to_have_class("figure breach")
    assert not Flag.objects.exists()
    shot(page, artifacts_dir, "weekly-before-breaching-submit.png")

    page.get_by_role("button", name="Submit review").click()
    page.wait_for_url(f"{live_server.url}/use-cases/{use_case.pk}/")
    warning = page.locator(".msg-warning")
    expect(warning).to_contain_text("Weekly review 2026-W47 saved, with consequences:")
    expect(warning).to_contain_text(
        "Job ad writer returned to Redesign and funding is now Conditional; Olivia Owens and "
        "the PMO were notified."
    )
    expect(page.locator(".msg-success")).to_have_count(0)
    shot(page, artifacts_dir, "weekly-after-breaching-submit.png")
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == ("redesign", "conditional")
