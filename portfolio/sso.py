"""Signing in: the password form and OpenID Connect single sign-on (django-allauth).

- **Password form** (``LoginView``, ``LoginForm``): allauth's login at ``/accounts/login/`` with
  the field names it always had (``username``, ``password``), so django-axes' lockouts and the
  password-check limits (``login_limits``) apply as before. ``SSO_ONLY`` keeps it for superusers
  (``PasswordBackend``: any other account's correct password is refused, on every way in: this
  form, the admin's login and the token endpoint); the page then shows it folded away under
  "Administrator sign-in".
- **Single sign-on**: one OpenID Connect provider configured from the environment (settings
  ``OIDC_*``, provider id ``sso``). On each sign-in (``SocialAccountAdapter``): the account is
  found by the provider's subject; else an account with the same username (``preferred_username``,
  else the e-mail address) is linked to it, unless it is a superuser's (refused: an identity
  provider never takes over an administrator); else a new account is made, without a password.
  Then the PMO and Leadership groups follow the groups claim (``sync_roles``, audited as
  ``RoleChange``); value owners and contributors stay assigned in Valuegate. A groups overage
  (Entra ID: too many groups for the token, a link instead of the list) keeps the roles as they
  were, logged, audited and told to the user (``group_overage``).
- **Signing out** after a single sign-on ends the provider's session too (``sso_logout``).
- **No sign-up**: accounts come from the admin, ``create_pmo_user`` or a first single sign-on.
"""

import logging

from allauth.account import signals as account_signals
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.views import LoginView as AllauthLoginView
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver
from django.shortcuts import render
from django.urls import reverse

from usecases.models import RoleSource
from usecases.prepared_sql import PreparedQuery
from usecases.role_changes import roles_follow, roles_kept
from usecases.roles import LEADERSHIP, PMO

from .client_ip import client_ip
from .sso_logout import forget_id_token, remember_id_token

log = logging.getLogger(__name__)


def is_ours(account) -> bool:
    """A social account of the configured provider (allauth names it by its provider id)."""
    return sso_enabled() and account.provider == settings.OIDC_PROVIDER_ID


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def sso_login_url() -> str | None:
    """Where the single sign-on button posts (None when single sign-on is not configured)."""
    if not sso_enabled():
        return None
    return reverse("openid_connect_login", kwargs={"provider_id": settings.OIDC_PROVIDER_ID})


# --- the password form ------------------------------------------------------------------------


#: The signed-in user of a session, read on every request (``PasswordBackend.get_user``),
#: compiled once (``usecases.prepared_sql``): what ``ModelBackend.get_user`` reads.
SESSION_USER = PreparedQuery(lambda pk: get_user_model()._default_manager.filter(pk=pk), pk=int)
#: The largest key of ``auth.User`` (an ``AutoField``): a larger one names nobody.
MAX_USER_PK = 2**31 - 1


class PasswordBackend(AuthenticationBackend):
    """allauth's backend (a ``ModelBackend``); with ``SSO_ONLY`` only superusers' passwords.
    Sessions are bound to it (the first backend with ``get_user``), so it reads every
    request's user: ``SESSION_USER``, the same row and rule as ``ModelBackend.get_user``."""

    def get_user(self, user_id):
        if type(user_id) is not int:
            return super().get_user(user_id)
        rows = SESSION_USER(pk=user_id) if 0 < user_id <= MAX_USER_PK else []
        if not rows:
            return None
        return rows[0] if self.user_can_authenticate(rows[0]) else None

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and settings.SSO_ONLY and not user.is_superuser:
            log.info("Password sign-in refused for %s: SSO_ONLY", user.get_username())
            return None
        return user


class LoginForm(AllauthLoginForm):
    """allauth's login form with the field named ``username`` (its own name is ``login``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login_field = self.fields.pop("login")
        self.fields = {"username": login_field, **self.fields}

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()

    def clean(self):
        if "username" in self.cleaned_data:
            self.cleaned_data["login"] = self.cleaned_data["username"]
        return super().clean()


class LoginView(AllauthLoginView):
    """The login page: the single sign-on button when configured, and the password form."""

    template_name = "account/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sso_login_url=sso_login_url(),
            sso_button_label=settings.OIDC_BUTTON_LABEL,
            sso_only=settings.SSO_ONLY,
        )
        return context


class AccountAdapter(DefaultAccountAdapter):
    # The words of Django's own login form, as before allauth.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": "Please enter a correct username and password. Note that "
        "both fields may be case-sensitive.",
    }

    def is_open_for_signup(self, request) -> bool:
        return False  # no public sign-up (single sign-on makes its accounts itself)

    def is_ajax(self, request) -> bool:
        # The sign-in pages are HTML whatever the Accept header says: allauth would answer an
        # ``Accept: application/json`` request with the form and the page as JSON (the API is DRF).
        return False

    def get_client_ip(self, request) -> str:
        # The same client address as axes and the login limits (TRUSTED_PROXIES).
        return client_ip(request) or request.META.get("REMOTE_ADDR") or "unknown"


# --- single sign-on ---------------------------------------------------------------------------


def username_from_claims(data: dict) -> str:
    """``preferred_username``, else the e-mail address ("" when the provider gives neither)."""
    return (data.get("preferred_username") or data.get("email") or "").strip()


def _claims(extra_data: dict) -> dict:
    """The ID token's claims overlaid with the userinfo's (allauth keeps both)."""
    if not isinstance(extra_data, dict):
        return {}
    if "userinfo" in extra_data or "id_token" in extra_data:
        return {**(extra_data.get("id_token") or {}), **(extra_data.get("userinfo") or {})}
    return extra_data


def groups_from_claims(claims: dict) -> set[str]:
    """The provider's group names from ``OIDC_GROUPS_CLAIM`` (a list, or one string)."""
    value = claims.get(settings.OIDC_GROUPS_CLAIM)
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {str(item) for item in value}
    return set()


def wanted_roles(idp_groups: set[str]) -> dict[str, bool]:
    """PMO and Leadership as the provider's groups say; a role whose ``OIDC_*_GROUPS`` is empty
    is not managed by single sign-on (left as assigned in Valuegate)."""
    wanted = {}
    for role, mapped in (
        (PMO, settings.OIDC_PMO_GROUPS),
        (LEADERSHIP, settings.OIDC_LEADERSHIP_GROUPS),
    ):
        if mapped:
            wanted[role] = bool(idp_groups & set(mapped))
    return wanted


def group_overage(claims: dict) -> bool:
    """The provider had more groups than fit in the token and sent a pointer instead of the
    list (Microsoft Entra ID past 200 groups: ``_claim_names: {"groups": ...}``, or
    ``hasgroups: true``): the user's groups are unknown, not empty."""
    name = settings.OIDC_GROUPS_CLAIM
    if name in claims:
        return False
    claim_names = claims.get("_claim_names")
    if isinstance(claim_names, dict) and name in claim_names:
        return True
    return claims.get("hasgroups") in (True, "true", "True")


OVERAGE_MESSAGE = (
    "Your identity provider sent a link instead of your groups (you are in more groups than fit "
    "in its token), so your Valuegate roles were kept as they were. Ask your administrator to "
    "send only the groups assigned to Valuegate."
)


def sync_roles(user, extra_data: dict, request=None) -> list:
    """The user's PMO and Leadership groups after the groups claim of this sign-in; on a groups
    overage the roles are kept, with a warning, a message and an audit record per role (not
    again at the next overage sign-in: nothing changed, ``roles_kept``)."""
    claims = _claims(extra_data)
    if group_overage(claims):
        return _keep_roles_on_overage(user, request)
    if settings.OIDC_GROUPS_CLAIM not in claims:
        log.warning(
            "Single sign-on for %s: no %r claim; mapped roles are taken away",
            user.get_username(),
            settings.OIDC_GROUPS_CLAIM,
        )
    idp_groups = groups_from_claims(claims)
    wanted = wanted_roles(idp_groups)
    if not wanted:
        return []
    reason = f"Single sign-on at {settings.OIDC_ISSUER}: groups {sorted(idp_groups) or 'none'}"
    return roles_follow(user, wanted=wanted, source=RoleSource.SSO, reason=reason)


def _keep_roles_on_overage(user, request) -> list:
    managed = list(wanted_roles(set()))  # the roles single sign-on manages
    if not managed:
        return []
    log.warning(
        "Single sign-on for %s: the %r claim is a groups overage (a link to the groups, not the "
        "list); roles kept unchanged. Send only the groups assigned to the application "
        "(docs/deploy.md).",
        user.get_username(),
        settings.OIDC_GROUPS_CLAIM,
    )
    if request is not None:
        messages.warning(request, OVERAGE_MESSAGE)
    reason = (
        f"Single sign-on at {settings.OIDC_ISSUER}: groups overage (the token links to the "
        "groups instead of listing them); role kept as it was"
    )
    return roles_kept(user, managed, source=RoleSource.SSO, reason=reason)


def _refuse(request, message: str, status: int = 403):
    return ImmediateHttpResponse(
        render(request, "account/sso_refused.html", {"message": message}, status=status)
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Only the configured provider makes accounts (its users are the organisation's).
        return is_ours(sociallogin.account)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.username = username_from_claims(_claims(sociallogin.account.extra_data)) or (
            data.get("email") or ""
        )
        return user

    def pre_social_login(self, request, sociallogin):
        """An unknown subject: link the account with the same username, or make a new one."""
        if sociallogin.is_existing:
            return
        username = username_from_claims(_claims(sociallogin.account.extra_data))
        if not username:
            raise _refuse(
                request,
                "The identity provider sent neither a username (preferred_username) nor an "
                "e-mail address; ask your administrator to release one of them to Valuegate.",
            )
        existing = get_user_model().objects.filter(username__iexact=username).first()
        if existing is None:
            return  # a new account (allauth's auto sign-up, ``populate_user``)
        if existing.is_superuser:
            raise _refuse(
                request,
                f"The account {existing.get_username()} is an administrator's and cannot be "
                "signed in to through single sign-on. Sign in with its password.",
            )
        if SocialAccount.objects.filter(user=existing, provider=settings.OIDC_PROVIDER_ID).exists():
            raise _refuse(
                request,
                f"The account {existing.get_username()} is already linked to another identity "
                "at the provider. Ask an administrator.",
            )
        if not existing.is_active:
            return  # allauth answers with its "account inactive" page
        log.info("Single sign-on linked to the existing account %s", existing.get_username())
        sociallogin.connect(request, existing)


@receiver(auth_signals.user_logged_in, dispatch_uid="valuegate.sso_forget_id_token")
def _forget_id_token_on_any_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        forget_id_token(request)  # a single sign-on puts it back just after (below)


@receiver(account_signals.user_logged_in, dispatch_uid="valuegate.sso_sync_roles")
def _sync_roles_on_sso_login(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is None or not is_ours(sociallogin.account):
        return
    remember_id_token(request, sociallogin)  # for the sign-out at the provider (sso_logout)
    sync_roles(user, sociallogin.account.extra_data, request)
