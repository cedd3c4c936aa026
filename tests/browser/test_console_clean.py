"""The browser console stays clean (issue 16): no Content-Security-Policy violation, script error
or missing file while a leader votes through htmx on a gate item page (twice), on the browsable
API, in the admin, and on the 403 and 404 pages — which show the app's layout with the reason.
The one error a browser always logs for a page answered 403 or 404 (its own status line for the
document) is expected and is the only one allowed. Screenshots of the error pages at 1440 and
390 px go to the test artifacts folder (``error-*.png``)."""

import datetime
import os

import pytest
from playwright.sync_api import expect

from stagegates import services
from tests.browser.helpers import BROWSER, frozen_at, log_in
from tests.conftest import PASSWORD, make_use_case, make_user
from tests.factories import AdminFactory

pytestmark = BROWSER

NOW = datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC)  # the 2026-Q4 gate is open


frozen_today = frozen_at(NOW)


@pytest.fixture
def world(live_server):
    pmo = make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    lena = make_user("lena", "Leadership", first_name="Lena", last_name="Chair")
    make_user("leo", "Leadership", first_name="Leo", last_name="Leader")
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    AdminFactory(username="root")
    use_case = make_use_case(name="Invoice matching", owner=owner)
    gate = services.gate_create(
        user=pmo,
        data={
            "quarter": "2026-Q4",
            "opens_on": datetime.date(2026, 11, 16),
            "closes_on": datetime.date(2026, 12, 4),
            "chair": lena,
        },
    )
    services.gate_open_voting(user=pmo, gate=gate)
    return live_server.url, gate.items.get(use_case=use_case)


class Console:
    """Every console error and uncaught script error of a page."""

    def __init__(self, page):
        self.errors: list[tuple[str, str]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append((f"script error: {exc}", "")))

    def _console(self, msg):
        if msg.type == "error":
            self.errors.append((msg.text, msg.location.get("url", "")))

    def take(self, *, document: str = "", status: int = 0) -> list[str]:
        """The errors since the last call, less the browser's own line for ``document``
        answered with ``status``."""
        expected = f"the server responded with a status of {status}"
        found = [
            text
            for text, url in self.errors
            if not (status and url == document and expected in text)
        ]
        self.errors.clear()
        return found


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")  # the icon, styles and scripts have loaded
    return response


def test_voting_api_admin_and_error_pages_log_no_console_error(browser, page, world, artifacts_dir):
    base_url, item = world
    console = Console(page)
    page.set_viewport_size({"width": 1440, "height": 900})

    # A leader votes, then changes the vote: two htmx swaps of the voting section.
    log_in(page, base_url, "lena")
    visit(page, f"{base_url}/gates/items/{item.pk}/")
    page.locator("#voting input[value=redesign]").check()
    page.locator("#voting textarea").fill("Rework is too high.")
    page.get_by_role("button", name="Cast vote").click()
    expect(page.locator("#voting")).to_contain_text("Your vote: Redesign")
    page.locator("#voting input[value=hold]").check()
    page.locator("#voting textarea").fill("Wait for the next quarter's data.")
    page.get_by_role("button", name="Change vote").click()
    expect(page.locator("#voting")).to_contain_text("Your vote: Hold")
    page.wait_for_load_state("networkidle")
    assert console.take() == []

    # The browsable API: its root, a list with the filters button, a detail with its forms.
    for path in ("/api/v1/", "/api/v1/use-cases/", f"/api/v1/gate-items/{item.pk}/"):
        assert visit(page, f"{base_url}{path}").status == 200
        expect(page.locator(".navbar-brand").first).to_have_text("Valuegate")
        assert console.take() == [], path
    page.screenshot(path=os.path.join(artifacts_dir, "error-api-detail-1440.png"))

    # 403 and 404 in the layout, with the navigation.
    page.context.clear_cookies()
    log_in(page, base_url, "olivia")
    overdue = f"{base_url}/overdue/"
    assert visit(page, overdue).status == 403
    expect(page.locator("h1")).to_have_text("You cannot open this page")
    expect(page.locator(".error-message")).to_have_text("The overdue tracker is for the PMO.")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "error-403-1440.png"), full_page=True)
    assert console.take(document=overdue, status=403) == []
    page.set_viewport_size({"width": 390, "height": 844})
    visit(page, overdue)
    expect(page.locator(".error-message")).to_be_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "error-403-390.png"), full_page=True)
    assert console.take(document=overdue, status=403) == []
    page.set_viewport_size({"width": 1440, "height": 900})
    missing = f"{base_url}/no-such-page/"
    assert visit(page, missing).status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    page.screenshot(path=os.path.join(artifacts_dir, "error-404-1440.png"), full_page=True)
    assert console.take(document=missing, status=404) == []

    # The admin, logged out (its login page) and in.
    page.context.clear_cookies()
    visit(page, f"{base_url}/admin/login/")
    expect(page.locator("#site-name")).to_have_text("Valuegate administration")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{base_url}/admin/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=os.path.join(artifacts_dir, "error-admin-1440.png"))
    assert console.take() == []

    # A browser that asks for /favicon.ico by itself gets the icon.
    assert visit(page, f"{base_url}/favicon.ico").status == 200
    assert console.take() == []
