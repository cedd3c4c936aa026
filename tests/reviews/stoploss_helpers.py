"""Helpers shared by the stop-loss, signal, sweep and flag tests.

Reviews are created through ``reviews.services`` so the save hook runs end to end; the clock is
frozen at Wednesday 2026-11-25 (ISO week 2026-W48) by the ``frozen_today`` fixture.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from reviews.models import StopLossRule, WeeklyReview
from reviews.services import weekly_review_correct
from tests.factories import StopLossRuleFactory, submit_monthly, submit_weekly
from usecases import economics

TODAY = datetime.date(2026, 11, 25)

#: A healthy week: adoption 80%, rework 10%, exceptions 2%, quality 85.
HEALTHY = dict(
    active_users=80,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=80,
    exceptions=20,
    minutes_saved_per_task=Decimal("3.50"),
    rework_minutes_per_output=Decimal("5.00"),
    quality_score=Decimal("85"),
    backlog=100,
    declared_hours_saved=Decimal("0"),
)


@pytest.fixture
def frozen_today():
    with time_machine.travel(
        timezone.make_aware(datetime.datetime(2026, 11, 25, 10, 0)), tick=False
    ):
        yield TODAY


def week_label(day: datetime.date) -> str:
    return economics.format_iso_week(*economics.iso_week_of(day))


def weeks_back(n: int, *, end: str = "2026-W47") -> list[str]:
    """The ``n`` ISO weeks ending with ``end``, oldest first."""
    monday, _ = economics.iso_week_bounds(*economics.parse_iso_week(end))
    return [week_label(monday - datetime.timedelta(weeks=k)) for k in range(n - 1, -1, -1)]


def submit_week(use_case, week, *, user, **changes) -> WeeklyReview:
    """Through the service: the save hook evaluates rules and signals (``HEALTHY`` figures)."""
    return submit_weekly(use_case, week, user=user, **{**HEALTHY, **changes})


def correct_week(review, *, user, **changes) -> WeeklyReview:
    return weekly_review_correct(user=user, review=review, data=changes, expected_version=None)


def submit_month(use_case, month, *, user, **costs):
    """Through the service (costs default to 0): the net value rule runs."""
    return submit_monthly(use_case, month, user=user, **costs)


def rework(rate: str) -> dict:
    """Week figures with exactly ``rate`` rework (tasks with AI 10,000)."""
    reworked = int(Decimal(rate) * 10000)
    assert Decimal(reworked) / 10000 == Decimal(rate)
    return dict(tasks_total=10000, tasks_with_ai=10000, reworked_outputs=reworked, exceptions=0)


def adoption(rate: str) -> dict:
    """Week figures with exactly ``rate`` adoption (target users 10,000)."""
    active = int(Decimal(rate) * 10000)
    assert Decimal(active) / 10000 == Decimal(rate)
    return dict(active_users=active, target_users=10000)


def make_rule(use_case=None, **fields) -> StopLossRule:
    """Rework above 15 % for one week → redesign (``tests.factories.StopLossRuleFactory``)."""
    return StopLossRuleFactory(use_case=use_case, **fields)


def default_rule(metric) -> StopLossRule:
    return StopLossRule.objects.get(use_case=None, metric=metric)
