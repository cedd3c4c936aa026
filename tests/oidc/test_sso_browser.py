"""The whole single sign-on in Chromium against the real provider: the button on the login page,
the provider's sign-in form, back in Valuegate signed in with the role the groups claim gives;
the login page with the button at 1440 and 390 px (screenshots in the test artifacts)."""

import os

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from usecases.roles import PMO

from .conftest import CALLBACK, LABEL, configure_sso, start_provider
from .provider import USERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

User = get_user_model()


@pytest.fixture
def browser_idp(live_server, tmp_path, settings):
    provider = start_provider(tmp_path, [f"{live_server.url}{CALLBACK}"])
    configure_sso(settings, provider.url)
    yield live_server.url, provider
    provider.stop()


def test_single_sign_on_in_the_browser(page, browser_idp, artifacts_dir):
    base_url, provider = browser_idp
    errors: list[str] = []

    def on_console(msg):
        if msg.type == "error" and not msg.location.get("url", "").startswith(provider.url):
            errors.append(f"{msg.text} ({msg.location.get('url', '')})")  # ours, not the IdP's

    page.on("console", on_console)

    page.goto(f"{base_url}/accounts/login/")
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=os.path.join(artifacts_dir, f"login-sso-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1440, "height": 900})

    page.get_by_role("button", name=LABEL).click()
    page.wait_for_url(f"{provider.url}/interaction/**")
    page.fill("#username", "ann")
    page.fill("#password", USERS["ann"]["password"])
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{base_url}/")
    expect(page.locator(".userbox .who")).to_contain_text("PMO")
    ann = User.objects.get(username="ann")
    assert set(ann.groups.values_list("name", flat=True)) == {PMO}
    assert errors == []


def test_a_wrong_password_at_the_provider_signs_nobody_in(page, browser_idp):
    base_url, provider = browser_idp
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_role("button", name=LABEL).click()
    page.fill("#username", "ann")
    page.fill("#password", "not-her-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#error")).to_contain_text("Wrong username or password")
    assert not User.objects.filter(username="ann").exists()


def sign_in_at_the_provider(page, base_url, provider, username="ann"):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_role("button", name=LABEL).click()
    page.wait_for_url(f"{provider.url}/interaction/**")
    page.fill("#username", username)
    page.fill("#password", USERS[username]["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def test_signing_out_ends_the_providers_session_too(page, browser_idp, artifacts_dir):
    """After Valuegate's "Log out" the provider's session is gone: the next single sign-on
    asks for the username and password again (the next person at this browser is not signed
    in as the last one)."""
    base_url, provider = browser_idp
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in_at_the_provider(page, base_url, provider)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{provider.url}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{base_url}/accounts/login/")
    page.screenshot(path=os.path.join(artifacts_dir, "logout-sso-back.png"), full_page=True)

    page.get_by_role("button", name=LABEL).click()
    page.wait_for_url(f"{provider.url}/interaction/**")
    expect(page.locator("#username")).to_be_visible()  # credentials asked again


def test_without_end_session_the_provider_signs_the_next_login_straight_in(
    page, live_server, tmp_path, settings
):
    """The counterpart: a provider that advertises no end_session_endpoint keeps its session
    after a (local) sign-out, and the next single sign-on goes straight through."""
    provider = start_provider(tmp_path, [f"{live_server.url}{CALLBACK}"], end_session=False)
    try:
        configure_sso(settings, provider.url)
        sign_in_at_the_provider(page, live_server.url, provider)
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{live_server.url}/accounts/login/")
        page.get_by_role("button", name=LABEL).click()
        page.wait_for_url(f"{live_server.url}/")  # no sign-in form at the provider
        expect(page.locator(".userbox .who")).to_contain_text("PMO")
    finally:
        provider.stop()
