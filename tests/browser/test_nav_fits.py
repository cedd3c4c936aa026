"""The main navigation is one line wherever it shows as a bar (1280 px and wider): the PMO, who has
the most links (Policy, Overdue, Model prices, Alerts besides everyone's), included. Below
1280 px it is the Menu button (tests/browser/test_crawl.py covers 390 px)."""

import pytest

from tests.browser.helpers import BROWSER, log_in
from tests.conftest import make_user

pytestmark = BROWSER


@pytest.mark.parametrize("width", [1280, 1366, 1440])
def test_the_pmos_navigation_is_one_line(browser, live_server, width):
    make_user("pia", "PMO", first_name="Pia", last_name="PMO")
    page = browser.new_page(viewport={"width": width, "height": 800})
    log_in(page, live_server.url, "pia")
    page.goto(live_server.url + "/portfolio/")
    tops = page.eval_on_selector_all(
        "nav.mainnav a, .userbox a", "links => links.map(a => a.getBoundingClientRect().top)"
    )
    assert len(tops) >= 12
    assert max(tops) - min(tops) < 4, f"the navigation wraps at {width} px: {sorted(set(tops))}"
    page.close()
