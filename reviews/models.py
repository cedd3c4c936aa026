"""Weekly operational reviews and monthly financial reviews."""

import dataclasses
import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from usecases import clock, economics
from usecases.fastpaths import audit_history
from usecases.models import ModelChange, UseCase
from usecases.text import free_text

from . import rules

NON_NEGATIVE = [MinValueValidator(Decimal(0))]
#: The weekly review fields the economics engine reads (``economics.WeekFigures``).
#: A subset of ``WeeklyReview.KPI_FIELDS``, the one list (``tests/reviews/test_kpi_fields.py``).
WEEK_FIGURE_FIELDS = tuple(field.name for field in dataclasses.fields(economics.WeekFigures))


def week_figures(values: Mapping) -> economics.WeekFigures:
    """The engine's inputs of one weekly review given as a mapping (a ``.values()`` row)."""
    return economics.WeekFigures(**{name: values[name] for name in WEEK_FIGURE_FIELDS})


#: The canonical spellings of a period (ASCII digits, ``economics.format_iso_week`` /
#: ``format_month``), checked by the database: with the unique constraint on (use case, label),
#: one row per use case and week (month), whatever was typed.
CANONICAL_WEEK = r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$"
CANONICAL_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


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
    """One use case's operational figures for one ISO week.

    Its fields carry the wording every page, the API schema and the bulk import show (labels and
    help texts); ``INPUT_FIELDS`` lists what a user enters, in form order. Adding a KPI: a field
    here (with label and help text) in ``KPI_FIELDS``, its migration, and its place in the form's
    sections (``reviews/forms.py``)."""

    period_field = "week"

    # No index of its own: (use_case, week) and (use_case, month_start) lead with it, and with a
    # single-column index the planner picked it for "this use case's weeks in these months",
    # reading all 104 weeks to keep 13 (make bench, dashboard sorted by net value).
    use_case = models.ForeignKey(
        UseCase, on_delete=models.CASCADE, related_name="weekly_reviews", db_index=False
    )
    # The forms and the API say "Only weeks that have ended" (``rules.WEEK_HELP``, issue 14); this
    # text follows with the next migration of this app.
    week = models.CharField(
        "ISO week",
        max_length=8,
        help_text="Like 2026-W47 (Monday to Sunday). Only weeks that have started.",
    )
    #: Monday of the ISO week (derived from ``week``).
    week_start = models.DateField(editable=False)
    #: First day of the calendar month holding the week's Thursday (derived from ``week``).
    month_start = models.DateField(editable=False)

    active_users = models.PositiveIntegerField(
        "Active users (people)", help_text="People who used the AI in their work this week."
    )
    target_users = models.PositiveIntegerField(
        "Target users (people)",
        help_text="Headcount meant to use it; defaults to the use case's target users.",
    )
    tasks_total = models.PositiveIntegerField(
        "Tasks in total", help_text="All tasks of the workflow this week, with or without AI."
    )
    tasks_with_ai = models.PositiveIntegerField(
        "Tasks done with AI",
        help_text="Tasks in which the AI was used; at most the tasks in total.",
    )
    reworked_outputs = models.PositiveIntegerField(
        "Reworked outputs",
        help_text="AI outputs that had to be redone or corrected; at most the tasks with AI.",
    )
    exceptions = models.PositiveIntegerField(
        "Exceptions (manual workarounds)",
        help_text="Cases that needed a manual workaround; at most the tasks in total.",
    )
    minutes_saved_per_task = models.DecimalField(
        "Minutes saved per AI task (min)",
        max_digits=8,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Measured time saved per AI task, before rework.",
    )
    rework_minutes_per_output = models.DecimalField(
        "Rework time per reworked output (min)",
        max_digits=8,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Average time spent fixing one reworked output.",
    )
    quality_score = models.DecimalField(
        "Quality score (0–100)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="The week's measured output quality, from 0 to 100.",
    )
    backlog = models.PositiveIntegerField(
        "Backlog at week end (items)", help_text="Open items at the end of the week."
    )
    declared_hours_saved = models.DecimalField(
        "Hours saved, as declared by the team (h)",
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=NON_NEGATIVE,
        help_text="What the team says it saved (compared with the measured figures).",
    )
    model_version = models.ForeignKey(
        ModelChange,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Model/prompt version in use",
        help_text="From this use case's model/prompt log; defaults to the version in effect "
        "that week.",
    )
    notes = free_text(
        verbose_name="Notes", blank=True, help_text="Anything that explains this week's figures."
    )
    user_barriers = free_text(
        verbose_name="User barriers",
        blank=True,
        help_text="What keeps people from using it, so the barriers get closed quickly.",
    )

    #: Saved from a telemetry draft (``reviews.telemetry_drafts``): what the spans measured
    #: (``measured``: field → value), the fields the owner changed before saving (``changed``),
    #: and the evidence (``traces``, ``last_span_at``). Null for a review typed without a draft.
    telemetry = models.JSONField(null=True, blank=True, editable=False)

    #: The week's figures (numbers a team measures), in form order.
    KPI_FIELDS = (
        "active_users",
        "target_users",
        "tasks_total",
        "tasks_with_ai",
        "reworked_outputs",
        "exceptions",
        "minutes_saved_per_task",
        "rework_minutes_per_output",
        "quality_score",
        "backlog",
        "declared_hours_saved",
    )
    #: What a user sets on a weekly review (``use_case`` and ``week`` only on submit): the form,
    #: the API serializer, the service and the bulk import's columns are this list.
    INPUT_FIELDS = (*KPI_FIELDS, "model_version", "notes", "user_barriers")

    history = audit_history()

    class Meta:
        ordering = ["use_case", "-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "week"], name="unique_weekly_review"),
            models.CheckConstraint(
                condition=models.Q(week__regex=CANONICAL_WEEK),
                name="weekly_review_week_canonical",
                violation_error_message="The week must be written YYYY-Www in ASCII digits.",
            ),
        ]
        indexes = [
            models.Index(fields=["use_case", "month_start"]),
            models.Index(fields=["month_start"]),
            # Newest week first, then use case: the API's order (one page of 50 read from the
            # index instead of the newest week's 20,000 rows sorted, at 20,000 use cases), and
            # the overdue tracker's "which use cases reviewed this week" (``reviews.cadence``):
            # an index-only scan of one week's entries instead of a probe per use case.
            models.Index(fields=["-week_start", "use_case"], name="weekly_newest_week"),
        ]

    def __str__(self):
        return f"{self.use_case} {self.week}"

    def save(self, *args, **kwargs):
        self.set_period_starts()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The review's page: its correction form."""
        return reverse("reviews:weekly_edit", args=[self.pk])

    def set_period_starts(self) -> None:
        """The columns ``save()`` derives from the week (a fast insert sets them the same way,
        ``reviews.services._save_new``)."""
        self.week_start, self.month_start = weekly_period_dates(self.week)

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
        """The engine's inputs of this week (the fields ``economics.WeekFigures`` names)."""
        return week_figures({name: getattr(self, name) for name in WEEK_FIGURE_FIELDS})


class MonthlyReview(ReviewBase):
    """One use case's costs for one calendar month (see ``WeeklyReview`` for the field lists)."""

    period_field = "month"

    # Indexed by (use_case, month) and (use_case, month_start), as the weekly reviews are.
    use_case = models.ForeignKey(
        UseCase, on_delete=models.CASCADE, related_name="monthly_reviews", db_index=False
    )
    # The forms and the API say "Only months that have ended" (``rules.MONTH_HELP``).
    month = models.CharField(
        "Month", max_length=7, help_text="Like 2026-11. Only months that have started."
    )
    month_start = models.DateField(editable=False)
    training_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Training users and managers this month.",
    )
    support_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Helpdesk and user support.",
    )
    integration_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Integration work with other systems.",
    )
    run_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Tokens, hosting, licences.",
    )
    maintenance_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Including work on prompts and the instruction library.",
    )
    other_cost = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=NON_NEGATIVE,
        help_text="Anything else this use case cost this month.",
    )
    notes = free_text(
        verbose_name="Notes", blank=True, help_text="Anything that explains this month's costs."
    )

    #: The month's costs, in form order (summed by ``reviews.selectors``).
    COST_FIELDS = (
        "training_cost",
        "support_cost",
        "integration_cost",
        "run_cost",
        "maintenance_cost",
        "other_cost",
    )
    #: What a user sets on a monthly review (``use_case`` and ``month`` only on submit).
    INPUT_FIELDS = (*COST_FIELDS, "notes")

    history = audit_history()

    class Meta:
        ordering = ["use_case", "-month_start"]
        constraints = [
            models.UniqueConstraint(fields=["use_case", "month"], name="unique_monthly_review"),
            models.CheckConstraint(
                condition=models.Q(month__regex=CANONICAL_MONTH),
                name="monthly_review_month_canonical",
                violation_error_message="The month must be written YYYY-MM in ASCII digits.",
            ),
        ]
        indexes = [
            models.Index(fields=["use_case", "month_start"]),
            # Newest month first, then use case: as ``weekly_newest_week``.
            models.Index(fields=["-month_start", "use_case"], name="monthly_newest_month"),
        ]

    def __str__(self):
        return f"{self.use_case} {self.month}"

    def save(self, *args, **kwargs):
        self.set_period_starts()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The review's page: its correction form."""
        return reverse("reviews:monthly_edit", args=[self.pk])

    def set_period_starts(self) -> None:
        """The column ``save()`` derives from the month (see ``WeeklyReview``)."""
        year, month = economics.parse_month(self.month)
        self.month_start = datetime.date(year, month, 1)

    def clean(self):
        raise_errors(
            rules.month_errors(self.month, today=clock.today(), live_since=self._live_since())
            if self._state.adding
            else {},
        )

    def costs(self) -> economics.MonthCosts:
        return economics.MonthCosts(**{name: getattr(self, name) for name in self.COST_FIELDS})


class WeeklyMonthSum(models.Model):
    """The weekly reviews of one use case and calendar month, summed: how many there are and
    Σ of each ``economics.WEEKLY_QUANTITIES`` product (unweighted), one column per quantity of
    the same name. What the portfolio reads add up on PostgreSQL instead of the reviews
    (``reviews.month_sums``), about a quarter of the rows.

    Kept by the database, never by Python: on PostgreSQL statement-level triggers on the weekly
    reviews' table (``reviews.month_sums.trigger_sql``, created and back-filled by migrations
    ``reviews.0015`` and, with the cents, ``0016``) apply every INSERT, UPDATE, DELETE, TRUNCATE
    and COPY, whatever wrote it; a row whose count falls to 0 is deleted, so only months with a
    weekly review appear. On
    SQLite the table stays empty and the reads read the reviews.

    The sums are unweighted: each figure weighs a quantity by its use case's business case
    (``economics.WEIGHTS``: quantity × factors × coefficient, the factors the same for all of a
    use case's weeks), so Σ over a month's weeks of the weighted terms = (Σ quantity) × factors
    × coefficient, exactly in NUMERIC. The rounding rule, though, rounds each atom's weighted
    amounts on their own (``usecases.money``): those are stored, in cents (``cents_*``), kept by
    the same triggers and by triggers on the business cases' table (its weights), so the
    portfolio's rounded figures are plain sums."""

    # DO_NOTHING: a use case's weekly reviews are deleted before it (Django's cascade), and
    # the triggers delete its sums with the last of them; the foreign key checks that they did.
    use_case = models.ForeignKey(
        UseCase, on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    month_start = models.DateField()
    # No CHECK (>= 0): PostgreSQL checks an upsert's proposed row before it finds the conflict,
    # and the triggers' deltas are negative on DELETE. The tests check the invariant instead.
    review_count = models.IntegerField()
    tasks_total = models.DecimalField(max_digits=24, decimal_places=0)
    tasks_with_ai = models.DecimalField(max_digits=24, decimal_places=0)
    ai_minutes_saved = models.DecimalField(max_digits=30, decimal_places=2)
    rework_minutes = models.DecimalField(max_digits=30, decimal_places=2)
    # The atom's amount of each ``economics.WEEKLY_AMOUNTS`` step, weighted by its use case's
    # business case and rounded to a whole number of cents (``month_sums.CENTS``): what the
    # portfolio's rounded figures add up. Wide enough for the widest product of the quantities
    # and the business case's columns.
    cents_pilot_promise = models.DecimalField(max_digits=50, decimal_places=0)
    cents_adoption_gap = models.DecimalField(max_digits=50, decimal_places=0)
    cents_gross_efficiency = models.DecimalField(max_digits=50, decimal_places=0)
    cents_translation_gap = models.DecimalField(max_digits=50, decimal_places=0)
    cents_rework = models.DecimalField(max_digits=50, decimal_places=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "month_start"], name="unique_weekly_month_sum"
            ),
        ]
        indexes = [models.Index(fields=["month_start"])]

    def __str__(self):
        return f"{self.use_case_id} {self.month_start:%Y-%m}: {self.review_count} weeks"


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
        from .metric_format import rule_text  # it formats with this module's choices

        return rule_text(self)


class FlagKind(models.TextChoices):
    STOP_LOSS = "stop_loss", "Stop-loss breach"
    SAVINGS_BACKLOG_DIVERGENCE = "savings_backlog_divergence", "Savings without backlog reduction"
    EXCEPTIONS_GROWING = "exceptions_growing", "Exceptions growing"
    QUALITY_UNSTABLE_AFTER_CHANGE = "quality_unstable_after_change", "Quality unstable after change"
    NO_ACCOUNTABLE_OWNER = "no_accountable_owner", "No accountable owner"
    DECLARED_VS_MEASURED = "declared_vs_measured", "Declared differs from measured"


class FlagResolution(models.TextChoices):
    """How a flag was closed (empty while it is open)."""

    RESOLVED = "resolved", "Resolved by the PMO"
    WITHDRAWN = "withdrawn", "Withdrawn by a correction"
    RESTORED = "restored", "Resolved by the PMO, stage restored"


#: A flag *stands* for its (use case, rule/signal, period) unless it was closed after a review
#: correction withdrew its breach: resolved as withdrawn (``reviews.withdrawals``), or resolved
#: by the PMO while marked "breach withdrawn by correction" (with or without the restore). Open
#: flags, flags the PMO resolved (the breach accepted) and historical ones stand. At most one
#: standing flag per key (the partial unique constraint below): a breach that a later correction
#: brings back after a withdrawal raises a new flag; one the PMO resolved is not raised again.
STANDING = models.Q(resolved_at__isnull=True) | (
    models.Q(withdrawn_at__isnull=True) & ~models.Q(resolution_kind=FlagResolution.WITHDRAWN)
)


class FlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def standing(self):
        """The flags that hold their (use case, rule/signal, period) key (``STANDING``)."""
        return self.filter(STANDING)


class Flag(models.Model):
    """A stop-loss breach or an early-warning signal on a use case for one period.

    ``rule_key`` names the rule (``rule:<id>``) or the signal (its kind); (use case, rule_key,
    period) is unique in the database among the *standing* flags (``STANDING``), so a flag is
    never raised twice for the same thing — only again after a correction withdrew its breach."""

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
    historical = models.BooleanField(
        default=False,
        help_text=(
            "A breach or signal at a period older than the stop-loss look-back: recorded "
            "(resolved from the start), no action taken (reviews.lookback)."
        ),
    )
    resolution_kind = models.CharField(
        max_length=12, choices=FlagResolution.choices, blank=True, default=""
    )
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a review correction removed the breach while the flag stayed open "
        "(``reviews.withdrawals``): the PMO resolves it, and may restore the stage.",
    )
    withdrawal_note = free_text(blank=True)

    history = audit_history()
    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "rule_key", "period"],
                condition=STANDING,
                name="unique_standing_flag_per_rule_and_period",
            )
        ]
        indexes = [
            models.Index(fields=["use_case", "resolved_at"]),
            models.Index(fields=["kind", "resolved_at"]),
            # Newest first (``Meta.ordering``): the flags page's list and the dashboard's open
            # flags read a page of it instead of sorting every flag.
            models.Index(fields=["-raised_at", "-id"], name="flag_newest"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.use_case} ({self.period})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def withdrawn_by_correction(self) -> bool:
        """A correction removed the breach; the flag is open until the PMO resolves it."""
        return self.withdrawn_at is not None and self.resolved_at is None


# Telemetry evidence (issue 17): its own module, models of this app.
from .telemetry_models import (  # noqa: E402,F401
    IngestKey,
    ModelPrice,
    TelemetryDay,
    TelemetrySpan,
    TelemetryTokens,
    TelemetryTrace,
    TelemetryUser,
    TelemetryVersion,
    TelemetryWeek,
    WorkflowMetrics,
)
