"""A change-log entry with reviewed weeks around it, and its impact worked out by hand (not by the
code under test): ``impact_weeks(use_case)`` writes the rows, ``HAND`` holds the figures.

The change is effective Wednesday 11 November 2026 (2026-W46). Business case: H = 45 (the suite's
``BusinessCaseFactory``), so gross efficiency per task = minutes saved × 45 / 60 = minutes × 0.75.

before (W42–W45 window): W43 and W44 reviewed (W41 is outside it)
after (W46–W49 window): W46 and W47 reviewed (W50 is outside it)
October's run cost 4,000 over its 5 ISO weeks (Thursdays 1, 8, 15, 22, 29); November's 3,600
over its 4 (Thursdays 5, 12, 19, 26).

==================  =====  =====  =====  =====
week                W43    W44    W46    W47
==================  =====  =====  =====  =====
active / target     60/100 70/100 80/100 90/100
tasks with AI       600    700    800    900
reworked            60     105    40     90
exceptions / 1000   20     30     10     50
minutes saved       3      4      5      6
quality             80     84     90     86
run cost per task   4000/5/600    3600/4/800
                           4000/5/700    3600/4/900
==================  =====  =====  =====  =====
"""

import datetime
from decimal import Decimal

from tests.factories import ModelChangeFactory, MonthlyReviewFactory, WeeklyReviewFactory

EFFECTIVE = datetime.date(2026, 11, 11)

WEEKS = {
    "2026-W41": (10, 100, 5, 5, "9", "10"),  # outside the window before: ignored
    "2026-W43": (60, 600, 60, 20, "3", "80"),
    "2026-W44": (70, 700, 105, 30, "4", "84"),
    "2026-W46": (80, 800, 40, 10, "5", "90"),
    "2026-W47": (90, 900, 90, 50, "6", "86"),
    "2026-W50": (10, 100, 50, 500, "1", "10"),  # outside the window after: ignored
}

HAND = {
    "adoption_rate": (Decimal("0.65"), Decimal("0.85")),
    "rework_rate": (Decimal("0.125"), Decimal("0.075")),
    "exception_share": (Decimal("0.025"), Decimal("0.03")),
    "quality_score": (Decimal("82"), Decimal("88")),
    "gross_efficiency_per_task": (Decimal("2.625"), Decimal("4.125")),
    # (4000/5/600 + 4000/5/700) / 2 = (4/3 + 8/7) / 2 = 26/21
    "run_cost_per_task": (Decimal(26) / Decimal(21), Decimal("1.0625")),
}


def write_weeks(use_case, weeks=None):
    for week, values in (weeks or WEEKS).items():
        active, tasks_ai, reworked, exceptions, minutes, quality = values
        WeeklyReviewFactory(
            use_case=use_case,
            week=week,
            active_users=active,
            target_users=100,
            tasks_total=1000,
            tasks_with_ai=tasks_ai,
            reworked_outputs=reworked,
            exceptions=exceptions,
            minutes_saved_per_task=Decimal(minutes),
            quality_score=Decimal(quality),
        )
    MonthlyReviewFactory(use_case=use_case, month="2026-10", run_cost=Decimal("4000"))
    MonthlyReviewFactory(use_case=use_case, month="2026-11", run_cost=Decimal("3600"))


def impact_weeks(use_case, **change):
    """The reviewed weeks and the change of the module docstring; returns the change."""
    write_weeks(use_case)
    return ModelChangeFactory(
        use_case=use_case,
        version_label=change.pop("version_label", "gpt-4.1"),
        effective_date=change.pop("effective_date", EFFECTIVE),
        **change,
    )
