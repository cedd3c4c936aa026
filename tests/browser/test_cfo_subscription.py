"""The CFO report e-mail subscription in a real browser: a Leadership member subscribes and
unsubscribes on the CFO report page (wide and narrow screens, saved as screenshots); a value owner
sees no toggle."""

import pytest
from playwright.sync_api import expect

from portfolio.models import CfoReportSubscription
from tests.browser.helpers import BROWSER, log_in, shot
from tests.browser.test_dashboard import frozen_today, portfolio  # noqa: F401

pytestmark = BROWSER


@pytest.mark.parametrize("width", [1440, 390])
def test_leader_subscribes_and_unsubscribes(page, portfolio, artifacts_dir, width):  # noqa: F811
    base_url, users = portfolio
    leader = users["leader"]
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, base_url, leader.username)
    page.goto(f"{base_url}/reports/cfo/")
    toggle = page.locator("#cfo-subscription")
    toggle.get_by_role("button", name="Subscribe").click()
    expect(toggle.get_by_role("button", name="Unsubscribe")).to_be_visible()
    assert CfoReportSubscription.objects.filter(user=leader).exists()
    shot(page, artifacts_dir, f"cfo-subscribed-{width}.png")
    toggle.get_by_role("button", name="Unsubscribe").click()
    expect(toggle.get_by_role("button", name="Subscribe")).to_be_visible()
    assert not CfoReportSubscription.objects.filter(user=leader).exists()


def test_value_owner_sees_no_toggle(page, portfolio):  # noqa: F811
    base_url, users = portfolio
    log_in(page, base_url, users["owner"].username)
    page.goto(f"{base_url}/reports/cfo/")
    expect(page.get_by_role("heading", name="CFO report")).to_be_visible()
    expect(page.locator("#cfo-subscription")).to_have_count(0)
