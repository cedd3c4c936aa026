"""Spans made by the real OpenTelemetry SDK (``gen_ai.*`` attributes), and the week they describe.

``week48_batches()`` builds the suite's hand-counted week (2026-W48, Monday 23 to Sunday 29
November, Europe/Berlin) as two export batches; ``WEEK48`` is what it must count for, worked out
by hand from the spans below (not by the code under test)."""

import datetime
import zoneinfo
from decimal import Decimal

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
#: "Now" of the ingest tests: Monday after W48 (the window reaches back to 20 November).
NOW = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN)


def ns(when: datetime.datetime) -> int:
    return int(when.timestamp() * 1e9)


def at(day: int, hour: int, minute: int = 0, tz=BERLIN) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=tz)


class Recorder:
    """A tracer whose ended spans are kept (not exported): ``take()`` returns and forgets them."""

    def __init__(self, **resource):
        self.memory = InMemorySpanExporter()
        self.provider = TracerProvider(resource=Resource.create({"service.name": "t", **resource}))
        self.provider.add_span_processor(SimpleSpanProcessor(self.memory))
        self.tracer = self.provider.get_tracer("valuegate-tests")

    def span(self, name, start, *, parent=None, end=None, attributes=None, events=(), error=False):
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(
            name, context=context, start_time=ns(start), attributes=attributes or {}
        )
        for event_name, event_attributes in events:
            span.add_event(event_name, event_attributes, timestamp=ns(start))
        if error:
            span.set_status(Status(StatusCode.ERROR, "boom"))
        span.end(end_time=ns(end or start + datetime.timedelta(seconds=2)))
        return span

    def take(self):
        spans = list(self.memory.get_finished_spans())
        self.memory.clear()
        return spans


def chat(model, input_tokens, output_tokens, user=None, **extra):
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.output_tokens": output_tokens,
    }
    if user:
        attributes["user.id"] = user
    attributes.update(extra)
    return attributes


def evaluation(name, score):
    return (
        "gen_ai.evaluation.result",
        {"gen_ai.evaluation.name": name, "gen_ai.evaluation.score.value": score},
    )


def week48_batches(recorder: Recorder) -> list[list]:
    """Two batches of spans; trace C has a span in each."""
    r = recorder
    # A (Tue 24, u1): a task (no AI itself) with a child chat on gpt-4o, quality 0.8.
    task_a = r.tracer.start_span("handle ticket", start_time=ns(at(24, 9)))
    r.span(
        "chat gpt-4o",
        at(24, 9, 1),
        parent=task_a,
        attributes=chat("gpt-4o", 120_000, 50_000, user="u1"),
        events=[evaluation("quality", 0.8)],
    )
    task_a.end(end_time=ns(at(24, 9, 5)))
    # B (Thu 26, u2): an AI call that failed; the user's feedback 0.2 → rework.
    r.span(
        "chat gpt-4o",
        at(26, 14),
        attributes=chat("gpt-4o", 200_000, 30_000, user="u2"),
        events=[evaluation("user_feedback", 0.2)],
        error=True,
    )
    # C (Fri 27, u1): two AI calls on an unpriced model, the second in the next batch.
    c1 = r.span("chat claude", at(27, 11), attributes=chat("claude-x", 1_000, 10, user="u1"))
    first = r.take()
    r.span(
        "chat claude",
        at(27, 11, 1),
        parent=c1,
        attributes=chat("claude-x", 500, 5, user="u1"),
        events=[evaluation("quality", 0.6), evaluation("user_feedback", 0.9)],
    )
    # D (Sat 28, u3): no AI; error.type → an exception, not a task with AI.
    r.span("lookup", at(28, 8), attributes={"error.type": "timeout", "enduser.id": "u3"})
    # E1: Sunday 22 November 23:30 in Berlin (W47): not counted in W48.
    r.span("chat", at(22, 23, 30), attributes=chat("gpt-4o", 7, 7, user="u9"))
    # E2: Sunday 22 November 23:30 UTC = Monday 23 November 00:30 in Berlin (W48).
    r.span("chat", at(22, 23, 30, tz=datetime.UTC), attributes=chat("gpt-4o", 0, 0, user="u4"))
    return [first, r.take()]


GPT_PRICES = [
    # (effective from, input per million, output per million)
    ("2026-11-01", "2.5000", "10.0000"),
    ("2026-11-25", "5.0000", "20.0000"),
]
#: W48 by hand: tasks with AI A, B, C, E2; exceptions B, D; rework B; users u1 u2 u3 u4;
#: quality (0.8 + 0.6) / 2 = 70.00; gpt-4o 320,000 in / 80,000 out: A on the 24th at the
#: first price 0.12 × 2.5 + 0.05 × 10 = 0.80, B on the 26th at the second 0.2 × 5 + 0.03 × 20
#: = 1.60: 2.40 EUR; claude-x 1,500 in / 15 out unpriced.
WEEK48 = {
    "tasks_with_ai": 4,
    "exceptions": 2,
    "reworked_outputs": 1,
    "active_users": 4,
    "quality_score": "70.00",
    "ai_calls": 5,
    "traces": 5,
    "token_cost": [{"currency": "EUR", "amount": "2.40"}],
    "unpriced_models": ["claude-x"],
    "tokens": [
        {
            "model": "claude-x",
            "input_tokens": 1_500,
            "output_tokens": 15,
            "priced": False,
            "currency": None,
            "cost": None,
        },
        {
            "model": "gpt-4o",
            "input_tokens": 320_000,
            "output_tokens": 80_000,
            "priced": True,
            "currency": "EUR",
            "cost": "2.40",
        },
    ],
}
WEEK48_SPANS = 7  # A: 2, B, C: 2, D, E2 (E1 is W47)


def protobuf_of(spans) -> bytes:
    return encode_spans(spans).SerializeToString()


def add_gpt_prices():
    from reviews.models import ModelPrice

    for day, inp, out in GPT_PRICES:
        ModelPrice.objects.create(
            model="gpt-4o",
            input_per_million=Decimal(inp),
            output_per_million=Decimal(out),
            currency="EUR",
            effective_from=day,
        )


#: Who may read a review draft (weekly or monthly): whoever submits the use case's reviews.
DRAFT_STATUS = {
    "anonymous": 401,
    "outsider": 404,
    "other_owner": 403,
    "contributor": 200,
    "leader": 403,
    "pmo": 403,
    "owner": 200,
    "admin": 200,
}


def telemetry_rows(
    use_case, week, *, users, tasks, traces=None, spans=None, frozen=False, last_span_at=None
):
    """Rows as the OTLP ingest leaves them for ``week``: a day with spans, ``traces`` traces of
    which ``tasks`` hold an AI call, ``users`` user hashes (``frozen``: the week's frozen counts
    instead of trace and user rows, as after the purge)."""
    from reviews.telemetry_models import (
        TelemetryDay,
        TelemetryTrace,
        TelemetryUser,
        TelemetryWeek,
    )
    from usecases import economics

    monday, _ = economics.iso_week_bounds(*economics.parse_iso_week(week))
    traces = tasks if traces is None else traces
    TelemetryDay.objects.create(
        use_case=use_case,
        day=monday + datetime.timedelta(days=2),
        spans=spans or traces or 1,
        last_span_at=last_span_at,
    )
    if frozen:
        TelemetryWeek.objects.create(
            use_case=use_case,
            week=week,
            active_users=users,
            tasks_with_ai=tasks,
            exceptions=0,
            reworked_outputs=0,
            traces=traces,
        )
        return
    TelemetryTrace.objects.bulk_create(
        TelemetryTrace(
            use_case=use_case,
            trace_id=f"{use_case.pk:08x}{monday.toordinal():08x}{n:016x}",
            day=monday + datetime.timedelta(days=n % 7),
            has_ai=n < tasks,
        )
        for n in range(traces)
    )
    TelemetryUser.objects.bulk_create(
        TelemetryUser(use_case=use_case, week=week, user_hash=f"{n:064x}") for n in range(users)
    )
