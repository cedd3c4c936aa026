"""The data stop-loss rules and early-warning signals look at: one point per submitted period.

``WeekPoint``: a submitted weekly review with its rates (``economics.week_metrics``' formulas,
which do not depend on the hourly cost); ``MonthPoint``: a month with a monthly review and its
net value. Pure: no query (``reviews.series`` loads them).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from usecases import economics

from .models import WeeklyReview


@dataclass(frozen=True)
class WeekPoint:
    """One submitted weekly review, with the metrics rules and signals look at."""

    review_id: int
    week: str
    week_start: datetime.date
    adoption_rate: Decimal
    rework_rate: Decimal
    exception_share: Decimal
    quality_score: Decimal
    backlog: int = 0
    declared_hours_saved: Decimal = Decimal(0)
    #: As declared (``declared_vs_measured`` compares them with telemetry).
    active_users: int = 0
    tasks_with_ai: int = 0

    kind = "weekly"

    @property
    def period(self) -> str:
        return self.week

    @property
    def start(self) -> datetime.date:
        return self.week_start

    @property
    def week_end(self) -> datetime.date:
        return self.week_start + datetime.timedelta(days=6)

    def value(self, metric: str) -> Decimal:
        return getattr(self, metric)


@dataclass(frozen=True)
class MonthPoint:
    """One month with a monthly review, with its net value."""

    review_id: int
    month: str
    month_start: datetime.date
    net_value: Decimal

    kind = "monthly"

    @property
    def period(self) -> str:
        return self.month

    @property
    def start(self) -> datetime.date:
        return self.month_start

    def value(self, metric: str) -> Decimal:
        return self.net_value


Point = WeekPoint | MonthPoint


#: The weekly review columns a ``WeekPoint`` is made of.
WEEK_COLUMNS = ("id", "use_case_id", "week", "week_start", *WeeklyReview.KPI_FIELDS)


def week_point(row: dict) -> WeekPoint:
    """A weekly review's point: its rates are ``economics.week_metrics``' (which do not depend
    on the hourly cost)."""
    return WeekPoint(
        review_id=row["id"],
        week=row["week"],
        week_start=row["week_start"],
        **economics.week_rates(row),
        quality_score=row["quality_score"],
        backlog=row["backlog"],
        declared_hours_saved=row["declared_hours_saved"],
        active_users=row["active_users"],
        tasks_with_ai=row["tasks_with_ai"],
    )
