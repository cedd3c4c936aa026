"""Failed-login lockouts (django-axes): per username from any address, per address for any
username, and how a lockout answers.

``AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]``: ``AXES_FAILURE_LIMIT`` failed logins
for one username (from anywhere: a locked account is locked from every address) or from one
client address (across usernames: password spraying) lock it out for ``AXES_COOLOFF_TIME``.
The login page, the admin login and ``POST /api/v1/auth/token/`` share the counts; the client
address comes from ``client_ip`` (trusted proxies).

A successful login clears the failures *of that username* only (``reset_failures_of_user``),
not axes' ``AXES_RESET_ON_SUCCESS``, which also clears every failure from the same address: an
attacker with one valid account would log in between guesses and spray forever.

Both entry points answer a lockout with 429 and ``Retry-After`` (the cool-off): the pages through
``AXES_LOCKOUT_CALLABLE`` (``lockout_response``), the API through ``api_lockout_is_429`` (axes
marks the lockout on DRF's ``Request`` wrapper, which the axes middleware never sees).

The cheaper limits on password checks themselves (per address, site-wide) are ``login_limits``.
"""

from axes.helpers import get_cool_off, get_lockout_message
from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from rest_framework.exceptions import Throttled
from rest_framework.request import Request

from .errors import too_many_requests


def cool_off_seconds() -> int | None:
    cool_off = get_cool_off()
    return int(cool_off.total_seconds()) if cool_off else None


@receiver(user_locked_out, dispatch_uid="valuegate.api_lockout_is_429")
def api_lockout_is_429(sender, request=None, **kwargs):
    if isinstance(request, Request):
        raise Throttled(wait=cool_off_seconds(), detail=str(get_lockout_message()))


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the login pages' 429 (in the layout), with ``Retry-After``."""
    return too_many_requests(request, str(get_lockout_message()), cool_off_seconds())


@receiver(user_logged_in, dispatch_uid="valuegate.reset_failures_of_user")
def reset_failures_of_user(sender, request=None, user=None, **kwargs):
    if settings.AXES_ENABLED and user is not None:
        axes_reset(username=user.get_username())
