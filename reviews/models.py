"""Weekly operational reviews and monthly financial reviews."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from usecases import economics
from usecases.models import ModelChange, UseCase

NON_NEGATIVE = [MinValueValidator(Decimal(0))]


class ReviewBase(models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    notes = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    #: Optimistic concurrency: incremented on every correction; a stale one is refused (409).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class WeeklyReview(ReviewBase):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="weekly_reviews")
    week = models.CharField(max_length=8, help_text="ISO week, e.g. 2026-W47.")
    #: Monday of the ISO week (derived from ``week``).
    week_start = models.DateField(editable=False)
    #: First day of the calendar month holding the week's Thursday (derived from ``week``).
    month_start = models.DateField(editable=False)

    active_users = models.PositiveIntegerField()
    target_users = models.PositiveIntegerField(help_text="Defaults to the use case's target users.")
    tasks_total = models.PositiveIntegerField()
    tasks_with_ai = models.PositiveIntegerField()
    reworked_outputs = models.PositiveIntegerField()
    exceptions = models.PositiveIntegerField(help_text="Cases that needed a manual workaround.")
    minutes_saved_per_task = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Measured, before rework.",
    )
    rework_minutes_per_output = models.DecimalField(
        max_digits=8, decimal_places=2, validators=NON_NEGATIVE
    )
    quality_score = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="0–100.",
    )
    backlog = models.PositiveIntegerField(help_text="Open items at week end.")
    declared_hours_saved = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=NON_NEGATIVE,
        help_text="What the team says it saved.",
    )
    model_version = models.ForeignKey(
        ModelChange,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Model/prompt version in use (defaults to the one in effect that week).",
    )
    user_barriers = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["use_case", "-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "week"], name="unique_weekly_review"),
        ]
        indexes = [
            models.Index(fields=["use_case", "month_start"]),
            models.Index(fields=["month_start"]),
            models.Index(fields=["week_start"]),
        ]

    def __str__(self):
        return f"{self.use_case} {self.week}"

    def save(self, *args, **kwargs):
        self.week_start, self.month_start = weekly_period_dates(self.week)
        super().save(*args, **kwargs)

    def figures(self) -> economics.WeekFigures:
        return economics.WeekFigures(
            active_users=self.active_users,
            target_users=self.target_users,
            tasks_total=self.tasks_total,
            tasks_with_ai=self.tasks_with_ai,
            reworked_outputs=self.reworked_outputs,
            exceptions=self.exceptions,
            minutes_saved_per_task=self.minutes_saved_per_task,
            rework_minutes_per_output=self.rework_minutes_per_output,
        )


class MonthlyReview(ReviewBase):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="monthly_reviews")
    month = models.CharField(max_length=7, help_text="Calendar month, e.g. 2026-11.")
    month_start = models.DateField(editable=False)
    training_cost = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    support_cost = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    integration_cost = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    run_cost = models.DecimalField(
        max_digits=12, decimal_places=2, validators=NON_NEGATIVE, help_text="Tokens, hosting."
    )
    maintenance_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Including work on prompts and the instruction library.",
    )
    other_cost = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["use_case", "-month_start"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "month"], name="unique_monthly_review"),
        ]
        indexes = [models.Index(fields=["month_start"])]

    def __str__(self):
        return f"{self.use_case} {self.month}"

    def save(self, *args, **kwargs):
        year, month = economics.parse_month(self.month)
        self.month_start = datetime.date(year, month, 1)
        super().save(*args, **kwargs)

    def costs(self) -> economics.MonthCosts:
        return economics.MonthCosts(
            training_cost=self.training_cost,
            support_cost=self.support_cost,
            integration_cost=self.integration_cost,
            run_cost=self.run_cost,
            maintenance_cost=self.maintenance_cost,
            other_cost=self.other_cost,
        )


def weekly_period_dates(week: str) -> tuple[datetime.date, datetime.date]:
    """(Monday of the ISO week, 1st of the month holding its Thursday)."""
    iso_year, iso_week = economics.parse_iso_week(week)
    monday, _sunday = economics.iso_week_bounds(iso_year, iso_week)
    year, month = economics.month_of_iso_week(iso_year, iso_week)
    return monday, datetime.date(year, month, 1)
