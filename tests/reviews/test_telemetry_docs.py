"""docs/telemetry.md's five-line instrumentation and its OpenTelemetry Collector config, taken
from the page and run against a live server (the config in a real Collector): the spans they
send are counted."""

import contextlib
import os
import pathlib
import re
import socket
import subprocess
import time
import urllib.parse

import pytest
import yaml
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from reviews.ingest_keys import ingest_key_create
from reviews.models import TelemetryDay, TelemetryTokens, TelemetryUser
from tests.alert_receiver import free_port

from .telemetry_helpers import chat

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
# A real OpenTelemetry Collector runs the page's YAML block as it is: the upstream otelcol command
# with its core components, built from Debian's packaged sources (``make otelcol``,
# scripts/otelcol.py). A second config file, merged after the page's by the Collector itself,
# only points it at the test: its receivers at free loopback ports, the exporter's endpoint at
# the live server (the page's path kept), no port for its own metrics. The Python SDK sends
# spans to the Collector; Valuegate counts what the Collector forwards.

OTELCOL = pathlib.Path(
    os.environ.get("VALUEGATE_OTELCOL", DOC.parents[1] / "var" / "otelcol" / "otelcol-valuegate")
)


def collector_yaml() -> str:
    text = DOC.read_text()
    match = re.search(r"### Through an OpenTelemetry Collector.*?```yaml\n(.*?)```", text, re.S)
    assert match, "docs/telemetry.md lost its Collector block"
    return match.group(1)


def otelcol() -> str:
    if not OTELCOL.exists():
        pytest.fail(f"no OpenTelemetry Collector at {OTELCOL}: run `make otelcol`")
    return str(OTELCOL)


@contextlib.contextmanager
def running_collector(tmp_path, live_url: str, key: str, *, path_suffix: str = ""):
    """The Collector running the page's config, forwarding to ``live_url``; yields the URL of
    its OTLP/HTTP receiver and its log file."""
    text = collector_yaml()
    config = yaml.safe_load(text)
    [name] = [e for e in config["service"]["pipelines"]["traces"]["exporters"] if "otlphttp" in e]
    documented = urllib.parse.urlsplit(config["exporters"][name]["endpoint"])
    assert documented.scheme == "https", "the doc should send to an https endpoint"
    http_port, grpc_port = free_port(), free_port()
    overrides = {
        "receivers": {
            "otlp": {
                "protocols": {
                    "http": {"endpoint": f"127.0.0.1:{http_port}"},
                    "grpc": {"endpoint": f"127.0.0.1:{grpc_port}"},
                }
            }
        },
        "exporters": {name: {"endpoint": live_url + documented.path + path_suffix}},
        "service": {"telemetry": {"metrics": {"level": "none"}}},
    }
    page, test = tmp_path / "page.yaml", tmp_path / "test.yaml"
    page.write_text(text)
    test.write_text(yaml.safe_dump(overrides))
    log = tmp_path / "collector.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [otelcol(), f"--config=file:{page}", f"--config=file:{test}"],
            env={"PATH": "/usr/bin:/bin", "VALUEGATE_INGEST_KEY": key},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"the Collector exited: {log.read_text()}"
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", http_port)) == 0:
                    break
            assert time.monotonic() < deadline, f"the Collector did not listen: {log.read_text()}"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{http_port}", log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def send_through(collector_url: str, *, user: str) -> None:
    """A trace of two spans, one of them an AI call, from the OpenTelemetry SDK to the
    Collector (no key: the Collector holds it)."""
    provider = TracerProvider()
    exporter = OTLPSpanExporter(endpoint=f"{collector_url}/v1/traces", timeout=10)
    provider.add_span_processor(BatchSpanProcessor(exporter))  # both spans in one request
    tracer = provider.get_tracer("collector-test")
    with (
        tracer.start_as_current_span("handle ticket"),
        tracer.start_as_current_span("chat gpt-4o", attributes=chat("gpt-4o", 300, 40, user=user)),
    ):
        pass
    provider.shutdown()


def wait_for(condition, *, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_the_documented_collector_config_is_valid_as_it_stands(tmp_path):
    page = tmp_path / "page.yaml"
    page.write_text(collector_yaml())
    checked = subprocess.run(
        [otelcol(), "validate", f"--config=file:{page}"],
        env={"PATH": "/usr/bin:/bin", "VALUEGATE_INGEST_KEY": "vgi_example"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_documented_collector_config_forwards_spans_that_count(
    live_server, use_case, owner, tmp_path
):
    key, row = ingest_key_create(user=owner, use_case=use_case)
    with running_collector(tmp_path, live_server.url, key) as (collector_url, log):
        send_through(collector_url, user="agent-7")
        counted = wait_for(
            lambda: TelemetryDay.objects.filter(use_case=use_case, spans__gte=2).exists()
        )
        assert counted, f"nothing arrived through the Collector: {log.read_text()}"
    day = TelemetryDay.objects.get(use_case=use_case)
    assert (day.spans, day.ai_calls) == (2, 1)
    tokens = TelemetryTokens.objects.get(use_case=use_case)
    assert (tokens.model, tokens.input_tokens, tokens.output_tokens) == ("gpt-4o", 300, 40)
    assert TelemetryUser.objects.filter(use_case=use_case).count() == 1
    row.refresh_from_db()
    assert row.last_used_at is not None  # the Collector sent the page's key


@pytest.mark.parametrize("bad", ["wrong key", "wrong path"])
def test_a_wrong_path_or_key_in_the_collector_config_would_fail(
    live_server, use_case, owner, tmp_path, bad
):
    """The check above can fail: the Collector with another key, or the endpoint's path
    doubled, is refused (401, 404: its exporter drops the batch and logs it), and nothing
    counts."""
    key, _row = ingest_key_create(user=owner, use_case=use_case)
    with running_collector(
        tmp_path,
        live_server.url,
        "vgi_not-a-key" if bad == "wrong key" else key,
        path_suffix="/v1/traces" if bad == "wrong path" else "",
    ) as (collector_url, log):
        send_through(collector_url, user="agent-7")
        code = "401" if bad == "wrong key" else "404"
        assert wait_for(lambda: code in log.read_text()), log.read_text()
    assert not TelemetryDay.objects.filter(use_case=use_case).exists()
