"""A new model or prompt version in the spans is proposed as a change-log entry (issue 17,
"Change impact"): the real OpenTelemetry SDK exports to a live server (PostgreSQL). The first
version is the baseline; a retried or concurrent batch proposes once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from reviews.ingest_keys import ingest_key_create
from reviews.models import TelemetryVersion
from tests.conftest import make_use_case, make_user
from usecases.models import Notification, ProposalStatus, ProposedChange

from .telemetry_helpers import NOW, Recorder, at, chat

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def setup(db):
    owner = make_user("olivia")
    use_case = make_use_case(owner=owner)
    key, _row = ingest_key_create(user=owner, use_case=use_case)
    return {"owner": owner, "use_case": use_case, "key": key}


def exporter(live_server, key):
    return OTLPSpanExporter(
        endpoint=f"{live_server.url}/otlp/v1/traces",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,  # a loaded test machine
    )


def spans_of(model, day, *, resource=None, **extra):
    recorder = Recorder(**(resource or {}))
    recorder.span("chat", at(day, 9), attributes=chat(model, 10, 2, user="u1", **extra))
    recorder.span("chat", at(day, 10), attributes=chat(model, 10, 2, user="u2", **extra))
    return recorder.take()


def test_model_a_then_model_b_proposes_one_change_to_the_owner(live_server, setup):
    send = exporter(live_server, setup["key"])
    assert send.export(spans_of("gpt-4o", 23)) == SpanExportResult.SUCCESS
    assert not ProposedChange.objects.exists()  # the first model is the baseline

    batch_b = spans_of("gpt-4.1", 25)
    assert send.export(batch_b) == SpanExportResult.SUCCESS
    assert send.export(batch_b) == SpanExportResult.SUCCESS  # the same batch again (a retry)
    assert send.export(spans_of("gpt-4.1", 26)) == SpanExportResult.SUCCESS  # seen again

    proposal = ProposedChange.objects.get()
    assert (proposal.kind, proposal.previous_value, proposal.new_value) == (
        "model",
        "gpt-4o",
        "gpt-4.1",
    )
    assert proposal.first_seen.isoformat() == "2026-11-25"
    assert proposal.status == ProposalStatus.PROPOSED
    note = Notification.objects.get(kind="change_proposed")
    assert note.recipient == setup["owner"]
    assert "gpt-4o → gpt-4.1" in note.title
    assert note.url.endswith(f"/use-cases/{setup['use_case'].pk}/#changes")


def test_a_new_prompt_version_on_the_resource_is_proposed(live_server, setup):
    send = exporter(live_server, setup["key"])
    send.export(spans_of("gpt-4o", 23, resource={"valuegate.prompt.version": "prompt-v7"}))
    send.export(spans_of("gpt-4o", 24, resource={"valuegate.prompt.version": "prompt-v8"}))
    # …or on the span itself
    send.export(spans_of("gpt-4o", 25, **{"valuegate.prompt.version": "prompt-v9"}))
    proposals = list(ProposedChange.objects.order_by("first_seen"))
    assert [(p.kind, p.previous_value, p.new_value) for p in proposals] == [
        ("prompt", "prompt-v7", "prompt-v8"),
        ("prompt", "prompt-v8", "prompt-v9"),
    ]


def test_concurrent_batches_naming_the_same_new_model_propose_once(live_server, setup):
    send = exporter(live_server, setup["key"])
    send.export(spans_of("gpt-4o", 23))
    batches = [spans_of("gpt-4.1", 25) for _ in range(6)]  # different spans, the same model
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda b: exporter(live_server, setup["key"]).export(b), batches))
    assert results == [SpanExportResult.SUCCESS] * 6
    assert ProposedChange.objects.count() == 1
    assert Notification.objects.filter(kind="change_proposed").count() == 1
    assert TelemetryVersion.objects.filter(use_case=setup["use_case"]).count() == 2
