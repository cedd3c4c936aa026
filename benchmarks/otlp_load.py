"""Span load from the real OpenTelemetry Python SDK: ``TracerProvider`` → ``BatchSpanProcessor``
(512-span batches) → ``OTLPSpanExporter`` (OTLP/HTTP protobuf) → ``/otlp/v1/traces``, in
``clients`` processes at once (one provider and one exporter thread each, as separate
applications would be), for ``seconds``. Standard library and the SDK only (no Django).

Each exported batch is timed around ``OTLPSpanExporter.export`` (encode + POST + answer): the
batch latency. A process keeps at most ``IN_FLIGHT`` spans made but not yet exported, so the
SDK's queue never overflows and drops spans (a dropped span would be counted as sent). Bounded
everywhere: the exporter's timeout, the processes' deadline, the parent's join with a timeout
(then terminate). Process 0 keeps the bytes of its first ``SAMPLES`` batches for the floor."""

from __future__ import annotations

import multiprocessing
import random
import time
from dataclasses import dataclass, field

BATCH = 512
IN_FLIGHT = 4 * BATCH
SAMPLES = 20
EXPORT_TIMEOUT = 10  # seconds, per export (the SDK's retries included)
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4")


@dataclass
class ClientResult:
    spans: int = 0  # spans in batches the server accepted
    batches: int = 0
    failed_batches: int = 0
    latencies: list[float] = field(default_factory=list)
    samples: list[bytes] = field(default_factory=list)
    first_at: float = 0.0  # time.time() when the first export began
    last_at: float = 0.0  # ... and when the last one ended
    error: str = ""


def _client(endpoint: str, key: str, seconds: float, keep_samples: bool, queue) -> None:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

    result = ClientResult()

    class TimedExporter(OTLPSpanExporter):
        def export(self, spans):
            result.first_at = result.first_at or time.time()
            began = time.perf_counter()
            outcome = super().export(spans)
            result.latencies.append(time.perf_counter() - began)
            result.last_at = time.time()
            if outcome == SpanExportResult.SUCCESS:
                result.spans += len(spans)
                result.batches += 1
            else:
                result.failed_batches += 1
            if keep_samples and len(result.samples) < SAMPLES:
                result.samples.append(encode_spans(spans).SerializeToString())
            return outcome

    exporter = TimedExporter(
        endpoint=endpoint, headers={"Authorization": f"Bearer {key}"}, timeout=EXPORT_TIMEOUT
    )
    processor = BatchSpanProcessor(
        exporter,
        max_queue_size=IN_FLIGHT * 2,
        max_export_batch_size=BATCH,
        schedule_delay_millis=50,
        export_timeout_millis=EXPORT_TIMEOUT * 1000,
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "bench-assistant"}))
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("valuegate-bench")
    rng = random.Random()
    made = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if made - (result.spans + result.failed_batches * BATCH) >= IN_FLIGHT:
                time.sleep(0.001)
                continue
            # One task: a root span and two AI calls (3 spans), a user among 500.
            user = f"user-{rng.randrange(500)}"
            with tracer.start_as_current_span("handle request", attributes={"user.id": user}):
                for _ in range(2):
                    model = rng.choice(MODELS)
                    with tracer.start_as_current_span(
                        f"chat {model}",
                        attributes={
                            "gen_ai.operation.name": "chat",
                            "gen_ai.request.model": model,
                            "gen_ai.response.model": model,
                            "gen_ai.usage.input_tokens": rng.randrange(100, 4000),
                            "gen_ai.usage.output_tokens": rng.randrange(10, 800),
                            "user.id": user,
                        },
                    ):
                        pass
            made += 3
        processor.force_flush(timeout_millis=EXPORT_TIMEOUT * 1000)
    except Exception as exc:  # reported, never hangs the parent
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        provider.shutdown()
    queue.put(result)


def run(endpoint: str, keys: list[str], *, seconds: float) -> tuple[float, list[ClientResult]]:
    """``len(keys)`` client processes for ``seconds``; the wall time from start to the last
    answer, and each process's result (a process that does not answer in time is terminated
    and reported as an error)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_client, args=(endpoint, key, seconds, i == 0, queue), daemon=True)
        for i, key in enumerate(keys)
    ]
    began = time.perf_counter()
    for process in processes:
        process.start()
    results = []
    limit = time.monotonic() + seconds + 3 * EXPORT_TIMEOUT + 30  # start-up, flush, shutdown
    for _ in processes:
        remaining = limit - time.monotonic()
        try:
            results.append(queue.get(timeout=max(remaining, 0.1)))
        except Exception:
            results.append(ClientResult(error="a client process did not answer in time"))
    wall = time.perf_counter() - began
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
    return wall, results
