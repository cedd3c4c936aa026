"""``POST /otlp/v1/traces``: the OTLP/HTTP trace receiver (docs/telemetry.md).

Mounted at the site root so that an exporter configured with
``OTEL_EXPORTER_OTLP_ENDPOINT=<site>/otlp`` works unchanged. No session, no CSRF (a machine
endpoint): ``Authorization: Bearer <ingest key>`` only. Answers as the OTLP specification says,
in the request's encoding: 200 with an ``ExportTraceServiceResponse`` (``partial_success`` for
rejected spans); 400 malformed, 401 bad key, 413 over ``max_body_bytes`` (compressed or not),
415 an unknown encoding, 429 over the key's request rate and 503 when the database is out of
reach (refused, a lock held longer than ``lock_timeout_ms``, a statement over
``statement_timeout_ms``: ``telemetry_ingest.bounded``; the rule is
``usecases.database_outage``'s, logged as it says: one WARNING line, no traceback), both with
``Retry-After`` (retryable for exporters); errors carry a ``google.rpc.Status``.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from usecases import clock
from usecases.database_outage import ERRORS as DATABASE_UNAVAILABLE
from usecases.database_outage import log_unavailable

from . import otlp_wire
from .ingest_keys import ingest_key_authenticate
from .otlp_wire import WireError
from .telemetry_ingest import bounded, ingest

logger = logging.getLogger(__name__)

#: Seconds an exporter is told to wait when the database is unavailable.
UNAVAILABLE_RETRY_AFTER = 30
RATE_WINDOW = 60


def _answer(status: int, body: bytes, encoding: str, **headers) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=encoding)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(status: int, message: str, encoding: str, **headers) -> HttpResponse:
    body = otlp_wire.status_body(otlp_wire.GRPC_CODE.get(status, 2), message, encoding)
    return _answer(status, body, encoding, **headers)


def _unavailable(request, exception: Exception, encoding: str) -> HttpResponse:
    """503 with ``Retry-After`` (retryable, as OTLP says) for a database that is unavailable
    (``usecases.database_outage``: the same rule as the pages and the API; any other database
    error is a bug and is not caught), logged as they log it: one WARNING line, no traceback."""
    response = _error(503, "Try again later.", encoding, Retry_After=str(UNAVAILABLE_RETRY_AFTER))
    log_unavailable(request, response, exception, logger=logger)
    return response


def _bearer(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _over_rate(key_id: int) -> int:
    """Seconds to wait when the key has used its requests of this minute; else 0. A fixed
    window in Django's cache (shared by the workers through Redis in production)."""
    limit = settings.VALUEGATE_TELEMETRY["requests_per_minute"]
    window = int(clock.now().timestamp()) // RATE_WINDOW
    name = f"otlp-rate:{key_id}:{window}"
    try:
        cache.add(name, 0, RATE_WINDOW + 5)
        used = cache.incr(name)
    except Exception:  # the cache is down: take the batch (the database is the real limit)
        logger.warning("OTLP rate limit: the cache is unavailable", exc_info=True)
        return 0
    if used <= limit:
        return 0
    return RATE_WINDOW - int(clock.now().timestamp()) % RATE_WINDOW or 1


def _body(request, limit: int) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise WireError(400, "Content-Length is not a number.") from None
    if declared > limit:
        raise WireError(413, f"The body is larger than {limit} bytes.")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise WireError(413, f"The body is larger than {limit} bytes.")
    return body


@csrf_exempt
def traces(request):
    encoding = otlp_wire.media_type(request.META.get("CONTENT_TYPE", ""))
    if request.method != "POST":
        response = _error(405, "Only POST.", encoding or otlp_wire.JSON)
        response["Allow"] = "POST"
        return response
    try:
        with bounded(writes=False):
            key = ingest_key_authenticate(_bearer(request))
    except DATABASE_UNAVAILABLE as exc:
        return _unavailable(request, exc, encoding or otlp_wire.JSON)
    if key is None:
        return _error(
            401,
            "A valid ingest key is required (Authorization: Bearer …).",
            encoding or otlp_wire.JSON,
            WWW_Authenticate='Bearer realm="otlp"',
        )
    if encoding is None:
        return _error(
            415,
            "Content-Type must be application/x-protobuf or application/json.",
            otlp_wire.JSON,
        )
    wait = _over_rate(key.pk)
    if wait:
        return _error(
            429, "Too many requests for this ingest key.", encoding, Retry_After=str(wait)
        )
    limit = settings.VALUEGATE_TELEMETRY["max_body_bytes"]
    try:
        body = otlp_wire.decompressed(
            _body(request, limit), request.META.get("HTTP_CONTENT_ENCODING", ""), limit
        )
        message = otlp_wire.parse_request(body, encoding)
    except WireError as exc:
        return _error(exc.status, exc.message, encoding)
    try:
        result = ingest(key=key, request=message)
    except DATABASE_UNAVAILABLE as exc:
        return _unavailable(request, exc, encoding)
    return _answer(
        200, otlp_wire.export_response(result.rejected, result.message, encoding), encoding
    )
