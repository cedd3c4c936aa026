"""docs/telemetry.md's five-line instrumentation and its OpenTelemetry Collector config, taken
from the page and run against a live server: the spans they send are counted."""

import copy
import datetime
import gzip
import pathlib
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml
from django.utils import timezone
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from reviews.ingest_keys import ingest_key_create
from reviews.models import TelemetryDay, TelemetryTokens, TelemetryUser

from .telemetry_helpers import Recorder, chat, protobuf_of

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


# --- the OpenTelemetry Collector config --------------------------------------------------------
# No Collector binary in the suite (otelcol is a Go program, not on PyPI or npm): the test reads
# the YAML block of the page and sends what the Collector's ``otlphttp`` exporter sends with it
# (opentelemetry-collector exporter/otlphttpexporter): a POST to ``traces_endpoint``, else to
# ``endpoint`` + "/v1/traces"; the configured ``headers`` after ``${env:…}`` expansion;
# protobuf (``encoding: proto``, the default); gzip unless ``compression: none``. The
# doc's host is replaced by the live server's, its path kept: a wrong path, header or
# encoding in the page fails here.


def collector_config() -> dict:
    text = DOC.read_text()
    match = re.search(r"### Through an OpenTelemetry Collector.*?```yaml\n(.*?)```", text, re.S)
    assert match, "docs/telemetry.md lost its Collector block"
    return yaml.safe_load(match.group(1))


def expand_env(value: str, env: dict) -> str:
    """The Collector's config expansion: ``${env:NAME}`` and ``${NAME}``."""
    return re.sub(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env[m.group(1)], value)


def exporter_request(config: dict, live_url: str, env: dict, body: bytes) -> urllib.request.Request:
    pipeline = config["service"]["pipelines"]["traces"]
    [name] = [e for e in pipeline["exporters"] if e.split("/")[0] == "otlphttp"]
    assert name in config["exporters"], "the traces pipeline names an exporter not configured"
    assert set(pipeline["receivers"]) <= set(config["receivers"])
    assert set(pipeline.get("processors", [])) <= set(config["processors"])
    exporter = config["exporters"][name]
    url = exporter.get("traces_endpoint") or exporter["endpoint"].rstrip("/") + "/v1/traces"
    documented = urllib.parse.urlsplit(url)
    assert documented.scheme == "https", "the doc should send to an https endpoint"
    target = live_url + documented.path
    headers = {k: expand_env(str(v), env) for k, v in (exporter.get("headers") or {}).items()}
    assert exporter.get("encoding", "proto") == "proto"  # the exporter's default: protobuf
    headers["Content-Type"] = "application/x-protobuf"
    if exporter.get("compression", "gzip") == "gzip":  # the exporter's default is gzip
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    headers["User-Agent"] = "OpenTelemetry Collector Contrib/0.115.0 (linux/amd64)"
    return urllib.request.Request(target, data=body, headers=headers, method="POST")


def test_the_documented_collector_config_forwards_spans_that_count(live_server, use_case, owner):
    key, _row = ingest_key_create(user=owner, use_case=use_case)
    recorder = Recorder()
    start = timezone.now() - datetime.timedelta(minutes=5)
    parent = recorder.span("handle ticket", start)
    recorder.span(
        "chat gpt-4o",
        start + datetime.timedelta(seconds=1),
        parent=parent,
        attributes=chat("gpt-4o", 300, 40, user="agent-7"),
    )
    body = protobuf_of(recorder.take())
    request = exporter_request(
        collector_config(), live_server.url, {"VALUEGATE_INGEST_KEY": key}, body
    )
    assert request.get_header("Authorization") == f"Bearer {key}"
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == request.get_header("Content-type")
        answer = ExportTraceServiceResponse.FromString(response.read())
    assert answer.partial_success.rejected_spans == 0
    day = TelemetryDay.objects.get(use_case=use_case)
    assert (day.spans, day.ai_calls) == (2, 1)
    tokens = TelemetryTokens.objects.get(use_case=use_case)
    assert (tokens.model, tokens.input_tokens, tokens.output_tokens) == ("gpt-4o", 300, 40)


def test_a_wrong_path_or_key_in_the_collector_config_would_fail(live_server, use_case, owner):
    """The check above can fail: the same request with the endpoint's path doubled, or another
    key, is refused."""
    key, _row = ingest_key_create(user=owner, use_case=use_case)
    recorder = Recorder()
    recorder.span("chat", timezone.now(), attributes=chat("gpt-4o", 1, 1))
    body = protobuf_of(recorder.take())
    config = collector_config()
    [name] = [e for e in config["exporters"] if e.startswith("otlphttp")]
    wrong_path = copy.deepcopy(config)
    endpoint = wrong_path["exporters"][name]["endpoint"]
    wrong_path["exporters"][name]["endpoint"] = endpoint.rstrip("/") + "/v1/traces"
    for bad, env in (
        (wrong_path, {"VALUEGATE_INGEST_KEY": key}),
        (config, {"VALUEGATE_INGEST_KEY": "vgi_not-a-key"}),
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(exporter_request(bad, live_server.url, env, body), timeout=30)
        assert refused.value.code in (401, 404)
    assert not TelemetryDay.objects.filter(use_case=use_case).exists()
