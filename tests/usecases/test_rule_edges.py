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
