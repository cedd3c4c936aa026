"""Edges of the economics engine that mutation testing found untested (``make mutate``): each test
here fails on a mutant that survived the rest of the suite."""

import datetime
from decimal import Decimal as D

import pytest

from usecases import economics
from usecases.economics import PeriodTotals, WeightedTotals

# --- months and ISO weeks: December, years 1 and 9999, year 0 ---------------------------------


def test_parse_month_accepts_december_and_rejects_month_13():
    assert economics.parse_month("2026-12") == (2026, 12)
    assert economics.parse_month("2026-01") == (2026, 1)
    with pytest.raises(ValueError, match="month 01-12"):
        economics.parse_month("2026-13")
    with pytest.raises(ValueError, match="month 01-12"):
        economics.parse_month("2026-00")


@pytest.mark.parametrize(("text", "month"), [("0001-01", (1, 1)), ("9999-12", (9999, 12))])
def test_first_and_last_supported_months(text, month):
    assert economics.parse_month(text) == month
    assert economics.format_month(*month) == text
    first, last = economics.month_bounds(*month)
    assert (first.year, first.month, first.day) == (*month, 1)
    assert last.day == 31
    assert economics.months_between(month, month) == [month]
    # 9999-12: the week after its last Thursday would be in year 10000 (OverflowError before).
    weeks = economics.iso_weeks_of_month(*month)
    assert [economics.month_of_iso_week(*w) for w in weeks] == [month] * len(weeks)


@pytest.mark.parametrize("call", ["parse", "format", "bounds", "between", "weeks"])
def test_year_0_and_10000_are_not_months(call):
    for year in (0, 10000):
        with pytest.raises(ValueError, match="0001-9999|month 01-12"):
            if call == "parse":
                economics.parse_month("0000-01" if year == 0 else "9999-13")
            elif call == "format":
                economics.format_month(year, 1)
            elif call == "bounds":
                economics.month_bounds(year, 1)
            elif call == "between":
                economics.months_between((year, 1), (2026, 1))
            else:
                economics.iso_weeks_of_month(year, 1)


def test_format_month_rejects_month_0_and_13():
    for month in (0, 13):
        with pytest.raises(ValueError, match="month 01-12"):
            economics.format_month(2026, month)


def test_first_and_last_supported_iso_weeks():
    assert economics.parse_iso_week("0001-W01") == (1, 1)
    assert economics.format_iso_week(1, 1) == "0001-W01"
    assert economics.iso_week_bounds(1, 1)[0] == datetime.date(1, 1, 1)
    # The last week whose Sunday the calendar holds; 9999-W52 ends in year 10000 and is refused
    # by the parser (issue 13: a field error, never a 500).
    assert economics.parse_iso_week("9999-W51") == (9999, 51)
    assert economics.iso_week_bounds(9999, 51)[1] == datetime.date(9999, 12, 26)
    with pytest.raises(ValueError, match="outside the supported calendar"):
        economics.parse_iso_week("9999-W52")
    with pytest.raises(ValueError, match="outside the supported calendar"):
        economics.iso_week_bounds(9999, 52)  # its Sunday is in year 10000
    for text in ("0000-W01", "0000-W52"):
        with pytest.raises(ValueError, match="year must be 0001-9999"):
            economics.parse_iso_week(text)
    with pytest.raises(ValueError, match="year must be 0001-9999"):
        economics.format_iso_week(10000, 1)


# --- sums of different kinds do not add up -----------------------------------------------------


def test_period_totals_and_weighted_totals_do_not_add():
    """Adding two different sum kinds is a TypeError, never ``None`` or a half-filled total."""
    period, weighted = PeriodTotals(tasks_total=D(1)), WeightedTotals()
    with pytest.raises(TypeError):
        period + weighted  # noqa: B018
    with pytest.raises(TypeError):
        weighted + period  # noqa: B018
    with pytest.raises(TypeError):
        period + 1  # noqa: B018
    with pytest.raises(TypeError):
        1 + period  # noqa: B018
    assert period.__add__(weighted) is NotImplemented
    assert sum([period, period]) == PeriodTotals(tasks_total=D(2))
    assert 0 + period == period


# --- found by make mutate (issue 21, "Test strength") ------------------------------------------


@pytest.mark.parametrize("text", [None, 202611, b"2026-11"])
def test_parse_month_of_a_non_string_is_a_value_error(text):
    """Not a TypeError from the regular expression: callers turn ValueError into a field error."""
    with pytest.raises(ValueError, match="is not a month"):
        economics.parse_month(text)


def test_iso_weeks_of_a_february_that_starts_on_a_friday():
    """1 February 2019 is a Friday and 2019 is not a leap year: the first Thursday is the 7th and
    the last the 28th, the month's last day (a first Thursday one day late misses W09)."""
    assert economics.iso_weeks_of_month(2019, 2) == [(2019, 6), (2019, 7), (2019, 8), (2019, 9)]


def test_an_unknown_scenario_is_named_in_the_error():
    bc = economics.BusinessCaseInputs(100, 10, D("0.5"), 60, D("0.5"), D("0.2"), D("0.5"), D("0.8"))
    assert bc.adoption("base") == D("0.5")
    with pytest.raises(ValueError) as raised:
        bc.adoption("worst")
    assert str(raised.value) == (
        "unknown scenario 'worst'; expected one of ('pessimistic', 'base', 'optimistic')"
    )


def test_month_start_and_month_span():
    assert economics.month_start((2026, 11)) == datetime.date(2026, 11, 1)
    assert economics.month_start((1, 12)) == datetime.date(1, 12, 1)
    assert economics.month_span((2026, 3), (2026, 3)) == 1
    assert economics.month_span((2025, 11), (2026, 2)) == 4
    assert economics.month_span((2024, 1), (2026, 12)) == 36
    assert economics.month_span((2026, 3), (2026, 2)) == 0
    assert economics.month_span((2026, 3), (2025, 3)) == 0  # never negative


def test_weighted_weekly_amounts_divide_each_sum_by_60_once():
    # promise, promise with AI, saved, reclaimed, rework (money × 60)
    amounts = economics.weighted_weekly_amounts(D(6000), D(4800), D(3600), D(2700), D(300))
    # pilot promise, adoption gap, gross efficiency, translation gap, rework
    assert amounts == (D(100), D(20), D(60), D(15), D(5))


def test_weighted_weekly_amounts_count_none_as_zero():
    assert economics.weighted_weekly_amounts(None, None, D(90), None, None) == (
        D(0),
        D(0),
        D("1.5"),
        D("1.5"),
        D(0),
    )
    assert economics.weighted_weekly_amounts(D(120), None, None, None, D(30)) == (
        D(2),
        D(2),
        D(0),
        D(0),
        D("0.5"),
    )


def test_weighted_amounts_are_the_waterfall_steps_in_order():
    totals = WeightedTotals(
        promise=D(6000),
        promise_with_ai=D(4800),
        saved=D(3600),
        reclaimed=D(2700),
        rework=D(300),
        training_cost=D(3),
        support_cost=D(2),
        integration_cost=D(1),
        run_cost=D(4),
        maintenance_cost=D(5),
        other_cost=D(6),
    )
    amounts = economics.weighted_amounts(totals)
    assert len(amounts) == len(economics.WEIGHTED_AMOUNT_STEPS)
    assert dict(zip(economics.WEIGHTED_AMOUNT_STEPS, amounts, strict=True)) == {
        "pilot_promise": D(100),
        "adoption_gap": D(20),
        "gross_efficiency": D(60),
        "translation_gap": D(15),
        "rework": D(5),
        "integration": D(1),
        "support": D(2),
        "training": D(3),
        "run": D(4),
        "maintenance": D(5),
        "other": D(6),
    }
    # The same amounts as the waterfall's steps of the same sums.
    by_step = {s.step: s.amount for s in economics.weighted_waterfall(totals)}
    assert [by_step[step] for step in economics.WEIGHTED_AMOUNT_STEPS] == list(amounts)


# --- found by make mutate (issue 21): the engine's error messages, the linear net value -----------


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, "expected a number, got a bool"),
        (None, TypeError, "expected a number, got NoneType"),
        ([1], TypeError, "expected a number, got list"),
        ("12 apples", ValueError, "not a number: '12 apples'"),
        ("NaN", ValueError, "not a finite number: 'NaN'"),
        (D("-Infinity"), ValueError, "not a finite number: Decimal('-Infinity')"),
        (float("inf"), ValueError, "not a finite number: inf"),
    ],
)
def test_what_is_not_a_number_is_named_in_the_error(value, error, message):
    with pytest.raises(error) as raised:
        economics.week_gross_efficiency(10, value, 60)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("year", "week", "message"),
    [
        (0, 5, "0000-W05 is not an ISO week: year must be 0001-9999"),
        (-1, 5, "week is not an ISO week: year must be 0001-9999"),
        (2026, -1, "week is not an ISO week: year 2026 has weeks 01-53"),
        (-3, -1, "week is not an ISO week: year must be 0001-9999"),
        (2026, 0, "2026-W00 is not an ISO week: year 2026 has weeks 01-53"),
    ],
)
def test_a_week_that_does_not_exist_is_named_if_it_can_be_spelled(year, week, message):
    """A negative year or week has no ``YYYY-Www`` spelling: the error says "week" instead."""
    with pytest.raises(ValueError) as raised:
        economics.format_iso_week(year, week)
    assert str(raised.value) == message


def test_the_linear_net_value_is_60_times_the_engines():
    """``NET_VALUE_X60`` (what the dashboard's SQL sums) over one use case: Σ ai minutes × H × R
    − Σ rework minutes × H − 60 × costs = 600 × 60 × 0.5 − 120 × 60 − 60 × 15 = 9,900."""
    totals = PeriodTotals(
        tasks_total=D(1000),
        tasks_with_ai=D(800),
        ai_minutes_saved=D(600),
        rework_minutes=D(120),
        training_cost=D(10),
        run_cost=D(5),
    )
    bc = economics.BusinessCaseInputs(100, 10, D("0.5"), 60, D("0.5"), D("0.2"), D("0.5"), D("0.8"))
    x60 = economics.linear_value(economics.NET_VALUE_X60, totals, bc)
    assert x60 == D(9900)
    assert x60 == 60 * economics.period_figures(totals, bc).net_value
