"""The purge of the telemetry de-duplication rows (beat: nightly, ``purge_telemetry``).

Span ids older than the window (``VALUEGATE_TELEMETRY["window_days"]``) are deleted: the ingest
rejects spans that old anyway, so no retry can count twice. Trace flags and user hashes of a week
that ended before the window are first frozen into ``TelemetryWeek`` (its distinct counts), then
deleted. The per-day aggregates (``TelemetryDay``, ``TelemetryTokens``) stay: they hold no span,
user or trace id."""

import datetime

from django.db import transaction

from usecases import clock

from .telemetry_figures import week_distinct_counts
from .telemetry_ingest import week_of, window_start
from .telemetry_models import TelemetrySpan, TelemetryTrace, TelemetryUser, TelemetryWeek


def telemetry_purge(*, today: datetime.date | None = None) -> dict:
    start = window_start(today or clock.today())
    # Whole weeks only: the last Sunday before the window's first day.
    last_sunday = start - datetime.timedelta(days=start.isoweekday() % 7)
    with transaction.atomic():
        spans, _ = TelemetrySpan.objects.filter(day__lt=start).delete()
        weeks = set(
            TelemetryTrace.objects.filter(day__lte=last_sunday)
            .values_list("use_case_id", "day")
            .distinct()
        )
        pairs = {(uc, week_of(day)) for uc, day in weeks}
        pairs |= {
            (uc, w)
            for uc, w in TelemetryUser.objects.values_list("use_case_id", "week").distinct()
            if week_of(last_sunday) >= w
        }
        for use_case_id, week in sorted(pairs):
            TelemetryWeek.objects.update_or_create(
                use_case_id=use_case_id, week=week, defaults=week_distinct_counts(use_case_id, week)
            )
        traces, _ = TelemetryTrace.objects.filter(day__lte=last_sunday).delete()
        users, _ = TelemetryUser.objects.filter(week__in={week for _uc, week in pairs}).delete()
    return {"spans": spans, "traces": traces, "users": users, "weeks_frozen": len(pairs)}
