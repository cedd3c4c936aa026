"""Signing out after a single sign-on (portfolio/sso_logout.py) against the real provider: the
browser is sent to the provider's end_session_endpoint with the ID token as hint and the login
page to come back to, and the provider accepts both; a password sign-in, a provider without the
endpoint or out of reach sign out locally. The browser test (the provider's session really ends)
is in test_sso_browser.py."""

import base64
import json
import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.urls import reverse

from tests.conftest import PASSWORD, make_user

from .conftest import CALLBACK, configure_sso, start_provider
from .provider import CLIENT_ID, USERS
from .test_sso import signed_in_user, sso_login

pytestmark = pytest.mark.django_db


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def confirm_at_provider(end_session_url: str) -> str:
    """The user at the provider's sign-out page answering "Yes, sign me out"; where the provider
    sends the browser then."""
    session = requests.Session()
    page = session.get(end_session_url, timeout=10)
    assert page.status_code == 200, page.text
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1))
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        urljoin(end_session_url, action),
        data={"xsrf": xsrf, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.is_redirect, answer.text
    return answer.headers["Location"]


def test_signing_out_after_single_sign_on_ends_the_session_at_the_provider(client, idp):
    sso_login(client, idp, "ann")
    assert signed_in_user(client) is not None

    response = client.post(reverse("logout"))
    assert signed_in_user(client) is None  # Valuegate's session ends first
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{idp.url}/session/end?")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert query["client_id"] == [CLIENT_ID]
    hint = jwt_claims(query["id_token_hint"][0])
    assert (hint["sub"], hint["aud"], hint["iss"]) == (USERS["ann"]["sub"], CLIENT_ID, idp.url)

    # The provider accepts the hint and the registered URI: back to Valuegate's login page.
    assert confirm_at_provider(location) == "http://testserver/accounts/login/"


def test_a_password_sign_in_signs_out_locally(client, idp, owner):
    client.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert signed_in_user(client) == owner
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_user(client) is None


def test_a_password_sign_in_after_single_sign_on_forgets_the_id_token(client, idp):
    """A staff member signed in by single sign-on signs in again with a password at the admin's
    login (Django keeps the session's data for the same user): the sign-out is then local."""
    ann = make_user("ann", is_staff=True)  # a local account with a password, linked below
    sso_login(client, idp, "ann")
    response = client.post(
        reverse("admin:login"), {"username": "ann", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and signed_in_user(client) == ann
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")


def test_a_provider_without_end_session_endpoint_signs_out_locally(client, tmp_path, settings):
    provider = start_provider(tmp_path, [f"http://testserver{CALLBACK}"], end_session=False)
    try:
        configure_sso(settings, provider.url)
        discovery = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=10)
        assert "end_session_endpoint" not in discovery.json()
        sso_login(client, provider, "ann")
        response = client.post(reverse("logout"))
    finally:
        provider.stop()
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_user(client) is None


def test_a_provider_out_of_reach_at_sign_out_still_signs_out_locally(client, idp):
    sso_login(client, idp, "ann")
    idp.stop()
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_user(client) is None


def test_an_end_session_endpoint_on_another_host_is_a_link_not_a_redirect(client, idp, settings):
    """The CSP's form-action allows the issuer's host only: the sign-out form's redirect to
    another host would be blocked by the browser, so the page links to it instead."""
    other_host = f"http://localhost:{idp.port}/session/end"
    app = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]
    app["settings"]["openid_configuration_overrides"]["end_session_endpoint"] = other_host
    sso_login(client, idp, "ann")
    response = client.post(reverse("logout"))
    assert response.status_code == 200 and signed_in_user(client) is None
    page = response.content.decode()
    assert f'href="{other_host}?id_token_hint=' in page
    assert "Signed out of Valuegate" in page
