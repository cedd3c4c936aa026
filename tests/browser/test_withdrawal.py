"""Issue 14, item 2 in a real browser: the owner corrects a typo (60 → 30 reworked outputs of
300) and the use case page shows Rollout / Funded again and the withdrawn flag."""

import datetime
import os

from playwright.sync_api import expect

from reviews import services
from reviews.models import Flag, FlagResolution
from tests.browser.helpers import BROWSER, frozen_at, log_in
from tests.conftest import make_use_case, make_user
from tests.reviews.stoploss_helpers import HEALTHY
from usecases.models import Funding, Stage

pytestmark = BROWSER

NOW = datetime.datetime(2026, 12, 2, 13, tzinfo=datetime.UTC)  # Wednesday of 2026-W49


frozen_today = frozen_at(NOW)


def test_owner_corrects_a_typo_and_the_penalty_goes(page, live_server, artifacts_dir):
    owner = make_user("olivia", first_name="Olivia", last_name="Owens")
    make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    use_case = make_use_case(
        "Job ad writer", owner=owner, stage=Stage.ROLLOUT, funding_status=Funding.FUNDED
    )
    figures = {**HEALTHY, "tasks_total": 400, "tasks_with_ai": 300, "reworked_outputs": 60}
    review = services.weekly_review_submit(
        user=owner, use_case=use_case, week="2026-W48", data=figures
    )
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.funding_status) == (Stage.REDESIGN, Funding.CONDITIONAL)

    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, owner.username, f"/reviews/weekly/{review.pk}/")
    page.fill("#id_reworked_outputs", "30")
    expect(page.locator("#figure-rework_rate .figure")).to_have_text("10.0%")
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_url(f"{live_server.url}/use-cases/{use_case.pk}/")

    expect(page.locator(".msg-warning")).to_contain_text(
        "withdrawn: rework rate now 10.0%. Job ad writer returned to Rollout / Funded"
    )
    header = page.locator(".page-head").first
    expect(page.get_by_text("Rollout", exact=True).first).to_be_visible()
    expect(page.get_by_text("Funding: Funded")).to_be_visible()
    assert "Redesign" not in header.inner_text()
    flags = page.locator("#flags")
    expect(flags).to_contain_text("No open flags")
    flags.locator("summary", has_text="Resolved and historical flags").click()
    expect(flags).to_contain_text("Withdrawn by correction")
    expect(flags).to_contain_text(
        "withdrawn: review 2026-W48 corrected by olivia at 2026-12-02 14:0"
    )
    expect(flags).to_contain_text("rework rate now 10.0%")
    page.screenshot(
        path=os.path.join(artifacts_dir, "withdrawal-use-case-page.png"), full_page=True
    )
    flag = Flag.objects.get(use_case=use_case)
    assert flag.resolution_kind == FlagResolution.WITHDRAWN
