"""``reviews.selectors``: per-month and per-range review totals aggregated in SQL."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.selectors import (
    monthly_totals,
    monthly_totals_and_reviewed,
    weighted_totals,
    weighted_totals_with_subset,
)
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from usecases import economics
from usecases.models import BusinessCase

OCT = datetime.date(2026, 10, 1)
NOV = datetime.date(2026, 11, 1)


def weekly(use_case, week, *, tasks_with_ai, minutes, reworked=0, rework_minutes="0"):
    return WeeklyReviewFactory(
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
    return MonthlyReviewFactory(
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


def test_monthly_totals_and_reviewed_months(reviews, use_case, other_use_case):
    with CaptureQueriesContext(connection) as queries:
        totals, reviewed = monthly_totals_and_reviewed(start=OCT, end=NOV)
    assert len(queries) == 2
    assert totals == monthly_totals(start=OCT, end=NOV)
    # November of use_case has weekly reviews only: not a reviewed month.
    assert reviewed == {(use_case.pk, OCT), (other_use_case.pk, NOV)}


def _engine_weighted(use_case, totals):
    return economics.weighted(totals, BusinessCase.objects.get(use_case=use_case).inputs())


def test_weighted_totals_per_group_equal_the_engine(reviews, use_case, other_use_case):
    BusinessCase.objects.filter(use_case=other_use_case).update(
        hourly_cost=Decimal("61.30"), reclaimable_share=Decimal("0.8125")
    )
    by_month = monthly_totals(start=OCT, end=NOV)
    with CaptureQueriesContext(connection) as queries:
        grouped = weighted_totals(start=OCT, end=NOV, group_by=("use_case_id", "month_start"))
        whole = weighted_totals(start=OCT, end=NOV)
    assert len(queries) == 4  # two aggregate queries per call, whatever the portfolio size
    expected = {
        (uc_id, month): _engine_weighted(use_case if uc_id == use_case.pk else other_use_case, t)
        for uc_id, months in by_month.items()
        for month, t in months.items()
    }
    assert grouped == expected
    assert whole == {(): sum(expected.values(), economics.WeightedTotals())}
    by_unit = weighted_totals(start=OCT, end=NOV, group_by=("use_case__business_unit",))
    assert set(by_unit) == {(use_case.business_unit,), (other_use_case.business_unit,)}
    assert weighted_totals(start=OCT, end=OCT, use_case_ids=[other_use_case.pk]) == {}
    with pytest.raises(ValueError, match="cannot group by"):
        weighted_totals(start=OCT, end=NOV, group_by=("notes",))


def test_weighted_totals_with_subset(reviews, use_case, other_use_case):
    with CaptureQueriesContext(connection) as queries:
        whole, subset = weighted_totals_with_subset(
            start=OCT, end=NOV, subset_ids=[other_use_case.pk]
        )
    assert len(queries) == 2
    assert whole == weighted_totals(start=OCT, end=NOV)[()]
    assert subset == weighted_totals(start=OCT, end=NOV, use_case_ids=[other_use_case.pk])[()]
    assert subset.saved == 0 and subset.run_cost == Decimal("7.25")  # costs only
    assert weighted_totals_with_subset(start=OCT, end=NOV) == (whole, None)
    nothing = weighted_totals_with_subset(start=OCT, end=OCT, subset_ids=[other_use_case.pk])
    assert nothing[0] is not None and nothing[1] is None


def test_a_use_case_without_business_case_weighs_nothing(reviews, use_case):
    BusinessCase.objects.filter(use_case=use_case).delete()
    sums = weighted_totals(start=OCT, end=OCT)[()]
    assert sums.saved == 0 and sums.promise == 0
    assert sums.run_cost == Decimal("100")  # the costs still count
