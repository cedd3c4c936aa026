"""The value axis of the rate and score charts (reviews/chart_axes.py): it shows every
threshold, never spans fewer than 10 points (noise does not look like a collapse), stays inside
0–100 and ends on round numbers beyond the data."""

import pytest

from reviews.chart_axes import MIN_SPAN, axis_range


def test_the_quality_chart_of_the_issue_no_longer_exaggerates():
    # Quality between 75.5 and 80: the axis was 75.5–80, so a 2-point dip filled the chart.
    axis = axis_range([75.5, 80, 77.2, 78.9])
    assert axis["max"] - axis["min"] >= MIN_SPAN
    assert axis["min"] < 75.5 and axis["max"] > 80
    assert axis["min"] % 5 == 0 and axis["max"] % 5 == 0


def test_a_threshold_is_always_in_view():
    axis = axis_range([75.5, 80], [60])
    assert axis["min"] < 60 < axis["max"]
    axis = axis_range([10, 12], [15])  # a rate below a "at most 15 %" line, both in view
    assert axis["min"] < 10 and axis["max"] > 15


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 1.5, 2], {"min": 0, "max": 10, "step": 2}),  # never below 0 for a rate
        ([96, 99.5, 100], {"min": 90, "max": 100, "step": 2}),  # never above 100
        ([55, 58], {"min": 50, "max": 65, "step": 5}),  # 10 points around the data, round ends
        ([20, 95], {"min": 0, "max": 100, "step": 20}),  # widened to a round step
    ],
)
def test_bounds_of_the_scale(values, expected):
    assert axis_range(values) == expected


def test_a_value_beyond_the_scale_is_still_shown():
    axis = axis_range([95, 130])  # adoption over 100 % (more active users than targeted)
    assert axis["max"] > 130


def test_no_data_no_axis():
    assert axis_range([None, None]) is None
    assert axis_range([]) is None
