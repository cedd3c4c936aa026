"""``reviews.selectors``: per-month and per-range review totals aggregated in SQL."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import MonthlyReview, WeeklyReview
from reviews.selectors import monthly_totals, use_case_range_totals
from usecases import economics

OCT = datetime.date(2026, 10, 1)
NOV = datetime.date(2026, 11, 1)


def weekly(use_case, week, *, tasks_with_ai, minutes, reworked=0, rework_minutes="0"):
    return WeeklyReview.objects.create(
        use_case=use_case,
        week=week,
        active_users=80,
        target_users=100,
        tasks_total=1000,
        tasks_with_ai=tasks_with_ai,
        reworked_outputs=reworked,
        exceptions=0,
        minutes_saved_per_task=Decimal(minutes),
        rework_minutes_per_output=Decimal(rework_minutes),
        quality_score=Decimal("85"),
        backlog=10,
    )


def monthly(use_case, month, *, run_cost):
    zero = Decimal(0)
    return MonthlyReview.objects.create(
        use_case=use_case,
        month=month,
        training_cost=zero,
        support_cost=Decimal("10.50"),
        integration_cost=zero,
        run_cost=Decimal(run_cost),
        maintenance_cost=zero,
        other_cost=zero,
    )


@pytest.fixture
def reviews(use_case, other_use_case):
    # 2026-W40 (Thursday 1 Oct) and W44 (Thursday 29 Oct) belong to October, W45 to November.
    weekly(use_case, "2026-W40", tasks_with_ai=100, minutes="2.5", reworked=4, rework_minutes="3")
    weekly(use_case, "2026-W44", tasks_with_ai=200, minutes="1.25")
    weekly(use_case, "2026-W45", tasks_with_ai=10, minutes="6")
    monthly(use_case, "2026-10", run_cost="100.00")
    monthly(other_use_case, "2026-11", run_cost="7.25")  # costs only, no weekly review
    weekly(other_use_case, "2026-W36", tasks_with_ai=50, minutes="1")  # September: out of range


def test_monthly_totals_per_use_case_and_month(reviews, use_case, other_use_case):
    with CaptureQueriesContext(connection) as queries:
        totals = monthly_totals(start=OCT, end=NOV)
    assert len(queries) == 2
    assert set(totals) == {use_case.pk, other_use_case.pk}
    october = totals[use_case.pk][OCT]
    assert october == economics.PeriodTotals(
        tasks_total=2000,
        tasks_with_ai=300,
        ai_minutes_saved=Decimal("500"),  # 100 × 2.5 + 200 × 1.25
        rework_minutes=Decimal("12"),
        support_cost=Decimal("10.50"),
        run_cost=Decimal("100"),
    )
    assert totals[use_case.pk][NOV] == economics.PeriodTotals(
        tasks_total=1000, tasks_with_ai=10, ai_minutes_saved=Decimal("60")
    )
    assert totals[other_use_case.pk] == {
        NOV: economics.PeriodTotals(support_cost=Decimal("10.50"), run_cost=Decimal("7.25"))
    }


def test_monthly_totals_restricted_to_use_cases(reviews, use_case, other_use_case):
    assert set(monthly_totals(start=OCT, end=NOV, use_case_ids=[other_use_case.pk])) == {
        other_use_case.pk
    }
    assert monthly_totals(start=OCT, end=OCT, use_case_ids=[]) == {}


def test_range_totals_equal_the_sum_of_the_months(reviews, use_case, other_use_case):
    by_month = monthly_totals(start=OCT, end=NOV)
    with CaptureQueriesContext(connection) as queries:
        by_range = use_case_range_totals(start=OCT, end=NOV)
    assert len(queries) == 2  # one GROUP BY use case per review kind, whatever the range
    assert by_range == {
        uc_id: sum(months.values(), economics.PeriodTotals()) for uc_id, months in by_month.items()
    }
    assert by_range[use_case.pk].ai_minutes_saved == Decimal("560")
    only_other = use_case_range_totals(start=OCT, end=NOV, use_case_ids=[other_use_case.pk])
    assert list(only_other) == [other_use_case.pk]
