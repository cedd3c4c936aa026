"""Login throttling on the API token endpoint.

django-axes already counts a failed ``POST /api/v1/auth/token/`` like a failed login (DRF's token
view calls ``authenticate(request=...)``, and ``AxesStandaloneBackend`` refuses a locked-out user
even with the right password). But axes marks the lockout on DRF's ``Request`` wrapper, which the
axes middleware never sees, so the client would get a plain 400 "unable to log in". This receiver
turns the lockout into the same 429 the login page answers, with ``Retry-After``.
"""

from axes.helpers import get_cool_off, get_lockout_message
from axes.signals import user_locked_out
from django.dispatch import receiver
from rest_framework.exceptions import Throttled
from rest_framework.request import Request


@receiver(user_locked_out, dispatch_uid="valuegate.api_lockout_is_429")
def api_lockout_is_429(sender, request=None, **kwargs):
    if isinstance(request, Request):
        cool_off = get_cool_off(request)
        raise Throttled(
            wait=cool_off.total_seconds() if cool_off else None, detail=str(get_lockout_message())
        )
