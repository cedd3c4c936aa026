"""docs/telemetry.md's five-line instrumentation, taken from the page and run against a live
server: the span it sends is counted."""

import pathlib
import re

import pytest

from reviews.ingest_keys import ingest_key_create
from reviews.models import TelemetryDay, TelemetryTokens, TelemetryUser

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "telemetry.md"


def snippet() -> str:
    text = DOC.read_text()
    match = re.search(
        r"<!-- instrumentation -->\n(?:<!-- fmt: off -->\n)?```python\n(.*?)```", text, re.S
    )
    assert match, "docs/telemetry.md lost its instrumentation block"
    return match.group(1)


def test_the_snippet_has_five_lines():
    assert len(snippet().strip().splitlines()) == 5


def test_the_documented_snippet_sends_a_span_that_counts(live_server, use_case, owner, monkeypatch):
    key, _row = ingest_key_create(user=owner, use_case=use_case)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"{live_server.url}/otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer%20{key}")
    namespace: dict = {}
    exec(compile(snippet(), str(DOC), "exec"), namespace)  # noqa: S102 (our own documentation)
    assert namespace["provider"].force_flush(30_000)
    namespace["provider"].shutdown()

    day = TelemetryDay.objects.get(use_case=use_case)
    assert (day.spans, day.ai_calls) == (1, 1)
    tokens = TelemetryTokens.objects.get(use_case=use_case)
    assert (tokens.model, tokens.input_tokens, tokens.output_tokens) == ("gpt-4o", 812, 95)
    assert TelemetryUser.objects.filter(use_case=use_case).count() == 1
