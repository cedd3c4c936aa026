"""OTLP/HTTP on the wire (the specification's "OTLP/HTTP" section): a request body to an
``ExportTraceServiceRequest``, and the answers (``ExportTraceServiceResponse``,
``google.rpc.Status``) in the request's encoding. The messages are opentelemetry-proto's;
no parser of our own.

- Encodings: ``application/x-protobuf`` and ``application/json`` (OTLP/JSON: lowerCamelCase
  names, enums as integers, trace and span ids as hex strings, not base64 — converted here before
  ``json_format`` reads the message; unknown fields are ignored as the spec requires).
- ``Content-Encoding: gzip`` is decompressed with a cap: at most ``max_body_bytes`` come out of
  the stream, so a small gzip bomb is a 413, never a memory blow-up.
"""

import base64
import json
import zlib

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

#: zlib's window bits per Content-Encoding (deflate: what the Python exporter's "deflate" sends).
WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
PROTOBUF = "application/x-protobuf"
JSON = "application/json"


class WireError(Exception):
    """A request we refuse: its HTTP status and the message for ``google.rpc.Status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def media_type(content_type: str) -> str | None:
    """The encoding named by ``Content-Type`` (parameters such as charset ignored)."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    return base if base in (PROTOBUF, JSON) else None


def decompressed(body: bytes, encoding: str, limit: int) -> bytes:
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in WBITS:
        raise WireError(415, f"Content-Encoding {encoding!r} is not supported (gzip or none).")
    inflater = zlib.decompressobj(WBITS[encoding])
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise WireError(400, f"The {encoding} body is corrupt: {exc}.") from None
    if len(out) > limit:
        raise WireError(413, f"The decompressed body is larger than {limit} bytes.")
    if not inflater.eof:
        raise WireError(400, f"The {encoding} body is truncated.")
    return out


def _hex_to_base64(value, where: str) -> str:
    if not isinstance(value, str):
        raise WireError(400, f"{where} must be a hex string.")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise WireError(400, f"{where} is not hex: {value[:40]!r}.") from None
    return base64.b64encode(raw).decode("ascii")


def _ids_to_base64(holder: dict, keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        for spelling in (key, _snake(key)):
            if spelling in holder and holder[spelling] not in (None, ""):
                holder[spelling] = _hex_to_base64(holder[spelling], f"{where}.{key}")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _items(holder, key: str) -> list:
    value = holder.get(key, holder.get(_snake(key))) if isinstance(holder, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise WireError(400, f"{key} must be a list.")
    return value


def _json_request(body: bytes) -> trace_service_pb2.ExportTraceServiceRequest:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise WireError(400, "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise WireError(400, "The body must be a JSON object (ExportTraceServiceRequest).")
    for r, resource_spans in enumerate(_items(data, "resourceSpans")):
        for s, scope_spans in enumerate(_items(resource_spans, "scopeSpans")):
            for n, span in enumerate(_items(scope_spans, "spans")):
                if not isinstance(span, dict):
                    raise WireError(400, "A span must be a JSON object.")
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                _ids_to_base64(span, ("traceId", "spanId", "parentSpanId"), where)
                for k, link in enumerate(_items(span, "links")):
                    if isinstance(link, dict):
                        _ids_to_base64(link, ("traceId", "spanId"), f"{where}.links[{k}]")
    message = trace_service_pb2.ExportTraceServiceRequest()
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise WireError(400, f"Not an OTLP/JSON trace export: {str(exc)[:300]}") from None
    return message


def parse_request(body: bytes, encoding: str) -> trace_service_pb2.ExportTraceServiceRequest:
    """The export request in ``body`` (already decompressed), encoded as ``encoding``."""
    if encoding == JSON:
        return _json_request(body)
    message = trace_service_pb2.ExportTraceServiceRequest()
    try:
        message.ParseFromString(body)
    except (DecodeError, RecursionError, ValueError):
        raise WireError(400, "The body is not a protobuf ExportTraceServiceRequest.") from None
    return message


def _encode(message, encoding: str) -> bytes:
    if encoding == JSON:
        return json_format.MessageToJson(message, indent=None).encode("utf-8")
    return message.SerializeToString()


def export_response(rejected: int, message: str, encoding: str) -> bytes:
    response = trace_service_pb2.ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    return _encode(response, encoding)


def status_body(code: int, message: str, encoding: str) -> bytes:
    """A ``google.rpc.Status`` (``code``: the gRPC code closest to the HTTP status)."""
    return _encode(status_pb2.Status(code=code, message=message), encoding)


# HTTP status -> gRPC code (google.rpc.Code) for the Status body.
GRPC_CODE = {400: 3, 401: 16, 413: 8, 415: 3, 429: 8, 503: 14, 405: 12}

__all__ = [
    "JSON",
    "PROTOBUF",
    "WireError",
    "decompressed",
    "export_response",
    "media_type",
    "parse_request",
    "status_body",
]
