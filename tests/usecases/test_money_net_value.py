"""``money.net_value_of_period`` (the 90-day lines' months) is the net value of the rounded atom,
``Figures.of_period(...).net_value``, for any totals and business case."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from usecases import economics, money


def amounts(high, places):
    return st.decimals(min_value=-high, max_value=high, places=places, allow_nan=False)


def positive(high, places):
    return st.decimals(min_value=0, max_value=high, places=places, allow_nan=False)


totals = st.builds(
    economics.PeriodTotals,
    tasks_total=st.integers(0, 10**9),
    tasks_with_ai=st.integers(0, 10**9),
    ai_minutes_saved=amounts(10**12, 4),
    rework_minutes=amounts(10**10, 4),
    **{name: amounts(10**9, 3) for name in economics.COST_FIELDS_BY_STEP},
)
business_cases = st.builds(
    economics.BusinessCaseInputs,
    baseline_tasks_per_week=st.integers(0, 10**6),
    baseline_minutes_per_task=positive(10**4, 2),
    pilot_effort_reduction=positive(1, 4),
    hourly_cost=positive(10**4, 2),
    reclaimable_share=positive(1, 4),
    adoption_pessimistic=positive(1, 2),
    adoption_base=positive(1, 2),
    adoption_optimistic=positive(1, 2),
)


@settings(max_examples=400, deadline=None)
@given(totals, business_cases)
def test_net_value_of_period_is_the_rounded_atoms_net_value(period, bc):
    assert money.net_value_of_period(period, bc) == money.Figures.of_period(period, bc).net_value


def test_a_half_cent_in_each_part_rounds_as_the_atom_does():
    bc = economics.BusinessCaseInputs(0, 0, 0, Decimal(60), Decimal("0.5"), 0, 0, 0)
    period = economics.PeriodTotals(
        ai_minutes_saved=Decimal("0.015"),  # gross 0.015 → 0.02; translation 0.0075 → 0.01
        rework_minutes=Decimal("0.005"),  # → 0.01
        other_cost=Decimal("-0.005"),  # → −0.01
    )
    assert money.Figures.of_period(period, bc).net_value == Decimal("0.01")
    assert money.net_value_of_period(period, bc) == Decimal("0.01")
