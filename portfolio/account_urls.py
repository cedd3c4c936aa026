"""The sign-in pages under ``/accounts/`` (django-allauth), only those Valuegate uses.

Not ``allauth.urls`` whole: no sign-up, no e-mail management, no password reset by e-mail, no
account connections page. Two-factor pages under ``2fa/``; the single sign-on provider's login
and callback under ``oidc/<OIDC_PROVIDER_ID>/`` (the redirect URI to register at the provider:
``<site>/accounts/oidc/sso/login/callback/``; the sign-out's post-logout redirect URI:
``<site>/accounts/login/``).
"""

from allauth.account import views as account_views
from allauth.socialaccount import views as social_views
from django.conf import settings
from django.urls import include, path

from .sso import LoginView
from .sso_logout import LogoutView, oidc_callback, oidc_login

PROVIDER = {"provider_id": settings.OIDC_PROVIDER_ID}

urlpatterns = [
    path("login/", LoginView.as_view(), name="account_login"),
    path("logout/", LogoutView.as_view(), name="account_logout"),
    path("inactive/", account_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("2fa/", include("allauth.mfa.urls")),
    path("sso/cancelled/", social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("sso/error/", social_views.login_error, name="socialaccount_login_error"),
    path("sso/signup/", social_views.signup, name="socialaccount_signup"),
    path(
        f"oidc/{settings.OIDC_PROVIDER_ID}/login/",
        oidc_login,
        PROVIDER,
        name="openid_connect_login",
    ),
    path(
        f"oidc/{settings.OIDC_PROVIDER_ID}/login/callback/",
        oidc_callback,
        PROVIDER,
        name="openid_connect_callback",
    ),
]
