"""stagegates.models: quarters."""

import datetime

import pytest

from stagegates.models import format_quarter, parse_quarter, quarter_bounds, quarter_of


@pytest.mark.parametrize(
    ("quarter", "first", "last"),
    [
        ("2026-Q1", "2026-01-01", "2026-03-31"),
        ("2026-Q2", "2026-04-01", "2026-06-30"),
        ("2026-Q3", "2026-07-01", "2026-09-30"),
        ("2026-Q4", "2026-10-01", "2026-12-31"),
        ("2028-Q1", "2028-01-01", "2028-03-31"),
    ],
)
def test_quarter_bounds(quarter, first, last):
    assert tuple(map(str, quarter_bounds(quarter))) == (first, last)
    assert quarter_of(datetime.date.fromisoformat(first)) == quarter
    assert quarter_of(datetime.date.fromisoformat(last)) == quarter


@pytest.mark.parametrize("text", ["2026-Q0", "2026-Q5", "2026Q4", "26-Q4", "0000-Q1", "", None])
def test_parse_quarter_rejects(text):
    with pytest.raises(ValueError):
        parse_quarter(text)


def test_format_round_trip():
    assert format_quarter(*parse_quarter("2026-Q4")) == "2026-Q4"
