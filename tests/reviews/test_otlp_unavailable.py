"""``POST /otlp/v1/traces`` when the database cannot take the batch: 503 with ``Retry-After`` (as
the OTLP spec says for an overloaded receiver), never a 500 and never a hang — with a real lock
held by another PostgreSQL connection and a real refused connection, no mock. The batch refused
with a 503 is counted once when the exporter retries it. The outage is logged as the pages log it
(``usecases.database_outage``): one WARNING line, no traceback."""

import logging
import socket
import time

import pytest
import time_machine
from django.db import connection
from google.rpc.status_pb2 import Status

from reviews.ingest_keys import ingest_key_create
from reviews.models import TelemetryDay, TelemetrySpan
from reviews.otlp_view import UNAVAILABLE_RETRY_AFTER
from tests.db_support import other_connection

from .telemetry_helpers import NOW, Recorder, at, chat, protobuf_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
URL = "/otlp/v1/traces"


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def key(use_case, owner):
    return ingest_key_create(user=owner, use_case=use_case)[0]


def batch(n: int, hour: int) -> bytes:
    recorder = Recorder()
    for i in range(n):
        recorder.span("chat", at(25, hour, i), attributes=chat("gpt-4o", 10, 5, user=f"u{i}"))
    return protobuf_of(recorder.take())


def post(client, body, key):
    return client.generic(
        "POST",
        URL,
        body,
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def assert_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(UNAVAILABLE_RETRY_AFTER)
    assert response["Content-Type"] == "application/x-protobuf"
    status = Status.FromString(response.content)
    assert (status.code, status.message) == (14, "Try again later.")  # UNAVAILABLE


def assert_logged_once(caplog, error: str = "OperationalError"):
    """One WARNING line for the 503 (not Django's "Service Unavailable" too), no traceback."""
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelname, r.exc_info) for r in logged] == [
        ("reviews.otlp_view", "WARNING", None)
    ]
    assert logged[0].getMessage().startswith(f"database unavailable: POST {URL} ({error}: ")


def test_a_row_locked_by_another_transaction_answers_503_in_time_and_the_retry_counts_once(
    client, key, use_case, settings, caplog
):
    settings.VALUEGATE_TELEMETRY = {**settings.VALUEGATE_TELEMETRY, "lock_timeout_ms": 300}
    assert post(client, batch(2, 9), key).status_code == 200
    second = batch(3, 10)
    with other_connection() as locker:
        # Another transaction holds the day's aggregate row (as a long purge or write would).
        locker.execute(
            "SELECT spans FROM reviews_telemetryday WHERE use_case_id = %s FOR UPDATE",
            [use_case.pk],
        )
        started = time.monotonic()
        with caplog.at_level(logging.INFO):
            response = post(client, second, key)
        waited = time.monotonic() - started
        locker.rollback()
    assert_unavailable(response)
    assert_logged_once(caplog)
    assert waited < 5  # the lock timeout, not a hang
    # Nothing of the refused batch was kept: not its span ids, not its counts.
    assert TelemetrySpan.objects.filter(use_case=use_case).count() == 2
    assert TelemetryDay.objects.get(use_case=use_case).spans == 2
    # The exporter retries after Retry-After: the batch counts, once.
    assert post(client, second, key).status_code == 200
    assert post(client, second, key).status_code == 200
    assert TelemetryDay.objects.get(use_case=use_case).spans == 5


def test_a_table_locked_during_authentication_answers_503(client, key, settings, caplog):
    settings.VALUEGATE_TELEMETRY = {**settings.VALUEGATE_TELEMETRY, "lock_timeout_ms": 300}
    with other_connection() as locker:
        locker.execute("LOCK TABLE reviews_ingestkey IN ACCESS EXCLUSIVE MODE")
        with caplog.at_level(logging.INFO):
            response = post(client, batch(1, 9), key)
        locker.rollback()
    assert_unavailable(response)
    assert_logged_once(caplog)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens there once closed


def test_a_refused_database_connection_answers_503(client, key, caplog):
    body = batch(1, 9)
    settings_dict = connection.settings_dict
    real = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", closed_port()
    try:
        with caplog.at_level(logging.INFO):
            response = post(client, body, key)
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = real
    assert_unavailable(response)
    assert_logged_once(caplog)
    assert TelemetryDay.objects.count() == 0
    assert post(client, body, key).status_code == 200  # the database is back: the retry counts
    assert TelemetryDay.objects.get().spans == 1
