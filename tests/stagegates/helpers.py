"""Helpers shared by the stage gate tests (fixtures are in conftest.py)."""

import datetime
import zoneinfo
from decimal import Decimal

from stagegates import services
from tests.factories import FlagFactory, MonthlyReviewFactory, WeeklyReviewFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
TODAY = NOW.date()


def create_gate(pmo, chair=None, **over):
    """The 2026-Q4 gate created by ``pmo`` (``over`` replaces any field, ``chair`` included)."""
    data = {
        "quarter": "2026-Q4",
        "opens_on": datetime.date(2026, 11, 16),
        "closes_on": datetime.date(2026, 12, 4),
        "chair": chair,
    }
    data.update(over)
    return services.gate_create(user=pmo, data=data)


def open_voting(gate, pmo):
    return services.gate_open_voting(user=pmo, gate=gate)


def item_of(gate, use_case):
    return gate.items.select_related("gate", "use_case").get(use_case=use_case)


#: A healthy week of the gate tests (70 % adoption, 5 % rework).
WEEK_FIGURES = dict(
    active_users=70,
    target_users=100,
    tasks_total=2000,
    tasks_with_ai=1400,
    reworked_outputs=100,
    exceptions=20,
    minutes_saved_per_task=Decimal("3.0"),
    rework_minutes_per_output=Decimal("5"),
    quality_score=Decimal("85"),
    backlog=50,
)


def weekly(use_case, week, **over):
    values = {**WEEK_FIGURES, **over}
    return WeeklyReviewFactory(use_case=use_case, week=week, **values)  # a row: no stop-loss hook


def monthly(use_case, month, **over):
    values = dict(
        training_cost=Decimal("0"),
        support_cost=Decimal("800"),
        integration_cost=Decimal("0"),
        run_cost=Decimal("1200"),
        maintenance_cost=Decimal("500"),
        other_cost=Decimal("0"),
    )
    values.update(over)
    return MonthlyReviewFactory(use_case=use_case, month=month, **values)


def stop_loss_flag(use_case, period="2026-W46", **over):
    """An open stop-loss flag row (rework 20 % over 15 %)."""
    return FlagFactory(use_case=use_case, period=period, **over)
