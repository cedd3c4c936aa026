"""Fixtures for the REST API tests: an API client per role, time frozen on 2026-11-25, reviews.

Wednesday 25 November 2026 is in ISO week 2026-W48: weeks up to W48 and months up to 2026-11
may be reviewed; 2026-W49 and 2026-12 are in the future.
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.conftest import ROLES  # noqa: F401 (every role and "anonymous", for the API tests)
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory

TODAY = datetime.date(2026, 11, 25)
NOW = datetime.datetime(2026, 11, 25, 10, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


@pytest.fixture
def api_for(role_users):
    """``api_for("owner")`` → an APIClient logged in (session) as that role; "anonymous": none.

    A session login loads a fresh user per request, so no role cache survives between requests.
    """

    def make(role):
        client = APIClient()
        if role != "anonymous":
            client.force_login(role_users[role])
        return client

    return make


WEEKLY_VALUES = dict(
    active_users=70,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=80,
    exceptions=30,
    minutes_saved_per_task=Decimal("2.50"),
    rework_minutes_per_output=Decimal("6.00"),
    quality_score=Decimal("91.50"),
    backlog=40,
    declared_hours_saved=Decimal("30.00"),
)
MONTHLY_VALUES = dict(
    training_cost=Decimal("500.00"),
    support_cost=Decimal("800.00"),
    integration_cost=Decimal("300.00"),
    run_cost=Decimal("1200.00"),
    maintenance_cost=Decimal("400.00"),
    other_cost=Decimal("100.00"),
)


def weekly_payload(use_case, week="2026-W47", **overrides):
    """A valid JSON body for POST weekly-reviews/."""
    data = {"use_case": use_case.pk, "week": week}
    data.update({k: str(v) if isinstance(v, Decimal) else v for k, v in WEEKLY_VALUES.items()})
    data.update(notes="Busy week.", user_barriers="Two teams still on the old macro.")
    data.update(overrides)
    return data


def monthly_payload(use_case, month="2026-10", **overrides):
    data = {"use_case": use_case.pk, "month": month, "notes": ""}
    data.update({k: str(v) for k, v in MONTHLY_VALUES.items()})
    data.update(overrides)
    return data


def make_weekly(use_case, week, user=None, **overrides):
    """A weekly review row (setup: no validation, no stop-loss hook; see tests/factories.py)."""
    return WeeklyReviewFactory(
        use_case=use_case, week=week, submitted_by=user, **{**WEEKLY_VALUES, **overrides}
    )


def make_monthly(use_case, month, user=None, **overrides):
    """A monthly review row (setup: no validation, no stop-loss hook)."""
    return MonthlyReviewFactory(
        use_case=use_case, month=month, submitted_by=user, **{**MONTHLY_VALUES, **overrides}
    )
