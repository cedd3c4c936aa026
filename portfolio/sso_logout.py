"""Signing out after a single sign-on: of Valuegate, then of the identity provider.

django-allauth (65.x) has no RP-initiated logout for the providers it signs in with (it only
implements the provider side, ``allauth.idp``), so it is done here, per OpenID Connect
RP-Initiated Logout 1.0:

- **At sign-in** the provider's ID token (the signed JWT, as received) is kept in the session, and
  only there (``SOCIALACCOUNT_STORE_TOKENS`` stays off): ``OIDCAdapter`` notes it when the code
  is exchanged, ``remember_id_token`` keeps it once the sign-in completes (also after a two-factor
  step) for the same subject. Any other sign-in drops it (``forget_id_token``).
- **At sign-out** (``LogoutView``, a POST): when the session holds an ID token and the provider's
  discovery document advertises an ``end_session_endpoint``, Valuegate's session ends and the
  browser goes there with ``id_token_hint``, ``client_id`` and ``post_logout_redirect_uri`` (the
  login page, to register at the provider). Otherwise, or when the provider cannot be reached, a
  plain local sign-out to the login page.
- An end-session endpoint on another host than the issuer is not a redirect (the CSP's
  ``form-action`` allows the issuer's host only): a page says Valuegate's sign-out is done and
  links to the provider's.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.conf import settings
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

log = logging.getLogger(__name__)

#: The session's ID token of the current single sign-on (for ``id_token_hint``).
ID_TOKEN_KEY = "valuegate_sso_id_token"
#: The ID token of a sign-in not completed yet (a two-factor step may follow): token and subject.
PENDING_KEY = "valuegate_sso_id_token_pending"


class OIDCAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's OpenID Connect adapter; notes the ID token as received (``PENDING_KEY``)."""

    def complete_login(self, request, app, token, **kwargs):
        sociallogin = super().complete_login(request, app, token, **kwargs)
        id_token = (kwargs.get("response") or {}).get("id_token")
        if id_token:
            request.session[PENDING_KEY] = {"id_token": id_token, "uid": sociallogin.account.uid}
        return sociallogin


def _adapter_view(view_class, request, provider_id):
    """allauth's ``openid_connect`` views with ``OIDCAdapter`` (404 when not configured)."""
    try:
        return view_class.adapter_view(OIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404("Single sign-on is not configured.") from exc


@login_not_required
def oidc_login(request, provider_id):
    return _adapter_view(OAuth2LoginView, request, provider_id)


@login_not_required
def oidc_callback(request, provider_id):
    return _adapter_view(OAuth2CallbackView, request, provider_id)


def forget_id_token(request) -> None:
    """Any sign-in: the previous single sign-on's ID token no longer describes this session."""
    request.session.pop(ID_TOKEN_KEY, None)


def remember_id_token(request, sociallogin) -> None:
    """A completed single sign-on: keep its ID token if it is this subject's."""
    pending = request.session.pop(PENDING_KEY, None)
    if pending and pending.get("uid") == sociallogin.account.uid:
        request.session[ID_TOKEN_KEY] = pending["id_token"]


def end_session_url(request) -> str | None:
    """The provider's end-session URL for this session (None: sign out locally only)."""
    id_token = request.session.get(ID_TOKEN_KEY)
    if not (id_token and settings.OIDC_ISSUER):
        return None
    try:
        config = OIDCAdapter(request, settings.OIDC_PROVIDER_ID).openid_config
    except (requests.RequestException, ValueError) as exc:
        log.warning("Sign-out at the identity provider skipped: discovery failed (%s)", exc)
        return None
    endpoint = config.get("end_session_endpoint")
    if not endpoint or urlsplit(endpoint).scheme not in ("https", "http"):
        log.info("The identity provider advertises no end_session_endpoint: local sign-out only")
        return None
    parts = urlsplit(endpoint)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        ("id_token_hint", id_token),
        ("client_id", settings.OIDC_CLIENT_ID),
        ("post_logout_redirect_uri", build_absolute_uri(request, reverse("login"))),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


class LogoutView(auth_views.LogoutView):
    """Django's sign-out (POST); after a single sign-on, on to the provider's end-session."""

    def post(self, request, *args, **kwargs):
        url = end_session_url(request)
        if url is None:
            return super().post(request, *args, **kwargs)
        auth_logout(request)
        if _same_origin(url, settings.OIDC_ISSUER):
            return HttpResponseRedirect(url)
        return render(request, "account/sso_logout.html", {"end_session_url": url})
