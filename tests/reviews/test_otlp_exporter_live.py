"""The real OpenTelemetry SDK and its OTLP/HTTP exporter send to a live server (PostgreSQL):
protobuf, gzip, retries counted once, the keys that are refused; the week's figures match the
hand count of tests/reviews/telemetry_helpers.py."""

import json

import pytest
import requests
import time_machine
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

from reviews.ingest_keys import ingest_key_create, ingest_key_revoke
from reviews.models import TelemetryDay, TelemetryTrace
from tests.conftest import api_token, make_use_case, make_user

from .telemetry_helpers import (
    NOW,
    WEEK48,
    WEEK48_SPANS,
    Recorder,
    add_gpt_prices,
    at,
    chat,
    week48_batches,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def setup(db):
    pmo = make_user("pia", "PMO")
    owner = make_user("olivia")
    use_case = make_use_case(owner=owner)
    other = make_use_case(name="Invoice matching", owner=make_user("oscar"))
    key, row = ingest_key_create(user=owner, use_case=use_case)
    return {"pmo": pmo, "owner": owner, "use_case": use_case, "other": other, "key": key}


def exporter(live_server, key, compression=Compression.Gzip):
    return OTLPSpanExporter(
        endpoint=f"{live_server.url}/otlp/v1/traces",
        headers={"Authorization": f"Bearer {key}"},
        compression=compression,
        timeout=10,
    )


def telemetry(live_server, user, use_case, week="2026-W48"):
    response = requests.get(
        f"{live_server.url}/api/v1/use-cases/{use_case.pk}/telemetry/",
        params={"week": week},
        headers={"Authorization": f"Token {api_token(user)}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_week_sent_by_the_sdk_counts_as_counted_by_hand(live_server, setup):
    add_gpt_prices()
    batches = week48_batches(Recorder())
    send = exporter(live_server, setup["key"])
    for batch in batches:
        assert send.export(batch) == SpanExportResult.SUCCESS

    figures = telemetry(live_server, setup["owner"], setup["use_case"])
    for field, expected in WEEK48.items():
        assert figures[field] == expected, field
    assert figures["spans"] == WEEK48_SPANS
    assert figures["last_span_at"].startswith("2026-11-28T")  # D, Saturday 28th, 08:00:02
    w47 = telemetry(live_server, setup["owner"], setup["use_case"], "2026-W47")
    assert (w47["tasks_with_ai"], w47["active_users"], w47["spans"]) == (1, 1, 1)


def test_the_same_batch_sent_twice_and_spread_over_batches_counts_once(live_server, setup):
    batches = week48_batches(Recorder())
    send = exporter(live_server, setup["key"], Compression.NoCompression)
    for batch in batches + batches[::-1]:  # everything twice, in another order the second time
        assert send.export(batch) == SpanExportResult.SUCCESS

    figures = telemetry(live_server, setup["owner"], setup["use_case"])
    assert figures["spans"] == WEEK48_SPANS
    assert figures["tasks_with_ai"] == WEEK48["tasks_with_ai"]
    assert figures["ai_calls"] == WEEK48["ai_calls"]
    assert [t["input_tokens"] for t in figures["tokens"]] == [1_500, 320_000]
    assert TelemetryTrace.objects.filter(use_case=setup["use_case"]).count() == 6  # with E1


def test_a_batch_span_processor_exports_to_the_live_server(live_server, setup):
    provider = TracerProvider()
    provider.add_span_processor(
        BatchSpanProcessor(exporter(live_server, setup["key"]), max_export_batch_size=512)
    )
    tracer = provider.get_tracer("app")
    for n in range(600):
        with (
            tracer.start_as_current_span("ticket"),
            tracer.start_as_current_span(
                "chat", attributes=chat("gpt-4o", 10, 1, user=f"user-{n % 7}")
            ),
        ):
            pass
    assert provider.force_flush(30_000)
    provider.shutdown()

    day = TelemetryDay.objects.get(use_case=setup["use_case"])
    assert (day.spans, day.ai_calls) == (1200, 600)
    week = NOW.date().isocalendar()
    figures = telemetry(
        live_server, setup["owner"], setup["use_case"], f"{week.year}-W{week.week:02d}"
    )
    assert (figures["tasks_with_ai"], figures["active_users"]) == (600, 7)
    assert figures["unpriced_models"] == ["gpt-4o"]  # no price: listed, never costed at zero
    assert figures["token_cost"] == []


def test_wrong_revoked_and_other_use_case_keys(live_server, setup):
    recorder = Recorder()
    recorder.span("chat", at(24, 9), attributes=chat("gpt-4o", 1, 1))
    spans = recorder.take()

    assert exporter(live_server, "vgi_" + "0" * 64).export(spans) == SpanExportResult.FAILURE
    revoked, row = ingest_key_create(user=setup["owner"], use_case=setup["use_case"])
    ingest_key_revoke(user=setup["owner"], key=row)
    assert exporter(live_server, revoked).export(spans) == SpanExportResult.FAILURE
    assert not TelemetryDay.objects.exists()

    # A key of the use case, spans naming another: rejected in partial_success (a 200).
    other_recorder = Recorder(**{"valuegate.use_case.id": setup["other"].pk})
    other_recorder.span("chat", at(24, 9), attributes=chat("gpt-4o", 1, 1))
    from tests.reviews.telemetry_helpers import protobuf_of

    body = protobuf_of(other_recorder.take())
    response = requests.post(
        f"{live_server.url}/otlp/v1/traces",
        data=body,
        headers={
            "Content-Type": "application/x-protobuf",
            "Authorization": f"Bearer {setup['key']}",
        },
        timeout=10,
    )
    assert response.status_code == 200
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert "does not cover" in answer.partial_success.error_message
    assert not TelemetryDay.objects.exists()


def test_a_portfolio_key_maps_spans_by_resource_attribute(live_server, setup):
    key, _row = ingest_key_create(user=setup["pmo"], use_case=None)
    for use_case in (setup["use_case"], setup["other"]):
        recorder = Recorder(**{"valuegate.use_case.id": str(use_case.pk)})
        recorder.span("chat", at(24, 9), attributes=chat("gpt-4o", 1, 1, user="u"))
        assert exporter(live_server, key).export(recorder.take()) == SpanExportResult.SUCCESS
    unnamed = Recorder()
    unnamed.span("chat", at(24, 9), attributes=chat("gpt-4o", 1, 1))
    response = requests.post(
        f"{live_server.url}/otlp/v1/traces",
        data=json.dumps({"resourceSpans": []}),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 200 and response.json() == {}
    assert exporter(live_server, key).export(unnamed.take()) == SpanExportResult.SUCCESS
    assert sorted(TelemetryDay.objects.values_list("use_case_id", "ai_calls")) == sorted(
        [(setup["use_case"].pk, 1), (setup["other"].pk, 1)]
    )
