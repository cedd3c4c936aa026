"""Month arithmetic has one home (``economics.add_months``, ``month_start``, ``month_span``): every
app that steps through months (dashboard ranges, the economics API's default range, gate
quarters, checklist months, the agenda's 90-day cut-off, the demo) goes through it."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from usecases import economics

months = st.tuples(st.integers(1, 9000), st.integers(1, 12))


def test_add_months_over_year_ends_both_ways():
    assert economics.add_months((2026, 1), -1) == (2025, 12)
    assert economics.add_months((2025, 12), 1) == (2026, 1)
    assert economics.add_months((2026, 11), 0) == (2026, 11)
    assert economics.add_months((2026, 3), -27) == (2023, 12)
    assert economics.add_months((2026, 3), 22) == (2028, 1)


def test_add_months_of_a_date_is_a_first_day():
    assert economics.add_months(datetime.date(2026, 3, 31), -1) == datetime.date(2026, 2, 1)
    assert economics.add_months(datetime.date(2026, 1, 15), -1) == datetime.date(2025, 12, 1)
    assert economics.add_months(datetime.date(2026, 12, 1), 1) == datetime.date(2027, 1, 1)


@given(start=months, n=st.integers(-1000, 1000))
def test_add_months_walks_like_months_between(start, n):
    end = economics.add_months(start, n)
    assert economics.add_months(end, -n) == start
    assert 1 <= end[1] <= 12
    if n >= 0 and end[0] <= 9999:
        listed = economics.months_between(start, end)
        assert listed[0] == start and listed[-1] == end
        assert len(listed) == n + 1 == economics.month_span(start, end)
    else:
        assert economics.month_span(start, end) == max(n + 1, 0)


def test_month_start():
    assert economics.month_start((2026, 11)) == datetime.date(2026, 11, 1)
