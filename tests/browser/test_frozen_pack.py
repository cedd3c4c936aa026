"""A closed gate never changes, in a real browser: the pack of a closed gate's item shows the
figures frozen at closing after a new weekly review, and its "Today's live figures" link shows
the new ones (issue 15, item 3). Screenshots go to the test artifacts folder."""

import datetime
import os

import pytest
from playwright.sync_api import expect

from reviews import services as review_services
from stagegates import services, voting
from tests.browser.helpers import BROWSER, frozen_at, log_in
from tests.conftest import make_use_case, make_user
from tests.stagegates.helpers import WEEK_FIGURES, monthly, weekly

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 9, tzinfo=datetime.UTC)


frozen_today = frozen_at(NOW)


@pytest.fixture
def closed_item(live_server):
    """Quarter 2026-08..10 at −1,300 a month (−3,900); the gate closed; then a weekly review of
    2026-W43 (+1,200 in October) submitted by the owner: live −2,700."""
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    leader = make_user("lena", "Leadership", first_name="Lena", last_name="Leader")
    pmo = make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    use_case = make_use_case(owner=owner)
    for month, week in (("2026-08", "2026-W32"), ("2026-09", "2026-W36"), ("2026-10", "2026-W41")):
        weekly(use_case, week)
        monthly(use_case, month)
    gate = services.gate_create(
        user=pmo,
        data={
            "quarter": "2026-Q4",
            "opens_on": datetime.date(2026, 11, 16),
            "closes_on": datetime.date(2026, 12, 4),
            "chair": leader,
        },
    )
    gate = services.gate_open_voting(user=pmo, gate=gate)
    item = gate.items.get(use_case=use_case)
    voting.vote_cast(user=leader, item=item, choice="hold", rationale="Not proven yet.")
    services.gate_close(user=pmo, gate=gate)
    review_services.weekly_review_submit(
        user=owner,
        use_case=use_case,
        week="2026-W43",
        data=dict(WEEK_FIGURES),
    )
    return live_server.url, leader, item


def test_the_closed_gate_pack_stays_frozen_after_a_new_review(page, closed_item, artifacts_dir):
    base_url, leader, item = closed_item
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    path = f"/gates/items/{item.pk}/"
    log_in(page, base_url, leader.username, path)

    banner = page.locator("#snapshot")
    expect(banner).to_contain_text("Frozen at closing")
    expect(banner).to_contain_text("2026-11-25")
    figures = page.locator(".grid")
    expect(figures).to_contain_text("−EUR 3,900.00")
    expect(figures).not_to_contain_text("−EUR 2,700.00")
    expect(page.locator("table.trend")).not_to_contain_text("2026-W43")
    page.screenshot(path=os.path.join(artifacts_dir, "gate-pack-frozen.png"), full_page=True)

    page.get_by_role("link", name="Today's live figures").click()
    page.wait_for_url(f"{base_url}{path}?live=1")
    expect(page.locator("#snapshot")).to_contain_text("Today's live figures, computed now")
    expect(page.locator(".grid")).to_contain_text("−EUR 2,700.00")
    expect(page.locator("table.trend")).to_contain_text("2026-W43")
    page.screenshot(path=os.path.join(artifacts_dir, "gate-pack-live.png"), full_page=True)

    page.get_by_role("link", name="The pack frozen at closing").click()
    page.wait_for_url(f"{base_url}{path}")
    expect(page.locator(".grid")).to_contain_text("−EUR 3,900.00")
    assert errors == []
