"""How many password checks the site does: per client address and in total.

A password check costs ~350 ms of CPU (PBKDF2, on purpose). django-axes counts *failures* and
locks a username or an address out (``throttling``); it does not stop a flood of checks, each
of which takes a web worker for a third of a second. So before the password is checked:

- **per address**: ``VALUEGATE_LOGIN_LIMITS["ip"]`` checks per window from one client address
  (``client_ip``); one address cannot take the whole budget;
- **in total**: ``VALUEGATE_LOGIN_LIMITS["global"]`` checks per window for the whole site, across
  every gunicorn worker and web container: the CPU spent hashing passwords has a ceiling, so a
  few anonymous requests cannot slow every page.

Over a limit the check is not made: ``LoginThrottled`` (a DRF ``Throttled``) answers 429 with
``Retry-After`` — through DRF on the API, through ``LoginThrottledMiddleware`` on the login pages.
It is raised from an authentication backend, so every way in (login page, admin login, token
endpoint) passes here, after axes' lockout check and before ``ModelBackend`` hashes anything; a
refused check is no failed login (no ``user_login_failed``, nothing counted against the user).

Counters are fixed windows in Django's cache: Redis in production (``CACHE_URL``), shared by all
workers; the local-memory cache in development. If the cache is down the check is made (the
lockouts in the database still hold) and a warning is logged.
"""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled

from .client_ip import client_ip
from .errors import too_many_requests

log = logging.getLogger(__name__)

MESSAGE = "Too many sign-in attempts right now. Please try again shortly."


class LoginThrottled(Throttled):
    """429: DRF adds "Expected available in N seconds." to the message, ``wait`` is N."""

    def __init__(self, wait: int):
        super().__init__(wait=wait, detail=MESSAGE)


def _count(scope: str, key: str, limit: int, window: int, now: float) -> int | None:
    """Count one check in the current window; the seconds to wait if it is over ``limit``."""
    slot = int(now // window)
    cache_key = f"valuegate:login-checks:{scope}:{key}:{window}:{slot}"
    try:
        cache.add(cache_key, 0, timeout=window + 1)
        count = cache.incr(cache_key)
    except Exception:  # the cache is down: fail open, the database lockouts still hold
        log.warning("Login limits unavailable (cache error); checking the password.")
        return None
    if count <= limit:
        return None
    return max(1, math.ceil((slot + 1) * window - now))


def check_budget(request) -> None:
    """Count a password check about to be made; ``LoginThrottled`` if over a limit."""
    limits = settings.VALUEGATE_LOGIN_LIMITS
    now = time.time()
    address = client_ip(request) or "unknown"
    for scope, key in (("ip", address), ("global", "all")):
        limit, window = limits[scope]
        wait = _count(scope, key, limit, window, now)
        if wait is not None:
            log.warning("Login check refused: %s limit (%s/%ss) reached", scope, limit, window)
            raise LoginThrottled(wait)


class PasswordCheckBudgetBackend:
    """Authentication backend between ``AxesStandaloneBackend`` and ``ModelBackend``: it never
    authenticates anybody, it only refuses to let the next backend check a password when a limit
    is reached. ``authenticate()`` without a request (a management command, a test client's
    ``login``) is not a remote client and is not counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and password is not None:
            check_budget(request)
        return None

    # No ``get_user``: a session is never bound to this backend (Django, and the test client's
    # ``force_login``, pick the first backend that has one).


class LoginThrottledMiddleware:
    """The login pages' answer to ``LoginThrottled`` (the API answers through DRF)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, LoginThrottled):
            return too_many_requests(request, str(exception.detail), exception.wait)
        return None
