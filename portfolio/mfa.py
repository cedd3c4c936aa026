"""Two-factor sign-in for local accounts (allauth.mfa: TOTP with recovery codes).

- **Who must**: with ``MFA_REQUIRED`` (the production default), PMO members and superusers who
  signed in with a password. Until they have an authenticator app they are sent to set one up
  (``MfaRequiredMiddleware``) and the API answers 403. A single sign-on session is exempt: the
  identity provider enforces its own second factor. Everyone else may turn it on (the
  "Two-factor" page, ``/accounts/2fa/``).
- **Codes are throttled like passwords**: a wrong code is a failed login for django-axes (the
  same ``AXES_FAILURE_LIMIT`` per username and per address, the same 429 with ``Retry-After``),
  and a locked-out username gets no code checked (``AuthenticateForm``); allauth's own limit on
  failed logins stays behind it.
- **API tokens** (``token_api``): a user who must use two-factor sign-in, or who has turned it
  on, sends a current code with the password (``check_token_code``).
"""

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as AllauthReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_message
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework.exceptions import Throttled

from usecases.roles import roles

from .throttling import cool_off_seconds

#: Paths a user who must set up two-factor sign-in may still open.
SETUP_PATHS = ("/accounts/", "/static/", "/healthz", "/favicon.ico")
SETUP_REQUIRED = "Set up two-factor sign-in first: your role needs it."


def mfa_required_for(user) -> bool:
    """``MFA_REQUIRED`` and the user is a PMO member or a superuser."""
    if not (settings.MFA_REQUIRED and user.is_authenticated):
        return False
    return user.is_superuser or roles(user).is_pmo


def has_totp(user) -> bool:
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def signed_in_with_sso(request) -> bool:
    """This session's sign-in went through single sign-on (allauth's authentication records)."""
    from allauth.account.internal.flows.login import get_authentication_records

    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "socialaccount" for record in records)


class MfaRequiredMiddleware:
    """Sends a PMO member or superuser without an authenticator app to set one up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and mfa_required_for(user)
            and not request.path.startswith(SETUP_PATHS)
            and not has_totp(user)
            and not signed_in_with_sso(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": SETUP_REQUIRED}, status=403)
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


# --- codes counted by axes --------------------------------------------------------------------


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def code_attempt_allowed(request, user) -> bool:
    """False while ``user``'s username or the client's address is locked out by axes."""
    if not settings.AXES_ENABLED:
        return True
    credentials = _credentials(user)
    if AxesProxyHandler.is_allowed(request, credentials):
        return True
    request.axes_locked_out = True  # the axes middleware answers 429 (throttling.lockout_response)
    request.axes_credentials = credentials
    return False


def count_failed_code(request, user) -> None:
    """A wrong code is a failed login for axes (and may lock the username out)."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)


class AxesCountedCode:
    """``clean_code`` of allauth's code forms, with axes' lockout before and its count after."""

    def clean_code(self):
        request = context.request
        if not code_attempt_allowed(request, self.user):
            raise ValidationError(str(get_lockout_message()), code="locked_out")
        try:
            return super().clean_code()
        except ValidationError:
            count_failed_code(request, self.user)
            raise


class AuthenticateForm(AxesCountedCode, AllauthAuthenticateForm):
    """The code asked after the password (``MFA_FORMS["authenticate"]``)."""


class ReauthenticateForm(AxesCountedCode, AllauthReauthenticateForm):
    """The code asked to confirm a sensitive change (``MFA_FORMS["reauthenticate"]``)."""


def check_token_code(request, user, code: str) -> str | None:
    """The API token endpoint's second factor: None if ``user`` may have a token with ``code``,
    else the message for the ``code`` field. ``request`` is DRF's: a lockout is a 429 with
    ``Retry-After`` (``throttling.api_lockout_is_429``), as for passwords."""
    required = mfa_required_for(user)
    if not (required or has_totp(user)):
        return None
    if not has_totp(user):
        return SETUP_REQUIRED + " Sign in on the web to set it up, then ask for a token."
    if not code:
        return "This account signs in with a two-factor code: send the current one as code."
    if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, _credentials(user)):
        raise Throttled(wait=cool_off_seconds(), detail=str(get_lockout_message()))
    form = AllauthAuthenticateForm(user=user, data={"code": code})
    if form.is_valid():
        return None
    count_failed_code(request, user)  # at the limit: axes' user_locked_out → 429
    return "; ".join(form.errors.get("code", [])) or "Incorrect code."
