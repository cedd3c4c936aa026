"""What a stop-loss evaluation is about: for each use case a ``Target`` (which week and month to
judge, which signals to look for) and the ``Trigger`` (the review being saved) its flags name.
"""

from __future__ import annotations

from dataclasses import dataclass

from usecases import economics

from .models import MonthlyReview, WeeklyReview
from .points import Point

#: ``Target.week`` / ``Target.month``: the latest submitted week / month with a monthly review.
LATEST = "latest"


@dataclass(frozen=True)
class Trigger:
    """The review an evaluation is about: ``weekly:2026-W47 (review #12)``."""

    kind: str  # "weekly" or "monthly"
    period: str
    review_id: int
    via_sweep: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.period} (review #{self.review_id})" + (
            ", sweep" if self.via_sweep else ""
        )

    @property
    def described(self) -> str:
        return f"{self.kind} review #{self.review_id}" + (", sweep" if self.via_sweep else "")

    @classmethod
    def of(cls, point: Point, *, via_sweep: bool) -> Trigger:
        return cls(point.kind, point.period, point.review_id, via_sweep)


@dataclass(frozen=True)
class Target:
    """What to evaluate for one use case.

    ``week``: evaluate the weekly-metric rules at that ISO week (``LATEST``: the latest submitted
    one); ``month``: the net-value rules at that month (``LATEST``: the latest with a monthly
    review) — only if the month has a monthly review. ``signals``: the weekly signals at
    ``week`` if it is the latest submitted week (they judge the present, not a corrected past);
    ``owner_signal``: ``no_accountable_owner`` for the current month. ``trigger``: the
    review being saved (None: the evaluated review itself, found by the sweep).
    """

    week: str | None = None
    month: str | None = None
    signals: bool = False
    owner_signal: bool = False
    trigger: Trigger | None = None

    @classmethod
    def of_review(cls, review) -> Target:
        """The save hook's target: a weekly review's week (signals too if it is the latest
        submitted week) and its month; a monthly review's month."""
        if isinstance(review, WeeklyReview):
            month = economics.format_month(review.month_start.year, review.month_start.month)
            trigger = Trigger("weekly", review.week, review.pk)
            return cls(week=review.week, month=month, signals=True, trigger=trigger)
        if isinstance(review, MonthlyReview):
            return cls(month=review.month, trigger=Trigger("monthly", review.month, review.pk))
        raise TypeError(f"not a review: {review!r}")  # pragma: no cover - a programming error
