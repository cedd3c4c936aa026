"""What "the database is unavailable" means, for every app: the one rule, and its log line.

PostgreSQL restarting, failing over or refusing connections surfaces as Django's
``OperationalError`` (refused, terminated by the administrator, the server closed the connection,
a lock or statement timeout) or ``InterfaceError`` (a connection already closed): the same
request may work soon, so it is answered 503 with ``Retry-After``, never a 500. The pages and the
API do it in ``portfolio/db_unavailable.py``; the OTLP receiver (``reviews/otlp_view.py``, which
may not import ``portfolio``) in its own OTLP answer. Both log it the same way: one WARNING line
without a traceback (an outage is an operations event, not a bug).
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.utils.log import log_response

#: The exceptions that mean "the database cannot serve this now; the same request may work soon".
ERRORS = (OperationalError, InterfaceError)


def is_database_unavailable(exception: BaseException | None) -> bool:
    return isinstance(exception, ERRORS)


def log_unavailable(request, response, exception: BaseException, *, logger=None) -> None:
    """Log ``response`` (the 503 of ``request`` failed by ``exception``) once: one WARNING line
    without a traceback, ``database unavailable: GET /path (OperationalError: first line of its
    message)``, on ``logger`` (``django.request`` when not given). The response is marked logged,
    as ``log_response`` does, so Django adds no ``Service Unavailable`` line of its own."""
    log_response(
        "database unavailable: %s %s (%s: %s)",
        request.method,
        request.path,
        type(exception).__name__,
        _first_line(exception),
        response=response,
        request=request,
        logger=logger or logging.getLogger("django.request"),
        level="warning",
    )


def _first_line(exception: BaseException) -> str:
    text = str(exception).strip()
    return text.splitlines()[0] if text else "no message"
