"""The use case page in a real browser: the KPI, scenario and waterfall charts are drawn (canvas
pixels), no CSP or script error, the tables alone without JavaScript; and the weekly review import
from upload to the page. Screenshots go to the test artifacts folder."""

import datetime
import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portfolio.use_case_sections import SECTIONS
from reviews.models import Flag, FlagKind, StopLossRule, WeeklyReview
from tests.browser.helpers import BROWSER, frozen_at, log_in, shot
from tests.conftest import make_use_case, make_user
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from usecases import economics
from usecases.models import ChangeKind, ModelChange

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)  # Wednesday of 2026-W48

#: Counts the canvas pixels that are not transparent (something was drawn).
DRAWN_PIXELS = """(canvas) => {
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { drawn += 1; } }
  return drawn;
}"""


frozen_today = frozen_at(NOW)


def week_label(monday):
    return economics.format_iso_week(*economics.iso_week_of(monday))


@pytest.fixture
def setup(live_server):
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    use_case = make_use_case(owner=owner)
    first = datetime.date(2026, 6, 1)
    for i in range(24):  # W23 .. W46, rework climbing after a prompt change in W35
        WeeklyReviewFactory(
            use_case=use_case,
            week=week_label(first + datetime.timedelta(weeks=i)),
            active_users=50 + i,
            target_users=100,
            tasks_total=1000,
            tasks_with_ai=600 + 10 * i,
            reworked_outputs=60 + (8 * (i - 12) if i > 12 else 0),
            exceptions=20 + i,
            minutes_saved_per_task=Decimal("3.0"),
            rework_minutes_per_output=Decimal("6.0"),
            quality_score=Decimal(90 - (i // 3)),
            backlog=100,
        )
    for month in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
        MonthlyReviewFactory(
            use_case=use_case,
            month=month,
            training_cost=Decimal("200"),
            support_cost=Decimal("350"),
            integration_cost=Decimal("0"),
            run_cost=Decimal("420"),
            maintenance_cost=Decimal("180"),
            other_cost=Decimal("0"),
        )
    ModelChange.objects.create(
        use_case=use_case,
        version_label="prompt-v2",
        kind=ChangeKind.PROMPT,
        effective_date=datetime.date(2026, 8, 24),
        created_by=owner,
    )
    Flag.objects.create(
        use_case=use_case,
        kind=FlagKind.STOP_LOSS,
        rule=StopLossRule.objects.get(use_case=None, metric="rework_rate"),
        rule_key="rule:1",
        period="2026-W43",
        observed_value=Decimal("0.155"),
        threshold=Decimal("0.15"),
        explanation="Rework rate was 15.5% in 2026-W43, above the stop-loss threshold of 15.0%.",
    )
    return live_server.url, owner, use_case


def load_sections(page):
    """Scroll every section that loads as needed into view and wait until htmx swapped it in."""
    for slug in SECTIONS:
        # (a script, not a locator: htmx may swap the element while Playwright scrolls to it)
        page.evaluate("(id) => document.getElementById(id).scrollIntoView()", slug)
        expect(page.locator(f"#{slug}.uc-section-later")).to_have_count(0)


def test_charts_render(page, setup, artifacts_dir):
    base_url, owner, use_case = setup
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    missing = []
    page.on("response", lambda r: r.status >= 400 and missing.append(r.url))
    page.set_viewport_size({"width": 1440, "height": 900})
    path = f"/use-cases/{use_case.pk}/"
    log_in(page, base_url, owner.username, path)

    # The first paint: the key figures and the waterfall; the sections far below wait.
    expect(page.locator("canvas[data-chart]")).to_have_count(1)
    expect(page.locator("#history.uc-section-later")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    shot(page, artifacts_dir, "use-case-page-1440-before-scrolling.png")
    load_sections(page)
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(7)  # 4 KPIs, 2 scenarios, the waterfall
    for i in range(7):
        canvas = canvases.nth(i)
        expect(canvas).to_be_visible()
        name = canvas.get_attribute("id")
        assert canvas.evaluate(DRAWN_PIXELS) > 500, name
    # With the charts drawn, their table folds away (one click to open it).
    expect(page.locator("details.uc-chart-table")).not_to_have_attribute("open", "")
    expect(page.locator("#figure-net_value .figure")).to_contain_text("EUR")
    # The browser asks for /favicon.ico by itself; anything else missing is a bug.
    assert [u for u in missing if not u.endswith("/favicon.ico")] == []
    assert [e for e in errors if "404" not in e] == []
    shot(page, artifacts_dir, "use-case-page-1440-sections-loaded.png")
    page.screenshot(path=os.path.join(artifacts_dir, "use-case-page-top.png"))
    for section in ("trends", "value", "scenarios", "reviews", "flags"):
        page.locator(f"#{section}").screenshot(
            path=os.path.join(artifacts_dir, f"use-case-page-{section}.png")
        )

    # The threshold line is drawn: a red pixel row across the rework chart.
    red_rows = page.locator("#chart-kpi-rework_rate").evaluate(
        """(canvas) => {
          const ctx = canvas.getContext('2d');
          const {width, height} = canvas;
          const data = ctx.getImageData(0, 0, width, height).data;
          let rows = 0;
          for (let y = 0; y < height; y += 1) {
            let red = 0;
            for (let x = 0; x < width; x += 1) {
              const i = (y * width + x) * 4;
              if (data[i] > 150 && data[i + 1] < 80 && data[i + 2] < 80 && data[i + 3] > 0) {
                red += 1;
              }
            }
            if (red > width / 4) { rows += 1; }
          }
          return rows;
        }"""
    )
    assert red_rows >= 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#history.uc-section-later")).to_have_count(1)
    shot(page, artifacts_dir, "use-case-page-390-before-scrolling.png")
    load_sections(page)
    expect(page.locator("#chart-kpi-adoption_rate")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, artifacts_dir, "use-case-page-390-sections-loaded.png")
    for section in ("trends", "value"):
        page.locator(f"#{section}").screenshot(
            path=os.path.join(artifacts_dir, f"use-case-page-narrow-{section}.png")
        )


def test_without_javascript_the_tables_show(browser, setup, artifacts_dir):
    base_url, owner, use_case = setup
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    path = f"/use-cases/{use_case.pk}/"
    log_in(page, base_url, owner.username, path)
    expect(page.locator("canvas[data-chart]").first).to_be_hidden()
    expect(page.locator("#waterfall-table")).to_be_visible()
    # A section that loads as needed is a plain link without JavaScript: its own page.
    page.get_by_role("link", name="Open the section “KPI trends”").click()
    expect(page.locator("h2#trends-title")).to_have_text("KPI trends")
    expect(page.locator("#kpi-table")).to_be_visible()
    expect(page.locator("#kpi-table tbody tr")).to_have_count(24)
    shot(page, artifacts_dir, "use-case-section-no-js.png")
    page.get_by_role("link", name="History").click()
    expect(page.locator("h2#history-title")).to_be_visible()
    page.get_by_role("link", name="Back to the use case page").click()
    expect(page.locator("#waterfall-table")).to_be_visible()
    page.fill("#range-start", "2026-06")
    page.fill("#range-end", "2026-06")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#value-title")).to_contain_text("Jun 2026")
    shot(page, artifacts_dir, "use-case-page-no-js.png")
    context.close()


def test_import_weekly_reviews(page, setup, artifacts_dir, tmp_path):
    base_url, owner, use_case = setup
    page.set_viewport_size({"width": 1280, "height": 900})
    path = f"/use-cases/{use_case.pk}/"
    log_in(page, base_url, owner.username, path)
    page.get_by_role("link", name="Import weekly reviews").first.click()
    expect(page.locator("h1")).to_have_text("Import weekly reviews")
    shot(page, artifacts_dir, "import-upload.png")

    header = (
        "week,active_users,tasks_total,tasks_with_ai,reworked_outputs,exceptions,"
        "minutes_saved_per_task,rework_minutes_per_output,quality_score,backlog"
    )
    bad = tmp_path / "weeks.csv"
    bad.write_text(
        f"{header}\n2026-W47,70,1000,800,40,10,3,5,88,90\n2026-W22,x,1000,800,40,10,3,5,88,90\n"
    )
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-errors")).to_contain_text("Nothing has been imported.")
    expect(page.locator("table.import-errors tbody tr")).to_have_count(1)
    expect(page.locator("table.import-errors")).to_contain_text("active_users")
    shot(page, artifacts_dir, "import-preview-errors.png")

    good = tmp_path / "weeks-fixed.csv"
    good.write_text(
        f"{header}\n2026-W47,70,1000,800,40,10,3,5,88,90\n2026-W22,65,1000,800,40,10,3,5,88,90\n"
    )
    page.get_by_role("link", name="Upload the corrected file").click()
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-ready")).to_contain_text("Every row is valid.")
    shot(page, artifacts_dir, "import-preview-ready.png")
    page.get_by_role("button", name="Import 2 weekly reviews").click()
    page.wait_for_url(f"{base_url}{path}#reviews")
    expect(page.locator(".messages")).to_contain_text("2 weekly reviews imported")
    expect(page.locator("#weekly-table")).to_contain_text("2026-W47")
    assert WeeklyReview.objects.filter(use_case=use_case).count() == 26
