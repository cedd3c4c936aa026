"""The database out of reach while a request is served: 503 with ``Retry-After``, never a 500.

PostgreSQL restarting, failing over or refusing connections surfaces as Django's
``OperationalError`` or ``InterfaceError`` (the rule, shared with the OTLP receiver:
``usecases.database_outage``). Either, raised anywhere while a
request is served, is answered with ``errors.service_unavailable``: the styled 503 page (made
without the database, like the 500) or, under ``/api/``, ``{"detail": …}`` as every API error —
both with ``Retry-After: RETRY_AFTER``. ``/healthz`` answers the same 503 (it queries the
database, so a load balancer takes the web process out while the database is away).

Two hooks, one answer (``answer``):

- ``DatabaseUnavailableMiddleware.process_exception``: raised by a view, the API (DRF's handler,
  ``usecases.api_errors``, leaves these to Django: it answers only DRF's own exceptions) or a
  template rendered after the view (the context processors read the inbox);
- ``server_error`` (``handler500``): raised inside another middleware — loading the session or
  the user before the view (the two-factor check), saving the session after it — which Django
  turns into the 500 handler's answer at that middleware; anything else is the 500 page.

Logged once, at WARNING, one line without a traceback (``database unavailable: GET /path
(OperationalError: …)``): an outage is an operations event, not a bug, and a restart under load
would otherwise print a traceback per request. Django's own ``Service Unavailable`` line is not
added (the response is marked logged, as ``log_response`` does).

Django closes the broken connection when the request ends (``close_old_connections``: errors
occurred and the connection fails its check); ``CONN_HEALTH_CHECKS`` (settings) makes a
persistent connection that went stale during a restart be replaced before a request uses it.
"""

import sys

from usecases.database_outage import is_database_unavailable, log_unavailable

from . import errors

#: Seconds a client is told to wait: a PostgreSQL restart takes a few (docs/deploy.md measures it).
RETRY_AFTER = 5


def answer(request, exception: BaseException):
    """The 503 of ``request`` failed by ``exception``, logged once at WARNING."""
    response = errors.service_unavailable(request, RETRY_AFTER)
    log_unavailable(request, response, exception)
    return response


class DatabaseUnavailableMiddleware:
    """503 for a database error raised by the view or while rendering its template."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            return answer(request, exception)
        return None


def server_error(request):
    """``handler500``: a database error raised inside a middleware is a 503 too; anything else
    is the 500 page. Django calls it while handling the exception (``sys.exception()``)."""
    exception = sys.exception()
    if is_database_unavailable(exception):
        return answer(request, exception)
    return errors.server_error(request)
