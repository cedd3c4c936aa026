"""Weekly operational reviews and monthly financial reviews."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

from usecases import clock, economics
from usecases.models import ModelChange, UseCase
from usecases.text import free_text

from . import rules

NON_NEGATIVE = [MinValueValidator(Decimal(0))]


class OnceBuiltHistoryManager(HistoryManager):
    """simple-history's ``HistoryManager``, its queryset class built once.

    simple-history reaches ``instance.history`` on every save (to write the history row), and its
    descriptor builds a new manager class there (``from_queryset``, which inspects every method
    of the queryset class): about 4 % of a review submission's CPU. The class depends on its
    arguments only, so it is built once per argument set; the manager works as before."""

    _built: dict = {}

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        key = (cls, queryset_class, class_name)
        built = cls._built.get(key)
        if built is None:
            built = cls._built[key] = super().from_queryset(queryset_class, class_name)
        return built


def audit_history() -> HistoricalRecords:
    """The audit history of a reviews model (``OnceBuiltHistoryManager``)."""
    return HistoricalRecords(history_manager=OnceBuiltHistoryManager)


class ReviewBase(models.Model):
    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="+")
    notes = free_text(blank=True)
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

    def _live_since(self):
        """The use case's go-live date (None: not live yet, or no use case set)."""
        if not self.use_case_id:
            return None
        return self.use_case.live_since


class WeeklyReview(ReviewBase):
    # No index of its own: (use_case, week) and (use_case, month_start) lead with it, and with a
    # single-column index the planner picked it for "this use case's weeks in these months",
    # reading all 104 weeks to keep 13 (make bench, dashboard sorted by net value).
    use_case = models.ForeignKey(
        UseCase, on_delete=models.CASCADE, related_name="weekly_reviews", db_index=False
    )
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
    user_barriers = free_text(blank=True)

    history = audit_history()

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

    def clean(self):
        today = clock.today()
        raise_errors(
            rules.week_errors(self.week, today=today, live_since=self._live_since())
            if self._state.adding
            else {},
            rules.weekly_figures_errors(self.__dict__),
            rules.model_version_errors(self.model_version, self.use_case_id),
        )

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
    # Indexed by (use_case, month) and (use_case, month_start), as the weekly reviews are.
    use_case = models.ForeignKey(
        UseCase, on_delete=models.CASCADE, related_name="monthly_reviews", db_index=False
    )
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

    history = audit_history()

    class Meta:
        ordering = ["use_case", "-month_start"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "month"], name="unique_monthly_review"),
        ]
        indexes = [
            models.Index(fields=["use_case", "month_start"]),
            models.Index(fields=["month_start"]),
        ]

    def __str__(self):
        return f"{self.use_case} {self.month}"

    def save(self, *args, **kwargs):
        year, month = economics.parse_month(self.month)
        self.month_start = datetime.date(year, month, 1)
        super().save(*args, **kwargs)

    def clean(self):
        raise_errors(
            rules.month_errors(self.month, today=clock.today(), live_since=self._live_since())
            if self._state.adding
            else {},
            rules.monthly_costs_errors(self.__dict__),
        )

    def costs(self) -> economics.MonthCosts:
        return economics.MonthCosts(
            training_cost=self.training_cost,
            support_cost=self.support_cost,
            integration_cost=self.integration_cost,
            run_cost=self.run_cost,
            maintenance_cost=self.maintenance_cost,
            other_cost=self.other_cost,
        )


def raise_errors(*error_dicts: rules.Errors) -> None:
    merged: rules.Errors = {}
    for errors in error_dicts:
        for field, messages in errors.items():
            merged.setdefault(field, []).extend(messages)
    if merged:
        raise ValidationError(merged)


def weekly_period_dates(week: str) -> tuple[datetime.date, datetime.date]:
    """(Monday of the ISO week, 1st of the month holding its Thursday)."""
    iso_year, iso_week = economics.parse_iso_week(week)
    monday, _sunday = economics.iso_week_bounds(iso_year, iso_week)
    year, month = economics.month_of_iso_week(iso_year, iso_week)
    return monday, datetime.date(year, month, 1)


class Metric(models.TextChoices):
    REWORK_RATE = "rework_rate", "Rework rate"
    ADOPTION_RATE = "adoption_rate", "Adoption rate"
    EXCEPTION_SHARE = "exception_share", "Exception share"
    QUALITY_SCORE = "quality_score", "Quality score"
    NET_VALUE = "net_value", "Monthly net value"


#: Metrics that are fractions 0..1 (thresholds outside 0..1 are nonsense).
FRACTION_METRICS = (Metric.REWORK_RATE, Metric.ADOPTION_RATE, Metric.EXCEPTION_SHARE)


class Comparison(models.TextChoices):
    EXCEEDS = "exceeds", "exceeds (strictly greater than)"
    FALLS_BELOW = "falls_below", "falls below (strictly less than)"


class RuleAction(models.TextChoices):
    REDESIGN = "redesign", "Return to redesign"
    FLAG_ONLY = "flag_only", "Flag only"


class StopLossRule(models.Model):
    """A stop-loss threshold. ``use_case`` empty: part of the portfolio-wide default policy;
    set: an override for that use case (it replaces the default rule(s) on the same metric)."""

    use_case = models.ForeignKey(
        UseCase, null=True, blank=True, on_delete=models.CASCADE, related_name="stop_loss_rules"
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    comparison = models.CharField(max_length=12, choices=Comparison.choices)
    threshold = models.DecimalField(max_digits=14, decimal_places=4)
    consecutive_weeks = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Breaches in a row (submitted weeks; months for net value) before it fires.",
    )
    grace_weeks = models.PositiveSmallIntegerField(
        default=0, help_text="Weeks after going live during which the rule does not fire."
    )
    action = models.CharField(
        max_length=12, choices=RuleAction.choices, default=RuleAction.REDESIGN
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audit_history()

    class Meta:
        ordering = ["use_case_id", "metric", "id"]
        indexes = [models.Index(fields=["use_case", "metric"])]

    def __str__(self):
        scope = self.use_case.name if self.use_case_id else "default policy"
        return f"{self.get_metric_display()} {self.comparison} {self.threshold} ({scope})"


class FlagKind(models.TextChoices):
    STOP_LOSS = "stop_loss", "Stop-loss breach"
    SAVINGS_BACKLOG_DIVERGENCE = "savings_backlog_divergence", "Savings without backlog reduction"
    EXCEPTIONS_GROWING = "exceptions_growing", "Exceptions growing"
    QUALITY_UNSTABLE_AFTER_CHANGE = "quality_unstable_after_change", "Quality unstable after change"
    NO_ACCOUNTABLE_OWNER = "no_accountable_owner", "No accountable owner"


class FlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class Flag(models.Model):
    """A stop-loss breach or an early-warning signal on a use case for one period.

    ``rule_key`` names the rule (``rule:<id>``) or the signal (its kind); (use case, rule_key,
    period) is unique in the database, so a flag is never raised twice for the same thing."""

    use_case = models.ForeignKey(UseCase, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=40, choices=FlagKind.choices, db_index=True)
    rule = models.ForeignKey(
        StopLossRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags"
    )
    rule_key = models.CharField(max_length=40)
    period = models.CharField(max_length=16, help_text="ISO week or month the flag is about.")
    observed_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    threshold = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    explanation = models.TextField(help_text="The flag in plain words.")
    triggered_by = models.CharField(
        max_length=60, blank=True, help_text="The review that triggered it, e.g. weekly:2026-W47."
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = free_text(blank=True)

    history = audit_history()
    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "rule_key", "period"], name="unique_flag_per_rule_and_period"
            )
        ]
        indexes = [
            models.Index(fields=["use_case", "resolved_at"]),
            models.Index(fields=["kind", "resolved_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.use_case} ({self.period})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
