"""reviews.rules: the validation rules written once (model clean(), forms and API all use them).

Plain functions: no database. "Today" is passed in; 2026-11-25 is the Wednesday of 2026-W48.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from reviews import rules
from reviews.models import MonthlyReview, WeeklyReview

TODAY = datetime.date(2026, 11, 25)

# --- weeks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("week", ["2026-W47", "2026-W46", "2026-W01", "2020-W53", "2000-W01"])
def test_existing_ended_weeks_are_valid(week):
    assert rules.week_errors(week, today=TODAY) == {}


@pytest.mark.parametrize("week", [None, ""])
def test_no_week_is_left_to_the_required_check(week):
    assert rules.week_errors(week, today=TODAY) == {}


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2026-W00", "2026-W00 is not an ISO week: year 2026 has weeks 01-53"),
        ("2027-W53", "2027-W53 is not an ISO week: year 2027 has weeks 01-52"),
        ("2025-W53", "2025-W53 is not an ISO week: year 2025 has weeks 01-52"),
        ("2026-W54", "2026-W54 is not an ISO week: year 2026 has weeks 01-53"),
    ],
)
def test_weeks_that_do_not_exist(week, message):
    assert rules.week_errors(week, today=TODAY) == {"week": [message]}


@pytest.mark.parametrize(
    "week", ["2026-47", "2026-W7", "2026-w47", "26-W47", "2026-W047", " 2026-W47"]
)
def test_malformed_weeks(week):
    (message,) = rules.week_errors(week, today=TODAY)["week"]
    assert "expected YYYY-Www" in message


def test_2026_has_53_weeks_but_w53_is_in_the_future_on_25_november():
    assert rules.week_errors("2026-W53", today=TODAY) == {
        "week": ["2026-W53 ends on Sunday 3 Jan; submit it from Monday 4 Jan."]
    }
    # 2026-W53 runs from Monday 28 December 2026 to Sunday 3 January 2027.
    assert rules.week_errors("2026-W53", today=datetime.date(2027, 1, 3)) != {}
    assert rules.week_errors("2026-W53", today=datetime.date(2027, 1, 4)) == {}


def test_the_current_week_is_refused_with_the_day_it_can_be_submitted():
    """Issue 14: the unfinished week W49 was accepted on a Wednesday."""
    wednesday = datetime.date(2026, 12, 2)
    assert rules.week_errors("2026-W49", today=wednesday) == {
        "week": ["2026-W49 ends on Sunday 6 Dec; submit it from Monday 7 Dec."]
    }


def test_a_week_may_be_reviewed_from_the_monday_after_it():
    sunday = datetime.date(2026, 12, 6)  # the last day of 2026-W49
    assert rules.week_errors("2026-W49", today=sunday - datetime.timedelta(days=6)) != {}
    assert rules.week_errors("2026-W49", today=sunday) == {
        "week": ["2026-W49 ends on Sunday 6 Dec; submit it from Monday 7 Dec."]
    }
    assert rules.week_errors("2026-W49", today=sunday + datetime.timedelta(days=1)) == {}


def test_a_future_week_is_refused_the_same_way():
    assert rules.week_errors("2027-W10", today=TODAY) == {
        "week": ["2027-W10 ends on Sunday 14 Mar; submit it from Monday 15 Mar."]
    }


# --- months -----------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["2026-10", "2026-01", "2019-12", None, ""])
def test_ended_months_are_valid(month):
    assert rules.month_errors(month, today=TODAY) == {}


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "0000-05", "2026-1", "26-11", "2026/11"])
def test_malformed_months(month):
    (message,) = rules.month_errors(month, today=TODAY)["month"]
    assert "is not a month" in message


def test_the_current_month_is_refused_until_it_has_ended():
    assert rules.month_errors("2026-11", today=TODAY) == {
        "month": ["2026-11 ends on Monday 30 Nov; submit it from Tuesday 1 Dec."]
    }
    assert rules.month_errors("2026-11", today=datetime.date(2026, 11, 30)) != {}
    assert rules.month_errors("2026-11", today=datetime.date(2026, 12, 1)) == {}


def test_future_month():
    assert rules.month_errors("2026-12", today=TODAY) == {
        "month": ["2026-12 ends on Thursday 31 Dec; submit it from Friday 1 Jan."]
    }
    assert rules.month_errors("2026-12", today=datetime.date(2027, 1, 1)) == {}


def test_the_last_month_there_is_has_no_day_after_it():
    assert rules.month_errors("9999-12", today=TODAY) == {
        "month": ["9999-12 ends on Friday 31 Dec; it cannot be submitted."]
    }


# --- too early: before 2000, or more than a year before the use case went live ------------------


@pytest.mark.parametrize(
    ("call", "period", "field"),
    [(rules.week_errors, "1999-W51", "week"), (rules.month_errors, "1999-12", "month")],
)
def test_a_period_before_2000_is_refused_at_its_field(call, period, field):
    # 1999-W51 ends on Sunday 26 December 1999 (1999-W52 on 2 January 2000).
    assert call(period, today=TODAY) == {field: [f"{period} is before 2000: check the year."]}


@pytest.mark.parametrize(
    ("call", "too_early", "early_enough", "field"),
    [
        (rules.week_errors, "2024-W52", "2025-W01", "week"),  # Sundays 29 Dec 2024, 5 Jan 2025
        (rules.month_errors, "2024-12", "2025-01", "month"),  # last days 31 Dec, 31 Jan
    ],
)
def test_a_period_more_than_a_year_before_going_live_is_refused(
    call, too_early, early_enough, field
):
    live_since = datetime.date(2026, 1, 1)  # minus 365 days: 1 January 2025
    assert call(too_early, today=TODAY, live_since=live_since) == {
        field: [
            f"{too_early} is more than a year before the use case went live (2026-01-01): "
            "check the year."
        ]
    }
    assert call(early_enough, today=TODAY, live_since=live_since) == {}
    assert call(too_early, today=TODAY) == {}  # no live_since: only the 2000 floor


@pytest.mark.parametrize(
    ("call", "period", "live_since", "field"),
    [
        # 2025-W01 ends on Sunday 5 January 2025, exactly 365 days before 5 January 2026.
        (rules.week_errors, "2025-W01", datetime.date(2026, 1, 5), "week"),
        # 2025-01 ends on 31 January 2025, exactly 365 days before 31 January 2026.
        (rules.month_errors, "2025-01", datetime.date(2026, 1, 31), "month"),
    ],
)
def test_a_period_ending_exactly_a_year_before_going_live_is_accepted(
    call, period, live_since, field
):
    """Only a period ending *more* than ``PRE_LIVE_DAYS`` before going live is refused: one
    ending exactly 365 days before is accepted, and refused once going live is a day later."""
    assert call(period, today=TODAY, live_since=live_since) == {}
    later = live_since + datetime.timedelta(days=1)
    assert call(period, today=TODAY, live_since=later) == {
        field: [
            f"{period} is more than a year before the use case went live ({later:%Y-%m-%d}): "
            "check the year."
        ]
    }


# --- weekly figures ---------------------------------------------------------------------------

VALID = {
    "active_users": 70,
    "target_users": 100,
    "tasks_total": 1000,
    "tasks_with_ai": 800,
    "reworked_outputs": 80,
    "exceptions": 30,
    "minutes_saved_per_task": Decimal("2.5"),
    "rework_minutes_per_output": Decimal("6"),
    "quality_score": Decimal("91.5"),
    "backlog": 40,
    "declared_hours_saved": Decimal("30"),
}


def test_valid_figures():
    assert rules.weekly_figures_errors(VALID) == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("active_users", -1),
        ("tasks_total", -1),
        ("reworked_outputs", -1),
        ("exceptions", -1),
        ("backlog", -1),
        ("minutes_saved_per_task", Decimal(-1)),
        ("rework_minutes_per_output", Decimal(-1)),
        ("declared_hours_saved", Decimal(-1)),
        ("quality_score", Decimal("-0.01")),
        ("quality_score", Decimal("100.01")),
    ],
)
def test_a_value_out_of_its_own_range_is_its_fields_to_tell_once(field, value):
    """Issue 16: the range is the model field's validators; the rules saying it again made the
    form show two messages for one value."""
    assert field not in rules.weekly_figures_errors({**VALID, field: value})
    with pytest.raises(ValidationError) as raised:
        WeeklyReview._meta.get_field(field).run_validators(value)
    assert len(raised.value.messages) == 1


def test_target_users_must_be_positive():
    assert rules.weekly_figures_errors({**VALID, "target_users": 0}) == {
        "target_users": ["Target users must be at least 1 to measure adoption."]
    }


def test_active_users_cannot_exceed_target_users():
    errors = rules.weekly_figures_errors({**VALID, "active_users": 101})
    assert errors == {
        "active_users": [
            "Active users (101) cannot exceed target users (100): adoption cannot be above "
            "100 %. Correct one of the two."
        ]
    }
    assert rules.weekly_figures_errors({**VALID, "active_users": 100}) == {}  # 100 % adoption
    assert rules.weekly_figures_errors({**VALID, "target_users": 69}) == {
        "active_users": [
            "Active users (70) cannot exceed target users (69): adoption cannot be above "
            "100 %. Correct one of the two."
        ]
    }


@pytest.mark.parametrize("missing", ["active_users", "target_users"])
def test_active_users_are_not_compared_with_a_missing_target(missing):
    assert rules.weekly_figures_errors({**VALID, "active_users": 500, missing: None}) == {}


def test_tasks_with_ai_cannot_exceed_tasks_total():
    errors = rules.weekly_figures_errors({**VALID, "tasks_total": 799})
    assert errors == {"tasks_with_ai": ["Tasks with AI (800) cannot exceed tasks in total (799)."]}
    assert rules.weekly_figures_errors({**VALID, "tasks_total": 800}) == {}


def test_reworked_cannot_exceed_tasks_with_ai():
    errors = rules.weekly_figures_errors({**VALID, "reworked_outputs": 801})
    assert errors == {
        "reworked_outputs": ["Reworked outputs (801) cannot exceed tasks with AI (800)."]
    }
    assert rules.weekly_figures_errors({**VALID, "reworked_outputs": 800}) == {}


def test_exceptions_cannot_exceed_tasks_total():
    errors = rules.weekly_figures_errors({**VALID, "exceptions": 1001})
    assert errors == {"exceptions": ["Exceptions (1001) cannot exceed tasks in total (1000)."]}
    assert rules.weekly_figures_errors({**VALID, "exceptions": 1000}) == {}


@pytest.mark.parametrize("score", [Decimal("0"), Decimal("100")])
def test_quality_score_bounds_are_valid(score):
    WeeklyReview._meta.get_field("quality_score").run_validators(score)
    assert rules.weekly_figures_errors({**VALID, "quality_score": score}) == {}


def test_missing_values_skip_the_cross_field_rules():
    """A missing field is reported by the field's own "required" check, not here."""
    assert rules.weekly_figures_errors({"tasks_with_ai": 5}) == {}
    assert rules.weekly_figures_errors({"tasks_total": None, "tasks_with_ai": 5}) == {}


def test_several_errors_at_once():
    errors = rules.weekly_figures_errors(
        {**VALID, "tasks_total": 10, "exceptions": 11, "quality_score": Decimal(101)}
    )
    assert set(errors) == {"tasks_with_ai", "exceptions"}


# --- monthly costs, model version, duplicates -------------------------------------------------


@pytest.mark.parametrize("field", MonthlyReview.COST_FIELDS)
def test_monthly_costs_cannot_be_negative(field):
    cost = MonthlyReview._meta.get_field(field)
    cost.run_validators(Decimal(0))
    with pytest.raises(ValidationError) as raised:
        cost.run_validators(Decimal("-0.01"))
    assert raised.value.messages == ["Ensure this value is greater than or equal to 0."]


class _Change:
    def __init__(self, use_case_id):
        self.use_case_id = use_case_id


def test_model_version_must_belong_to_the_use_case():
    assert rules.model_version_errors(None, 1) == {}
    assert rules.model_version_errors(_Change(1), 1) == {}
    assert rules.model_version_errors(_Change(2), 1) == {
        "model_version": ["This version belongs to another use case's change log."]
    }
