"""What a span counts for (docs/telemetry.md, one rule each): pure functions from the
opentelemetry-proto messages to ``SpanFacts``, no ORM.

- an **AI call** is a span with ``gen_ai.operation.name``;
- a **task with AI** is a trace holding at least one AI call;
- an **exception** is a trace with a span whose status is ERROR or that carries ``error.type``;
- **tokens** are ``gen_ai.usage.input_tokens`` / ``gen_ai.usage.output_tokens`` per
  ``gen_ai.response.model`` (else ``gen_ai.request.model``);
- a **user** is ``user.id`` (else ``enduser.id``) of the span, else of its resource;
- **evaluations** are ``gen_ai.evaluation.result`` span events (or the same attributes on the
  span itself): ``gen_ai.evaluation.name`` and ``gen_ai.evaluation.score.value``. The one named
  ``quality_evaluation`` is a quality score (0..1, counted ×100); the one named
  ``feedback_evaluation`` below ``rework_below`` marks the trace as reworked.
- the **version** in use: the model above, and the prompt version ``valuegate.prompt.version`` of
  the span, else of its resource (a new one is proposed as a change-log entry);
- the **day** of a span is the local date (``TIME_ZONE``) of its start time.
"""

import dataclasses
import datetime
import zoneinfo

from django.conf import settings

AI_OPERATION = "gen_ai.operation.name"
ERROR_TYPE = "error.type"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
RESPONSE_MODEL = "gen_ai.response.model"
REQUEST_MODEL = "gen_ai.request.model"
USER_IDS = ("user.id", "enduser.id")
EVALUATION_EVENT = "gen_ai.evaluation.result"
EVALUATION_NAME = "gen_ai.evaluation.name"
EVALUATION_SCORE = "gen_ai.evaluation.score.value"
USE_CASE_ATTRIBUTE = "valuegate.use_case.id"
PROMPT_VERSION = "valuegate.prompt.version"
STATUS_CODE_ERROR = 2
UNKNOWN_MODEL = "(model not named)"


@dataclasses.dataclass(frozen=True)
class SpanFacts:
    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits
    start: datetime.datetime  # aware, UTC
    end: datetime.datetime | None
    day: datetime.date  # local day of the start
    ai_call: bool
    error: bool
    model: str | None
    input_tokens: int
    output_tokens: int
    user: str | None
    quality: tuple[float, ...]  # scores ×100
    rework: bool
    prompt_version: str | None = None


def attributes(key_values) -> dict:
    """OTLP ``KeyValue``s as a dict of plain values (strings, ints, floats, bools); arrays and
    maps are left out: no rule reads them."""
    found = {}
    for kv in key_values:
        kind = kv.value.WhichOneof("value")
        if kind in ("string_value", "bool_value", "int_value", "double_value"):
            found[kv.key] = getattr(kv.value, kind)
    return found


#: The most tokens one span may count (input or output): no model call reads or writes a
#: billion tokens. A larger count (or a negative one) is not a measurement: the span is rejected.
#: The bound also keeps a day's 64-bit sums (``TelemetryTokens``) from overflowing: that takes
#: over 9 × 10⁹ spans of one use case, model and day each at the bound, twenty times what the
#: receiver can take in a day (``make bench``: thousands of spans per second).
MAX_TOKENS_PER_SPAN = 10**9


def _count(value) -> int | None:
    """A token count as a span gives it: 0 when absent or not a number, None when it is no count
    a call can have (negative, above ``MAX_TOKENS_PER_SPAN``, not finite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    if not 0 <= value <= MAX_TOKENS_PER_SPAN:  # NaN fails both comparisons
        return None
    return int(value)


def _score(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 <= value <= 1 else None


def _evaluations(span, attrs: dict) -> list[tuple[str, float]]:
    found = []
    candidates = [attrs] + [
        attributes(event.attributes) for event in span.events if event.name == EVALUATION_EVENT
    ]
    for values in candidates:
        name, score = values.get(EVALUATION_NAME), _score(values.get(EVALUATION_SCORE))
        if isinstance(name, str) and score is not None:
            found.append((name, score))
    return found


def _instant(nanos: int) -> datetime.datetime | None:
    if nanos <= 0:
        return None
    try:
        return datetime.datetime.fromtimestamp(nanos / 1e9, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def span_facts(span, resource_attrs: dict) -> SpanFacts | str:
    """The facts of one span, or why it is rejected (a sentence)."""
    if len(span.trace_id) != 16 or not any(span.trace_id):
        return "a span without a valid trace id"
    if len(span.span_id) != 8 or not any(span.span_id):
        return "a span without a valid span id"
    start = _instant(span.start_time_unix_nano)
    if start is None:
        return "a span without a start time"
    attrs = attributes(span.attributes)
    config = settings.VALUEGATE_TELEMETRY
    evaluations = _evaluations(span, attrs)
    user = next(
        (
            str(source[key])
            for source in (attrs, resource_attrs)
            for key in USER_IDS
            if source.get(key) not in (None, "")
        ),
        None,
    )
    model = attrs.get(RESPONSE_MODEL) or attrs.get(REQUEST_MODEL)
    input_tokens, output_tokens = _count(attrs.get(INPUT_TOKENS)), _count(attrs.get(OUTPUT_TOKENS))
    if input_tokens is None or output_tokens is None:
        return f"a span whose token count is not one a call can have (0 to {MAX_TOKENS_PER_SPAN:,})"
    if (input_tokens or output_tokens) and not isinstance(model, str):
        model = UNKNOWN_MODEL
    prompt = next(
        (
            str(source[PROMPT_VERSION]).strip()
            for source in (attrs, resource_attrs)
            if str(source.get(PROMPT_VERSION, "")).strip()
        ),
        None,
    )
    return SpanFacts(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        start=start,
        end=_instant(span.end_time_unix_nano),
        day=start.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date(),
        ai_call=AI_OPERATION in attrs,
        error=span.status.code == STATUS_CODE_ERROR or ERROR_TYPE in attrs,
        model=str(model)[:200] if model else None,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        user=user,
        quality=tuple(
            score * 100 for name, score in evaluations if name == config["quality_evaluation"]
        ),
        rework=any(
            name == config["feedback_evaluation"] and score < config["rework_below"]
            for name, score in evaluations
        ),
        prompt_version=prompt[:200] if prompt else None,
    )


def resource_use_case(resource_attrs: dict) -> int | None | str:
    """The use case a resource names in ``valuegate.use_case.id``: its id, None when it names
    none, or the text when it is no id."""
    value = resource_attrs.get(USE_CASE_ATTRIBUTE)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else text
