"""The site's error answers: 400, 403, 404, 429, 500 and 503 (``handler400`` … in
``portfolio.urls``, ``CSRF_FAILURE_VIEW``, the login limits' and lockouts' 429, and the database
outage's 503 of ``portfolio.db_unavailable``).

A page is the app's layout (``templates/portfolio/errors/``: the navigation of a logged-in user,
the reason in words, a way on); an htmx request answered 400 or 403 gets the reason alone
(``errors/_htmx.html``), which htmx swaps in where the answer was awaited. A request under
``/api/`` gets JSON instead, ``{"detail": …}`` like the API's own errors (DRF answers most of
those itself; these are the ones Django answers: an unknown API path, an unhandled exception).

The 500 and 503 pages are rendered without the request: no context processor runs (they read the
session, the user and the inbox from the database, which may be what failed), so they show no
user-specific navigation and make no query.
"""

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"
#: The health check (``portfolio.views.healthz``): JSON, like the API, when it fails.
HEALTH_PATH = "/healthz"

#: What each status says when the code gave no reason of its own.
DEFAULTS = {
    400: "The request could not be understood.",
    403: "You do not have access to this page.",
    404: "There is no page at this address.",
    429: "Too many requests right now. Please try again shortly.",
    500: "Something went wrong on our side. It has been logged; please try again in a moment.",
    503: "Valuegate cannot reach its database right now. Please try again in a few seconds.",
}
#: The statuses htmx swaps in as the server's message (``responseHandling`` in base.html).
HTMX_SWAPPED = frozenset({400, 403, 404, 409, 422, 429})
CSRF_EXPIRED = (
    "This form was open too long or you signed in again in another tab, so it can no longer be "
    "sent. Reload the page and try again."
)
CSRF_NO_COOKIE = (
    "Your browser did not send this site's security cookie. Allow cookies for this site, reload "
    "the page and try again."
)
#: ``get_object_or_404``'s wording names a model class: not for people.
_MODEL_NOT_FOUND = re.compile(r"^No \w+ matches the given query\.$")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(
    request: HttpRequest, status: int, message: str = "", *, title: str = ""
) -> HttpResponse:
    """The page (or, under ``/api/``, the JSON) of ``status`` saying ``message``."""
    message = message or DEFAULTS[status]
    if is_api(request):
        return JsonResponse({"detail": message}, status=status)
    context = {"message": message, "status": status}
    if title:
        context["title"] = title
    if getattr(request, "htmx", False) and status in HTMX_SWAPPED:
        # htmx swaps these into the element that asked (base.html's htmx-config): the message
        # alone, not a whole page inside the page.
        return render(request, "portfolio/errors/_htmx.html", context, status=status)
    return render(request, f"portfolio/errors/{status}.html", context, status=status)


def _reason(exception) -> str:
    """The message the code raised with, when it is one meant for people."""
    if exception is None or isinstance(exception, Resolver404) or not exception.args:
        return ""
    reason = exception.args[0]
    if not isinstance(reason, str) or _MODEL_NOT_FOUND.match(reason):
        return ""
    return reason


@requires_csrf_token
def bad_request(request, exception=None):
    return error_response(request, 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return error_response(request, 403, _reason(exception))


@requires_csrf_token
def page_not_found(request, exception=None):
    return error_response(request, 404, _reason(exception))


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: a form sent with an old or missing token. Nothing was saved; the
    remedy is a reload, so it is a 400 saying so (Django's default is a bare 403)."""
    message = CSRF_NO_COOKIE if reason == REASON_NO_CSRF_COOKIE else CSRF_EXPIRED
    return error_response(request, 400, message, title="The form could not be sent")


def too_many_requests(request, message: str, retry_after: int | None) -> HttpResponse:
    """429 with ``Retry-After`` (seconds), in the layout (login limits and lockouts)."""
    response = error_response(request, 429, message)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def server_error(request):
    """500 without the request's context: no context processor, no database."""
    if is_api(request):
        return JsonResponse({"detail": DEFAULTS[500]}, status=500)
    template = loader.get_template("portfolio/errors/500.html")
    return HttpResponse(template.render({"message": DEFAULTS[500], "status": 500}), status=500)


def service_unavailable(request, retry_after: int) -> HttpResponse:
    """503 with ``Retry-After`` (seconds), made as the 500 is: no context processor, no
    database (``portfolio.db_unavailable`` answers with it while the database is out of reach)."""
    if is_api(request) or request.path == HEALTH_PATH:
        response = JsonResponse({"detail": DEFAULTS[503]}, status=503)
    else:
        template = loader.get_template("portfolio/errors/503.html")
        context = {"message": DEFAULTS[503], "status": 503, "retry_after": retry_after}
        response = HttpResponse(template.render(context), status=503)
    response["Retry-After"] = str(retry_after)
    return response
