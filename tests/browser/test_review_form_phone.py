"""The review forms on a phone (390 × 844 px): the figures panel stays at the bottom of the
screen while one types, and the field one moves to with Tab is never hidden under it."""

import os

import pytest

from tests.browser.helpers import BROWSER, log_in
from tests.conftest import make_use_case, make_user

pytestmark = BROWSER

FOCUSED_UNDER_PANEL = """() => {
    const field = document.activeElement;
    if (!field || !field.matches('input, select, textarea')) return null;
    const box = field.getBoundingClientRect();
    const panel = document.querySelector('.figures-panel').getBoundingClientRect();
    return {id: field.id, bottom: Math.round(box.bottom), panel: Math.round(panel.top)};
}"""


@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_a_field_moved_to_with_tab_is_not_under_the_figures_panel(
    page, live_server, artifacts_dir, kind
):
    owner = make_user("olivia")
    use_case = make_use_case(owner=owner)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/reviews/use-cases/{use_case.pk}/{kind}/new/")
    page.locator("form.review-form input:visible").first.focus()
    seen, hidden = [], []
    for _ in range(40):
        page.keyboard.press("Tab")
        where = page.evaluate(FOCUSED_UNDER_PANEL)
        if where is None or where["id"] in seen:
            continue
        seen.append(where["id"])
        if where["bottom"] > where["panel"]:
            hidden.append(where)
        if len(seen) == 6:  # a field well down the form, as the screen shows it
            page.screenshot(path=os.path.join(artifacts_dir, f"review-form-phone-{kind}.png"))
    assert len(seen) >= 8  # the form's fields were visited
    assert hidden == []
