"""The review forms in a real browser: live figures as one types (htmx), errors at the field,
saving, and the same forms with JavaScript off."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from reviews import services
from reviews.models import MonthlyReview, WeeklyReview
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)


frozen_today = frozen_at(NOW)


@pytest.fixture
def setup(live_server):
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    # Live since Monday of 2026-W47: the weekly form opens on W47, the only week it owes.
    use_case = make_use_case(owner=owner, live_since=datetime.date(2026, 11, 16))
    return live_server.url, owner, use_case


def figure(page, key):
    return page.locator(f"#figure-{key} .figure")


def test_weekly_form_live_figures_error_at_field_then_saved(page, setup, artifacts_dir):
    base_url, owner, use_case = setup
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base_url, owner.username, f"/reviews/use-cases/{use_case.pk}/weekly/new/")

    expect(page.locator("#id_week")).to_have_value("2026-W47")
    expect(page.locator("#id_target_users")).to_have_value("100")
    expect(figure(page, "rework_rate")).to_have_text("—")

    page.fill("#id_active_users", "75")
    page.fill("#id_tasks_total", "1000")
    page.fill("#id_tasks_with_ai", "800")
    page.fill("#id_reworked_outputs", "100")
    expect(figure(page, "rework_rate")).to_have_text("12.5%")
    expect(figure(page, "adoption_rate")).to_have_text("75.0%")
    page.fill("#id_reworked_outputs", "200")
    expect(figure(page, "rework_rate")).to_have_text("25.0%")
    page.fill("#id_reworked_outputs", "100")
    page.fill("#id_exceptions", "50")
    page.fill("#id_minutes_saved_per_task", "2.5")
    page.fill("#id_rework_minutes_per_output", "7.5")
    page.fill("#id_quality_score", "88")
    page.fill("#id_backlog", "120")
    expect(figure(page, "gross_efficiency")).to_have_text("EUR 1,500.00")
    expect(figure(page, "rework_cost")).to_have_text("EUR 562.50")
    expect(figure(page, "exception_share")).to_have_text("5.0%")
    shot(page, artifacts_dir, "weekly-live-figures.png")

    # More tasks with AI than tasks in total: the panel says so as one types...
    page.fill("#id_tasks_with_ai", "1200")
    expect(page.locator("#figure-checks")).to_contain_text(
        "Tasks with AI (1200) cannot exceed tasks in total (1000)."
    )
    shot(page, artifacts_dir, "weekly-live-check.png")
    # ... and submitting puts the message at the field, saving nothing.
    page.get_by_role("button", name="Submit review").click()
    expect(page.locator("#id_tasks_with_ai_error")).to_have_text(
        "Tasks with AI (1200) cannot exceed tasks in total (1000)."
    )
    expect(page.locator("#id_tasks_with_ai")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_tasks_with_ai")).to_have_value("1200")
    assert not WeeklyReview.objects.exists()
    shot(page, artifacts_dir, "weekly-error-at-field.png")

    page.fill("#id_tasks_with_ai", "800")
    page.get_by_role("button", name="Submit review").click()
    page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/")
    expect(page.get_by_text("Weekly review 2026-W47 saved.")).to_be_visible()
    review = WeeklyReview.objects.get()
    assert (review.week, review.tasks_with_ai, review.reworked_outputs) == ("2026-W47", 800, 100)
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_weekly_correction_live_figures_narrow_screen(page, setup, artifacts_dir):
    base_url, owner, use_case = setup
    review = WeeklyReviewFactory(
        use_case=use_case,
        week="2026-W46",
        active_users=70,
        target_users=100,
        tasks_total=1000,
        tasks_with_ai=700,
        reworked_outputs=70,
        exceptions=30,
        minutes_saved_per_task=3,
        rework_minutes_per_output=6,
        quality_score=90,
        backlog=100,
    )
    page.set_viewport_size({"width": 420, "height": 900})
    log_in(page, base_url, owner.username, f"/reviews/weekly/{review.pk}/")
    expect(figure(page, "rework_rate")).to_have_text("10.0%")
    page.fill("#id_reworked_outputs", "140")
    expect(figure(page, "rework_rate")).to_have_text("20.0%")
    # The figures stay in view at the bottom of a narrow screen while one types.
    expect(page.locator("#figures")).to_be_in_viewport()
    shot(page, artifacts_dir, "weekly-correction-narrow.png", full_page=False)
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/")
    review.refresh_from_db()
    assert (review.reworked_outputs, review.version) == (140, 2)


def test_correction_conflict_keeps_the_other_change(page, setup, artifacts_dir):
    base_url, owner, use_case = setup
    colleague = make_user("carl", first_name="Carl", last_name="Contributor")
    use_case.contributors.add(colleague)
    review = MonthlyReviewFactory(
        use_case=use_case,
        month="2026-10",
        training_cost=100,
        support_cost=200,
        integration_cost=0,
        run_cost=400,
        maintenance_cost=0,
        other_cost=0,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base_url, owner.username, f"/reviews/monthly/{review.pk}/")
    page.fill("#id_run_cost", "450")
    # Meanwhile the colleague corrects the same review.
    services.monthly_review_correct(
        user=colleague, review=review, data={"run_cost": 520}, expected_version=1
    )
    page.get_by_role("button", name="Save correction").click()
    expect(page.locator("#conflict")).to_contain_text("Your changes were not saved.")
    expect(page.locator("#conflict")).to_contain_text("changed by Carl Contributor")
    expect(page.locator("#id_run_cost")).to_have_value("520.00")
    shot(page, artifacts_dir, "monthly-conflict.png")
    review.refresh_from_db()
    assert (review.run_cost, review.version) == (520, 2)


def test_monthly_form_live_cfo_figures(page, setup, artifacts_dir):
    base_url, owner, use_case = setup
    WeeklyReviewFactory(
        use_case=use_case,
        week="2026-W44",
        active_users=70,
        target_users=100,
        tasks_total=1000,
        tasks_with_ai=800,
        reworked_outputs=100,
        exceptions=30,
        minutes_saved_per_task=3,
        rework_minutes_per_output=6,
        quality_score=90,
        backlog=100,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base_url, owner.username, f"/reviews/use-cases/{use_case.pk}/monthly/new/")
    expect(page.locator("#id_month")).to_have_value("2026-10")
    # Gross 800 × 3 / 60 × 45 = 1,800; rework 100 × 6 / 60 × 45 = 450.
    expect(figure(page, "gross_efficiency")).to_have_text("EUR 1,800.00")
    for name, value in (
        ("training", "100"),
        ("support", "200"),
        ("integration", "0"),
        ("run", "400"),
        ("maintenance", "0"),
        ("other", "0"),
    ):
        page.fill(f"#id_{name}_cost", value)
    # Absorption 450 + 700 = 1,150; net 1,800 × 0.5 − 1,150 = −250.
    expect(figure(page, "absorption_cost")).to_have_text("EUR 1,150.00")
    expect(figure(page, "net_value")).to_have_text("−EUR 250.00")
    expect(figure(page, "translation_gap")).to_have_text("EUR 900.00")
    shot(page, artifacts_dir, "monthly-live-figures.png")
    page.get_by_role("button", name="Submit review").click()
    page.wait_for_url(f"{base_url}/use-cases/{use_case.pk}/")
    assert MonthlyReview.objects.get().run_cost == 400


def test_weekly_form_works_without_javascript(browser, setup, artifacts_dir):
    base_url, owner, use_case = setup
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        log_in(page, base_url, owner.username, f"/reviews/use-cases/{use_case.pk}/weekly/new/")
        for name, value in (
            ("active_users", "75"),
            ("tasks_total", "1000"),
            ("tasks_with_ai", "800"),
            ("reworked_outputs", "100"),
            ("exceptions", "50"),
            ("minutes_saved_per_task", "2.5"),
            ("rework_minutes_per_output", "7.5"),
            ("quality_score", "88"),
            ("backlog", "120"),
        ):
            page.fill(f"#id_{name}", value)
        # No live update without JavaScript: the figures come with "Preview figures".
        expect(figure(page, "rework_rate")).to_have_text("—")
        page.get_by_role("button", name="Preview figures").click()
        expect(figure(page, "rework_rate")).to_have_text("12.5%")
        expect(page.locator("#id_tasks_with_ai")).to_have_value("800")
        assert not WeeklyReview.objects.exists()
        shot(page, artifacts_dir, "weekly-no-js-preview.png")
        page.get_by_role("button", name="Submit review").click()
        page.wait_for_url(re.compile(rf"/use-cases/{use_case.pk}/$"))
        expect(page.get_by_text("Weekly review 2026-W47 saved.")).to_be_visible()
        assert WeeklyReview.objects.get().tasks_with_ai == 800
    finally:
        context.close()


def test_contributor_form_opens_on_the_missing_week_and_refuses_the_current_one(
    page, setup, artifacts_dir
):
    """Issue 14: Carl's form opened on a week already filed and accepted the unfinished W48."""
    base_url, owner, use_case = setup
    carl = make_user("carl", first_name="Carl", last_name="Contributor")
    use_case.contributors.add(carl)
    use_case.live_since = datetime.date(2026, 10, 26)  # owes 2026-W44 .. W47
    use_case.save(update_fields=["live_since"])
    for week in ("2026-W44", "2026-W46", "2026-W47"):
        WeeklyReviewFactory(use_case=use_case, week=week, submitted_by=owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base_url, carl.username, f"/reviews/use-cases/{use_case.pk}/weekly/new/")

    expect(page.locator("#id_week")).to_have_value("2026-W45")
    expect(page.locator("#figures")).to_contain_text("Mon 2 Nov – Sun 8 Nov 2026")
    expect(page.locator("#figures")).not_to_contain_text("already exists")
    shot(page, artifacts_dir, "weekly-opens-on-missing-week.png")

    refusal = "2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov."
    page.fill("#id_week", "2026-W48")
    for name, value in (
        ("active_users", "75"),
        ("tasks_total", "1000"),
        ("tasks_with_ai", "800"),
        ("reworked_outputs", "100"),
        ("exceptions", "50"),
        ("minutes_saved_per_task", "2.5"),
        ("rework_minutes_per_output", "7.5"),
        ("quality_score", "88"),
        ("backlog", "120"),
    ):
        page.fill(f"#id_{name}", value)
    expect(page.locator("#figures")).to_contain_text(refusal)
    page.get_by_role("button", name="Submit review").click()
    expect(page.locator("#id_week_error")).to_have_text(refusal)
    expect(page.locator("#id_week")).to_have_attribute("aria-invalid", "true")
    shot(page, artifacts_dir, "weekly-refuses-current-week.png")
    assert not WeeklyReview.objects.filter(week="2026-W48").exists()
