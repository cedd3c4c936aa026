"""The two-factor pages (allauth.mfa in the app's layout) in Chromium, at 1440 and 390 px: the
overview, turning on the authenticator app (QR code and secret), the recovery codes, the code
asked at sign-in and turning it off. Each page: no sideways scrolling, nothing of its own wider
than the window (the QR code, the secret, the list of codes), no console error, no serious or
critical axe-core violation; a screenshot of each in the test artifacts."""

import os

from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.browser.helpers import BROWSER, log_in
from tests.conftest import PASSWORD
from tests.portfolio.test_mfa import recovery_codes, totp

from .test_crawl import axe_violations, page_width, watch_console

pytestmark = BROWSER

WIDTHS = ((1440, 900), (390, 844))

#: Elements that must fit in the window at 390 px (the page could hide an overflow of its own).
FITS = "main.allauth :is(img, input, textarea, ul, pre, button, .button)"


def check_page(page, artifacts_dir, name: str, errors: list[str]) -> None:
    problems = []
    for index, (width, height) in enumerate(WIDTHS):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=os.path.join(artifacts_dir, f"mfa-{name}-{width}.png"), full_page=True)
        if page_width(page) > width:
            problems.append(f"{name} scrolls sideways at {width} px ({page_width(page)})")
        too_wide = page.eval_on_selector_all(
            FITS,
            "(els, width) => els.filter(e => e.getBoundingClientRect().right > width + 0.5)"
            ".map(e => e.tagName + (e.id ? '#' + e.id : ''))",
            width,
        )
        if too_wide:
            problems.append(f"{name} at {width} px: wider than the window: {too_wide}")
        problems += [f"{name} at {width} px: {v}" for v in axe_violations(page, contrast=not index)]
    page.set_viewport_size({"width": 1440, "height": 900})
    assert problems == [] and errors == []


def confirm_password_if_asked(page, artifacts_dir, errors: list[str]) -> None:
    """allauth asks for the password again before a two-factor change (its own page)."""
    if "/accounts/reauthenticate/" not in page.url:
        return
    check_page(page, artifacts_dir, "reauthenticate", errors)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


def test_the_two_factor_pages_render_in_the_layout(page, live_server, owner, artifacts_dir):
    base = live_server.url
    errors = watch_console(page)
    log_in(page, base, owner.username)

    page.get_by_role("link", name="Two-factor").click()
    page.wait_for_url(f"{base}/accounts/2fa/")
    expect(page.locator("main.allauth h1")).to_be_visible()
    # The panel's actions are a row of buttons, not a bulleted list (allauth's own markup).
    expect(page.locator("main.allauth section .actions .button")).to_have_count(1)
    expect(page.locator("main.allauth li .button")).to_have_count(0)
    check_page(page, artifacts_dir, "index", errors)

    page.goto(f"{base}/accounts/2fa/totp/activate/")
    confirm_password_if_asked(page, artifacts_dir, errors)
    expect(page.locator("main.allauth img")).to_be_visible()  # the QR code
    check_page(page, artifacts_dir, "activate", errors)
    secret = page.locator("#authenticator_secret").input_value()
    help_text = page.locator("#authenticator_secret ~ span")  # under the secret, not beside it
    assert help_text.evaluate("e => getComputedStyle(e).display") == "block"
    page.fill("#id_code", totp(secret))
    page.locator("main.allauth button[type=submit]").first.click()
    page.wait_for_load_state()
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()

    page.goto(f"{base}/accounts/2fa/recovery-codes/")
    codes = recovery_codes(owner)
    expect(page.locator("main.allauth")).to_contain_text(codes[0])
    font = page.locator("#recovery_codes").evaluate("e => getComputedStyle(e).fontFamily")
    assert "monospace" in font
    check_page(page, artifacts_dir, "recovery-codes", errors)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/accounts/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/accounts/2fa/authenticate/")
    # "Sign In" is the one primary action; "Cancel" is not dressed as one.
    expect(page.locator("main.allauth button.primary")).to_have_count(1)
    expect(page.get_by_role("button", name="Cancel")).not_to_have_class("primary")
    check_page(page, artifacts_dir, "authenticate", errors)
    page.fill("#id_code", codes[1])  # the set-up's TOTP code is spent: a recovery code
    page.locator("main.allauth button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/accounts/2fa/totp/deactivate/")
    confirm_password_if_asked(page, artifacts_dir, errors)
    expect(page.locator("main.allauth button.danger")).to_have_count(1)  # turning it off
    check_page(page, artifacts_dir, "deactivate", errors)
    page.locator("main.allauth button[type=submit]").first.click()
    page.wait_for_url(f"{base}/accounts/2fa/")
    assert not Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()
