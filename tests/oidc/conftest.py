"""Fixtures for single sign-on against a real OpenID Connect provider (``provider.py``)."""

import pytest

from portfolio.settings import csp_form_action, oidc_providers

from .provider import CLIENT_ID, CLIENT_SECRET, LEADERSHIP_GROUP, PMO_GROUP, USERS, Provider

CALLBACK = "/accounts/oidc/sso/login/callback/"
LOGIN = "/accounts/login/"  # where the provider sends the browser back after signing out
LABEL = "Sign in with Test IdP"


def start_provider(tmp_path, redirect_uris, issuer=None, *, end_session=True) -> Provider:
    """The provider with Valuegate registered: each redirect URI's site's login page is its
    post-logout redirect URI."""
    provider = Provider(
        users_file=tmp_path / "idp-users.json",
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=[uri.replace(CALLBACK, LOGIN) for uri in redirect_uris],
        end_session=end_session,
    )
    provider.issuer = issuer
    provider.write_users(USERS)
    return provider.start()


def configure_sso(settings, issuer: str, *, sso_only: bool = False) -> None:
    """The settings ``OIDC_*`` would give (portfolio/settings.py) for this provider."""
    settings.OIDC_ISSUER = issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_BUTTON_LABEL = LABEL
    settings.OIDC_SCOPES = ["openid", "profile", "email", "groups"]
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_PMO_GROUPS = [PMO_GROUP]
    settings.OIDC_LEADERSHIP_GROUPS = [LEADERSHIP_GROUP]
    settings.SSO_ONLY = sso_only
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": csp_form_action(issuer)}
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
        issuer, CLIENT_ID, CLIENT_SECRET, LABEL, settings.OIDC_SCOPES
    )


@pytest.fixture
def idp(tmp_path, settings):
    """The provider, for Django's test client (``http://testserver``), and SSO configured."""
    provider = start_provider(tmp_path, [f"http://testserver{CALLBACK}"])
    configure_sso(settings, provider.url)
    yield provider
    provider.stop()
