"""Helpers for the cadence, reminder, tracker and worker tests: review rows and a frozen clock."""

import datetime
from contextlib import contextmanager
from decimal import Decimal

import time_machine
from django.utils import timezone

from reviews.models import MonthlyReview, WeeklyReview


def add_weekly(use_case, week: str) -> WeeklyReview:
    """A weekly review row (cadence only cares that it exists)."""
    return WeeklyReview.objects.create(
        use_case=use_case,
        week=week,
        active_users=80,
        target_users=100,
        tasks_total=1000,
        tasks_with_ai=800,
        reworked_outputs=50,
        exceptions=10,
        minutes_saved_per_task=Decimal("3"),
        rework_minutes_per_output=Decimal("5"),
        quality_score=Decimal("85"),
        backlog=10,
    )


def add_monthly(use_case, month: str) -> MonthlyReview:
    zero = Decimal("0")
    return MonthlyReview.objects.create(
        use_case=use_case,
        month=month,
        training_cost=zero,
        support_cost=zero,
        integration_cost=zero,
        run_cost=zero,
        maintenance_cost=zero,
        other_cost=zero,
    )


@contextmanager
def frozen(day: datetime.date, hour: int = 9):
    """Freeze the clock at ``hour`` o'clock local time on ``day``."""
    moment = timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour))
    with time_machine.travel(moment, tick=False):
        yield day
