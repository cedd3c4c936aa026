"""The dashboard's SQL adds up plain sums with the engine's coefficients (``economics.WEIGHTS``,
``NET_VALUE_X60``, ``RATES``, ``WEEKLY_QUANTITIES``): over random portfolios its sort keys and
totals equal the engine's figures computed in Python from the same reviews.

Random portfolios: several use cases, each with a random business case or none at all, random
weekly reviews inside and outside the range (target users 0, no task with AI...), random monthly
reviews, and use cases without any review in the range. On PostgreSQL the net value key is exact
(NUMERIC products and sums, no division); SQLite adds floats, so it is compared with a tolerance.
"""

import dataclasses
import datetime
import decimal
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio import dashboard
from reviews.models import MonthlyReview, WeeklyReview, weekly_period_dates
from reviews.selectors import weighted_totals_with_subset
from tests.conftest import make_use_case
from usecases import economics
from usecases.models import BusinessCase

pytestmark = pytest.mark.django_db

RANGE = dashboard.MonthRange(datetime.date(2026, 8, 1), datetime.date(2026, 10, 1))
WEEKS = [f"2026-W{n:02d}" for n in range(27, 50)]  # July to early December: some outside
MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


def places(high, digits):
    return st.decimals(min_value=0, max_value=high, places=digits, allow_nan=False)


counts = st.integers(0, 5000)
week_values = st.fixed_dictionaries(
    {
        "active_users": st.integers(0, 500),
        "target_users": st.sampled_from([0, 0, 1, 80, 100, 333]),
        "tasks_total": counts,
        "tasks_with_ai": st.sampled_from([0]) | counts,
        "reworked_outputs": st.integers(0, 900),
        "exceptions": st.integers(0, 900),
        "minutes_saved_per_task": places(999, 2),
        "rework_minutes_per_output": places(999, 2),
        "quality_score": places(100, 2),
        "backlog": st.integers(0, 100),
    }
)
month_values = st.fixed_dictionaries({name: places(99999, 2) for name in economics.COST_FIELDS})
business_cases = st.none() | st.fixed_dictionaries(
    {
        "baseline_minutes_per_task": places(999, 2),
        "pilot_effort_reduction": places(1, 4),
        "hourly_cost": places(999, 2),
        "reclaimable_share": places(1, 4),
    }
)
use_cases = st.fixed_dictionaries(
    {
        "business_case": business_cases,
        "weeks": st.dictionaries(st.sampled_from(WEEKS), week_values, max_size=6),
        "months": st.dictionaries(st.sampled_from(MONTHS), month_values, max_size=3),
    }
)
portfolios = st.lists(use_cases, min_size=1, max_size=5)
WEEK_FIGURES = [f.name for f in dataclasses.fields(economics.WeekFigures)]


def build(portfolio) -> list[tuple]:
    """The use cases in the database; ``(use case, business case inputs, weeks, months)``."""
    built = []
    for i, spec in enumerate(portfolio):
        uc = make_use_case(name=f"Random {i}")
        if spec["business_case"] is None:
            BusinessCase.objects.filter(use_case=uc).delete()
            bc = economics.BusinessCaseInputs(0, 0, 0, 0, 0, 0, 0, 0)
        else:
            BusinessCase.objects.filter(use_case=uc).update(**spec["business_case"])
            bc = BusinessCase.objects.get(use_case=uc).inputs()
        weekly = []
        for week, values in spec["weeks"].items():
            week_start, month_start = weekly_period_dates(week)
            weekly.append(
                WeeklyReview(
                    use_case=uc,
                    week=week,
                    week_start=week_start,
                    month_start=month_start,
                    **values,
                )
            )
        WeeklyReview.objects.bulk_create(weekly)
        monthly = [
            MonthlyReview(
                use_case=uc,
                month=month,
                month_start=economics.month_start(economics.parse_month(month)),
                **values,
            )
            for month, values in spec["months"].items()
        ]
        MonthlyReview.objects.bulk_create(monthly)
        built.append((uc, bc, weekly, monthly))
    return built


def in_range(review) -> bool:
    return RANGE.start <= review.month_start <= RANGE.end


def engine_totals(weekly, monthly) -> economics.PeriodTotals:
    """The range's totals of one use case, summed in Python by the engine."""
    return economics.PeriodTotals.from_weeks_and_costs(
        [r.figures() for r in weekly if in_range(r)],
        [r.costs() for r in monthly if in_range(r)],
    )


def close(sql_value, engine_value, *, exact_on_postgresql=True):
    if connection.vendor == "postgresql" and exact_on_postgresql:
        return Decimal(sql_value) == engine_value
    tolerance = Decimal("1e-6") * max(1, abs(engine_value))
    return abs(Decimal(str(sql_value)) - engine_value) <= tolerance


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(portfolio=portfolios)
def test_sql_sort_keys_and_totals_equal_the_engine(pmo, portfolio):
    with transaction.atomic():
        built = build(portfolio)
        rows = {
            uc.pk: uc
            for uc in dashboard.with_figures(dashboard.table_queryset(pmo), RANGE).annotate(
                net_key=dashboard.sort_key("net_value"),
                adoption_key=dashboard.sort_key("adoption"),
                rework_key=dashboard.sort_key("rework"),
            )
        }
        assert len(rows) == len(built)
        expected_figures = []
        for uc, bc, weekly, monthly in built:
            row = rows[uc.pk]
            totals = engine_totals(weekly, monthly)
            figures = economics.period_figures(totals, bc)
            expected_figures.append(figures)
            has_data = any(in_range(r) for r in [*weekly, *monthly])
            # The net value sort key: 60 × the engine's net value, NULL without data.
            assert dashboard.range_has_data(row) == has_data
            if not has_data:
                assert row.net_key is None
            else:
                x60 = economics.linear_value(economics.NET_VALUE_X60, totals, bc)
                assert close(row.net_key, x60), (row.net_key, x60)
                with decimal.localcontext(prec=economics.PRECISION):
                    assert abs(x60 / 60 - figures.net_value) < Decimal("1e-30")
            # The row's figures: the engine over the SQL range sums.
            shown = dashboard.range_figures(row)
            for name in ("gross_efficiency", "absorption_cost", "net_value"):
                assert close(getattr(shown, name), getattr(figures, name)), name
            # The rate keys: the engine's rate of the latest week (any month), NULL without one.
            latest = max(weekly, key=lambda r: r.week_start, default=None)
            for key, rate in (("adoption_key", "adoption_rate"), ("rework_key", "rework_rate")):
                if latest is None:
                    assert getattr(row, key) is None
                else:
                    expected = economics.week_rate(rate, latest)
                    assert abs(Decimal(str(getattr(row, key))) - expected) < Decimal("1e-12")

        # The totals: one weighted SQL pass = the sum of each use case's engine figures.
        some = [uc.pk for uc, *_ in built[::2]]
        weighted, subset = weighted_totals_with_subset(
            start=RANGE.start, end=RANGE.end, subset_ids=some
        )
        for sql, figures in (
            (weighted, expected_figures),
            (subset, expected_figures[::2]),
        ):
            total = economics.weighted_figures(sql or economics.WeightedTotals())
            for name in ("gross_efficiency", "absorption_cost", "net_value", "translation_gap"):
                with decimal.localcontext(prec=economics.PRECISION):
                    expected = sum((getattr(f, name) for f in figures), Decimal(0))
                tolerance = Decimal("1e-30" if connection.vendor == "postgresql" else "1e-6")
                assert abs(getattr(total, name) - expected) <= tolerance * max(1, abs(expected))
        transaction.set_rollback(True)


@settings(max_examples=300, deadline=None)
@given(
    weeks=st.lists(week_values, max_size=6),
    costs=st.lists(month_values, max_size=3),
    bc=business_cases,
)
def test_the_linear_forms_are_the_engine_figures(weeks, costs, bc):
    """``NET_VALUE_X60`` is 60 × ``period_figures``' net value and ``WEIGHTS`` is ``weighted``:
    the coefficients SQL sums with are the engine's formulas."""
    inputs = economics.BusinessCaseInputs(0, 0, 0, 0, 0, 0, 0, 0)
    if bc is not None:
        inputs = economics.BusinessCaseInputs(
            baseline_tasks_per_week=0,
            adoption_pessimistic=0,
            adoption_base=0,
            adoption_optimistic=0,
            **bc,
        )
    figures_of = [economics.WeekFigures(**{k: w[k] for k in WEEK_FIGURES}) for w in weeks]
    totals = economics.PeriodTotals.from_weeks_and_costs(
        figures_of, [economics.MonthCosts(**c) for c in costs]
    )
    x60 = economics.linear_value(economics.NET_VALUE_X60, totals, inputs)
    with decimal.localcontext(prec=economics.PRECISION):
        assert abs(x60 / 60 - economics.period_figures(totals, inputs).net_value) < Decimal("1e-30")
    weighted = economics.weighted(totals, inputs)
    figures = economics.weighted_figures(weighted)
    expected = economics.period_figures(totals, inputs)
    for name in ("gross_efficiency", "translation_gap", "absorption_cost", "net_value"):
        assert abs(getattr(figures, name) - getattr(expected, name)) < Decimal("1e-30")
