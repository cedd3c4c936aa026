"""``POST /otlp/v1/traces`` on the wire: OTLP/JSON over plain HTTP (hex ids), gzip, and every
malformed body answered as the OTLP spec says (400/401/413/415/429), never a 500."""

import gzip
import json
import zlib

import pytest
import time_machine
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from reviews.ingest_keys import ingest_key_create
from reviews.models import IngestKey, TelemetryDay, TelemetrySpan, TelemetryTrace

from .telemetry_helpers import NOW, Recorder, at, chat, ns, protobuf_of

pytestmark = pytest.mark.django_db
URL = "/otlp/v1/traces"
TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def key(use_case, owner):
    return ingest_key_create(user=owner, use_case=use_case)[0]


def post(client, body, key, content_type="application/x-protobuf", **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client.generic("POST", URL, body, content_type=content_type, **headers)


def json_body(trace=TRACE, span=SPAN, user="u1", **span_fields):
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {
                        "attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]
                    },
                    "scopeSpans": [
                        {
                            "scope": {"name": "manual"},
                            "spans": [
                                {
                                    "traceId": trace,
                                    "spanId": span,
                                    "name": "chat",
                                    "kind": 3,
                                    "startTimeUnixNano": str(ns(at(25, 10))),
                                    "endTimeUnixNano": str(ns(at(25, 10, 1))),
                                    "attributes": [
                                        {
                                            "key": "gen_ai.operation.name",
                                            "value": {"stringValue": "chat"},
                                        },
                                        {
                                            "key": "gen_ai.response.model",
                                            "value": {"stringValue": "gpt-4o"},
                                        },
                                        {
                                            "key": "gen_ai.usage.input_tokens",
                                            "value": {"intValue": "40"},
                                        },
                                        {"key": "user.id", "value": {"stringValue": user}},
                                    ],
                                    "status": {"code": 2},
                                    "unknownFieldIsIgnored": True,
                                    **span_fields,
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    ).encode()


def status_of(response) -> Status:
    if response["Content-Type"].startswith("application/json"):
        return Status(**{k: v for k, v in response.json().items() if k in ("code", "message")})
    return Status.FromString(response.content)


def test_json_over_plain_http_with_hex_ids(client, key, use_case):
    response = post(client, json_body(), key, "application/json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {}
    trace = TelemetryTrace.objects.get(use_case=use_case)
    assert (trace.trace_id, trace.has_ai, trace.is_error) == (TRACE, True, True)
    assert TelemetrySpan.objects.get().span_id == SPAN
    day = TelemetryDay.objects.get()
    assert (str(day.day), day.spans, day.ai_calls) == ("2026-11-25", 1, 1)


def test_the_same_span_as_json_then_protobuf_counts_once(client, key, use_case):
    assert post(client, json_body(), key, "application/json").status_code == 200
    recorder = Recorder()
    recorder.span("chat", at(25, 10), attributes=chat("gpt-4o", 40, 0, user="u1"))
    spans = recorder.take()
    # The SDK's ids for the span: the JSON span's (an SDK span is read-only; rebuild its context).
    from opentelemetry.trace import SpanContext

    span = spans[0]
    span._context = SpanContext(int(TRACE, 16), int(SPAN, 16), is_remote=False)
    response = post(client, gzip.compress(protobuf_of([span])), key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200
    assert (
        ExportTraceServiceResponse.FromString(response.content).partial_success.rejected_spans == 0
    )
    assert TelemetryDay.objects.get().spans == 1


def test_gzip_and_deflate_protobuf(client, key):
    recorder = Recorder()
    recorder.span("chat", at(25, 10), attributes=chat("gpt-4o", 1, 1))
    body = protobuf_of(recorder.take())
    assert post(client, gzip.compress(body), key, HTTP_CONTENT_ENCODING="gzip").status_code == 200
    recorder.span("chat", at(25, 11), attributes=chat("gpt-4o", 1, 1))
    deflated = zlib.compress(protobuf_of(recorder.take()))
    assert post(client, deflated, key, HTTP_CONTENT_ENCODING="deflate").status_code == 200
    assert TelemetryDay.objects.get().spans == 2


@pytest.mark.parametrize("content_type", ["application/x-protobuf", "application/json"])
@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xff\xff\xff",
        b"not a message at all {",
        b"[1, 2, 3]",
        json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}).encode(),
        json.dumps({"resourceSpans": "nope"}).encode(),
        json.dumps(
            {"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}
        ).encode(),
        b"[" * 100_000,
    ],
    ids=["bytes", "text", "array", "bad-hex", "not-a-list", "bad-number", "deep"],
)
def test_garbage_is_a_400_never_a_500(client, key, body, content_type):
    response = post(client, body, key, content_type)
    if content_type == "application/x-protobuf" and response.status_code == 200:
        # Some bytes are a valid (empty) protobuf message: nothing counted, nothing rejected.
        assert not TelemetryDay.objects.exists()
        return
    assert response.status_code == 400, response.content
    assert status_of(response).message


def test_truncated_bodies(client, key):
    recorder = Recorder()
    recorder.span("chat", at(25, 10), attributes=chat("gpt-4o", 1, 1))
    body = protobuf_of(recorder.take())
    assert post(client, body[: len(body) // 2], key).status_code == 400
    zipped = gzip.compress(body)
    response = post(client, zipped[: len(zipped) // 2], key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "truncated" in status_of(response).message
    assert post(client, b"\x1f\x8b junk", key, HTTP_CONTENT_ENCODING="gzip").status_code == 400
    assert not TelemetryDay.objects.exists()


def test_oversize_and_gzip_bomb_are_413(client, key, settings):
    settings.VALUEGATE_TELEMETRY = {**settings.VALUEGATE_TELEMETRY, "max_body_bytes": 64 * 1024}
    assert post(client, b"\x00" * (64 * 1024 + 1), key).status_code == 413
    bomb = gzip.compress(b"\x00" * (50 * 1024 * 1024))  # 50 MiB in ~50 KiB
    assert len(bomb) < 64 * 1024
    response = post(client, bomb, key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert "decompressed" in status_of(response).message


def test_keys_and_media_types(client, key, use_case, owner):
    body = json_body()
    response = post(client, body, None, "application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert post(client, body, key[:-1] + "x", "application/json").status_code == 401
    assert post(client, body, "Token " + key, "application/json").status_code == 401
    assert post(client, body, key, "text/plain").status_code == 415
    assert (
        post(client, body, key, "application/json", HTTP_CONTENT_ENCODING="br").status_code == 415
    )
    assert client.get(URL).status_code == 405
    assert not TelemetryDay.objects.exists()
    row = IngestKey.objects.get()
    assert key not in (row.prefix, row.digest) and row.digest != key


def test_a_key_over_its_rate_gets_429_with_retry_after(client, key, settings):
    from django.core.cache import cache

    cache.clear()
    settings.VALUEGATE_TELEMETRY = {**settings.VALUEGATE_TELEMETRY, "requests_per_minute": 2}
    statuses = [
        post(client, json_body(span=f"{n:016x}"), key, "application/json") for n in (1, 2, 3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert 0 < int(statuses[2]["Retry-After"]) <= 60
    assert TelemetryDay.objects.get().spans == 2


def test_spans_outside_the_window_or_without_ids_are_rejected_in_partial_success(client, key):
    old = json.loads(json_body())
    spans = old["resourceSpans"][0]["scopeSpans"][0]["spans"]
    too_old = {**spans[0], "spanId": "0000000000000002", "startTimeUnixNano": str(ns(at(1, 10)))}
    no_id = {**spans[0], "traceId": ""}
    spans.extend([too_old, no_id])
    response = post(client, json.dumps(old).encode(), key, "application/json")
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "2"
    assert "ingest window" in partial["errorMessage"]
    assert "trace id" in partial["errorMessage"]
    assert TelemetryDay.objects.get().spans == 1


def _token_spans(first: int, count: int, tokens) -> bytes:
    """``count`` AI calls of one trace each (span ids from ``first``) on the same day and model,
    each with ``tokens`` input tokens (an OTLP/JSON ``intValue``: any integer, as a string)."""
    body = json.loads(json_body())
    template = body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    spans = []
    for n in range(first, first + count):
        span = json.loads(json.dumps(template))
        span["traceId"], span["spanId"] = f"{n:032x}", f"{n:016x}"
        for attribute in span["attributes"]:
            if attribute["key"] == "gen_ai.usage.input_tokens":
                attribute["value"] = {"intValue": str(tokens)}
        spans.append(span)
    body["resourceSpans"][0]["scopeSpans"][0]["spans"] = spans
    return json.dumps(body).encode()


def test_token_counts_no_call_can_have_are_rejected_never_a_500(client, key, use_case):
    """A span's token count is an int64 on the wire; the day's sums are 64-bit too. Counts above
    ``MAX_TOKENS_PER_SPAN`` (or negative) are refused in ``partial_success``: before, 1,025
    spans of 2⁵³ − 1 tokens each (which were accepted) overflowed the day's sum into a 500."""
    from reviews.models import TelemetryTokens
    from reviews.telemetry_counts import MAX_TOKENS_PER_SPAN

    huge = 2**53 - 1
    for first in (1, 601):
        response = post(client, _token_spans(first, 600, huge), key, "application/json")
        assert response.status_code == 200, response.content
        partial = response.json()["partialSuccess"]
        assert partial["rejectedSpans"] == "600"
        assert "token count" in partial["errorMessage"]
    response = post(client, _token_spans(2001, 2, -5), key, "application/json")
    assert response.json()["partialSuccess"]["rejectedSpans"] == "2"
    assert not TelemetryTokens.objects.exists()
    assert not TelemetryTrace.objects.exists()
    # The largest count a call may have is counted as sent.
    response = post(client, _token_spans(3001, 3, MAX_TOKENS_PER_SPAN), key, "application/json")
    assert response.status_code == 200 and response.json() == {}
    assert TelemetryTokens.objects.get(use_case=use_case).input_tokens == 3 * MAX_TOKENS_PER_SPAN
