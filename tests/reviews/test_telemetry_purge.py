"""The nightly purge (beat task ``reviews.tasks.purge_telemetry``): span ids leave after the
window, a week's trace flags and user hashes are frozen into its counts first; the figures of the
week read the same before and after."""

import datetime

import pytest
import time_machine
from django.conf import settings

from reviews.ingest_keys import ingest_key_create
from reviews.models import (
    TelemetryDay,
    TelemetrySpan,
    TelemetryTrace,
    TelemetryUser,
    TelemetryWeek,
)
from reviews.tasks import purge_telemetry
from reviews.telemetry_figures import week_telemetry

from .telemetry_helpers import BERLIN, NOW, WEEK48, Recorder, protobuf_of, week48_batches

pytestmark = pytest.mark.django_db


def test_the_purge_is_scheduled_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-telemetry"]
    assert entry["task"] == purge_telemetry.name == "reviews.tasks.purge_telemetry"


def test_purge_freezes_a_week_then_deletes_its_ids(client, use_case, owner):
    key = ingest_key_create(user=owner, use_case=use_case)[0]
    with time_machine.travel(NOW, tick=False):
        for batch in week48_batches(Recorder()):
            response = client.generic(
                "POST",
                "/otlp/v1/traces",
                protobuf_of(batch),
                content_type="application/x-protobuf",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
            assert response.status_code == 200
        purge_telemetry.delay()  # nothing is old yet
    assert TelemetrySpan.objects.count() == 8
    before = week_telemetry(use_case.pk, "2026-W48")

    # 10 December: the window starts on 30 November; W48 (to 29 November) has left it.
    with time_machine.travel(datetime.datetime(2026, 12, 10, 4, tzinfo=BERLIN), tick=False):
        purge_telemetry.delay()
    assert not TelemetrySpan.objects.exists()
    assert not TelemetryTrace.objects.exists()
    assert not TelemetryUser.objects.exists()
    assert set(TelemetryWeek.objects.values_list("week", flat=True)) == {"2026-W47", "2026-W48"}
    after = week_telemetry(use_case.pk, "2026-W48")
    assert after == before
    assert (after.tasks_with_ai, after.active_users) == (
        WEEK48["tasks_with_ai"],
        WEEK48["active_users"],
    )
    assert TelemetryDay.objects.exists()  # the per-day aggregates stay


def test_a_week_still_in_the_window_is_not_frozen(client, use_case, owner):
    key = ingest_key_create(user=owner, use_case=use_case)[0]
    with time_machine.travel(NOW, tick=False):
        for batch in week48_batches(Recorder()):
            client.generic(
                "POST",
                "/otlp/v1/traces",
                protobuf_of(batch),
                content_type="application/x-protobuf",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
    # 3 December: the window starts on 23 November, inside W48; W47 is out.
    with time_machine.travel(datetime.datetime(2026, 12, 3, 4, tzinfo=BERLIN), tick=False):
        purge_telemetry.delay()
    assert list(TelemetryWeek.objects.values_list("week", flat=True)) == ["2026-W47"]
    assert TelemetryTrace.objects.count() == 5  # W48's
    assert TelemetrySpan.objects.count() == 7  # E1 (22 November) left the window
