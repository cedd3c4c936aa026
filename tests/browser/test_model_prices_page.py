"""The PMO's model price page in Chromium at 1440 and 390 px: the unpriced model is listed, a
price is added through the form, the page never scrolls sideways (screenshots in the test
artifacts folder)."""

import datetime
import os

from reviews.models import ModelPrice, TelemetryTokens
from tests.browser.helpers import BROWSER, log_in
from tests.conftest import make_use_case, make_user

pytestmark = BROWSER


def test_the_pmo_prices_an_unpriced_model(page, live_server, artifacts_dir):
    make_user("pia", "PMO")
    use_case = make_use_case(owner=make_user("olivia"))
    ModelPrice.objects.create(
        model="gpt-4o",
        input_per_million=2.5,
        output_per_million=10,
        currency="EUR",
        effective_from=datetime.date(2026, 11, 1),
    )
    TelemetryTokens.objects.create(
        use_case=use_case,
        day=datetime.date(2026, 11, 24),
        model="claude-sonnet-4-5",
        input_tokens=1_500_000,
        output_tokens=90_000,
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url, "pia")
    page.goto(f"{live_server.url}/reviews/model-prices/")
    unpriced = page.locator("div.table-scroll[aria-label='Unpriced models']")
    assert "claude-sonnet-4-5" in unpriced.inner_text()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(
            path=os.path.join(artifacts_dir, f"model-prices-{width}.png"), full_page=True
        )
    page.set_viewport_size({"width": 1440, "height": 900})
    page.fill("#id_model", "claude-sonnet-4-5")
    page.fill("#id_effective_from", "2026-11-01")
    page.fill("#id_input_per_million", "3")
    page.fill("#id_output_per_million", "15")
    page.get_by_role("button", name="Add price").click()
    page.wait_for_url(f"{live_server.url}/reviews/model-prices/")
    assert "Every model seen in telemetry has a price." in page.content()
    assert ModelPrice.objects.filter(model="claude-sonnet-4-5", currency="EUR").exists()
