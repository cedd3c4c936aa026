"""Helpers for the cadence, reminder, tracker and worker tests: review rows and a frozen clock."""

import datetime
from contextlib import contextmanager
from decimal import Decimal

import time_machine
from django.utils import timezone

from reviews.models import MonthlyReview, WeeklyReview
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory


def add_weekly(use_case, week: str) -> WeeklyReview:
    """A weekly review row (cadence only cares that it exists; no stop-loss hook)."""
    return WeeklyReviewFactory(
        use_case=use_case,
        week=week,
        reworked_outputs=50,
        exceptions=10,
        minutes_saved_per_task=Decimal("3"),
        rework_minutes_per_output=Decimal("5"),
        backlog=10,
    )


def add_monthly(use_case, month: str) -> MonthlyReview:
    """A monthly review row without costs."""
    return MonthlyReviewFactory(use_case=use_case, month=month)


@contextmanager
def frozen(day: datetime.date, hour: int = 9):
    """Freeze the clock at ``hour`` o'clock local time on ``day``."""
    moment = timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))
    with time_machine.travel(moment, tick=False):
        yield day
