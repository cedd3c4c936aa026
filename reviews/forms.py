"""Forms of the weekly and monthly review pages, and the figures they preview as one types.

Validation is the model's ``full_clean()`` (these are ModelForms), which calls ``reviews.rules``:
the same rules the API applies. Saving goes through ``reviews.services``; a ``ValidationError``
the service raises (a duplicate period lost in a race) is put back at its field with
``add_service_errors``.

The previews take the values *as typed* (converted, not validated), hand them to the economics
engine and list what ``reviews.rules`` says about them: nothing is computed here.
"""

import dataclasses
import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from usecases import economics
from usecases.models import BusinessCase, ModelChange, UseCase

from . import rules, services
from .models import MonthlyReview, WeeklyReview
from .selectors import COST_FIELDS, monthly_totals

WEEKLY_LABELS = {
    "week": "ISO week",
    "active_users": "Active users (people)",
    "target_users": "Target users (people)",
    "tasks_total": "Tasks in total",
    "tasks_with_ai": "Tasks done with AI",
    "reworked_outputs": "Reworked outputs",
    "exceptions": "Exceptions (manual workarounds)",
    "minutes_saved_per_task": "Minutes saved per AI task (min)",
    "rework_minutes_per_output": "Rework time per reworked output (min)",
    "quality_score": "Quality score (0–100)",
    "backlog": "Backlog at week end (items)",
    "declared_hours_saved": "Hours saved, as declared by the team (h)",
    "model_version": "Model/prompt version in use",
    "notes": "Notes",
    "user_barriers": "User barriers",
}
WEEKLY_HELP = {
    "week": "Like 2026-W47 (Monday to Sunday). Only weeks that have started.",
    "active_users": "People who used the AI in their work this week.",
    "target_users": "Headcount meant to use it; defaults to the use case's target users.",
    "tasks_total": "All tasks of the workflow this week, with or without AI.",
    "tasks_with_ai": "Tasks in which the AI was used; at most the tasks in total.",
    "reworked_outputs": "AI outputs that had to be redone or corrected; at most the tasks with AI.",
    "exceptions": "Cases that needed a manual workaround; at most the tasks in total.",
    "minutes_saved_per_task": "Measured time saved per AI task, before rework.",
    "rework_minutes_per_output": "Average time spent fixing one reworked output.",
    "quality_score": "The week's measured output quality, from 0 to 100.",
    "backlog": "Open items at the end of the week.",
    "declared_hours_saved": "What the team says it saved (compared with the measured figures).",
    "model_version": "From this use case's model/prompt log; defaults to the version in effect "
    "that week.",
    "notes": "Anything that explains this week's figures.",
    "user_barriers": "What keeps people from using it, so the barriers get closed quickly.",
}
#: Field groups of the weekly form, in page order.
WEEKLY_SECTIONS = (
    ("Week and model version", ("week", "model_version")),
    ("Adoption", ("active_users", "target_users")),
    ("Volume and quality", ("tasks_total", "tasks_with_ai", "reworked_outputs", "exceptions")),
    ("Time", ("minutes_saved_per_task", "rework_minutes_per_output", "declared_hours_saved")),
    ("Output", ("quality_score", "backlog")),
    ("Notes", ("notes", "user_barriers")),
)

MONTHLY_HELP = {
    "month": "Like 2026-11. Only months that have started.",
    "training_cost": "Training users and managers this month.",
    "support_cost": "Helpdesk and user support.",
    "integration_cost": "Integration work with other systems.",
    "run_cost": "Tokens, hosting, licences.",
    "maintenance_cost": "Including work on prompts and the instruction library.",
    "other_cost": "Anything else this use case cost this month.",
    "notes": "Anything that explains this month's costs.",
}
MONTHLY_SECTIONS = (
    ("Period", ("month",)),
    ("Costs this month", COST_FIELDS),
    ("Notes", ("notes",)),
)


#: Typed numbers from this magnitude on are not previewed (no review field holds them; the
#: field's own message says so on submit).
PREVIEW_LIMIT = 10**15


def last_complete_week(today: datetime.date) -> str:
    """The ISO week before the one holding ``today`` (it ended last Sunday)."""
    return services.week_label(today - datetime.timedelta(days=7))


def last_complete_month(today: datetime.date) -> str:
    last_day = today.replace(day=1) - datetime.timedelta(days=1)
    return economics.format_month(last_day.year, last_day.month)


def business_case_of(use_case: UseCase) -> BusinessCase:
    """The use case's business case, or an unsaved one of zeros when it has none yet."""
    try:
        return use_case.business_case
    except BusinessCase.DoesNotExist:
        return BusinessCase(use_case=use_case)


def linked_duplicate_message(message: str, existing, url_name: str):
    """The rule's duplicate message with the existing review's URL rendered as a link."""
    url = reverse(url_name, args=[existing.pk])
    for token, text in ((f"review #{existing.pk}, {url}", f"review #{existing.pk}"), (url, url)):
        before, found, after = message.partition(token)
        if found:
            return format_html('{}<a href="{}">{}</a>{}', before, url, text, after)
    return format_html('{} <a href="{}">Open review #{}</a>', message, url, existing.pk)


class ReviewForm(forms.ModelForm):
    """What the weekly and monthly forms share: the use case, sections, period, service errors."""

    period_field: str  # "week" or "month"
    sections: tuple
    edit_url_name: str

    def __init__(self, *args, use_case: UseCase, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_case = use_case
        self.instance.use_case = use_case
        self.is_correction = not self.instance._state.adding
        if self.is_correction:
            self.fields.pop(self.period_field, None)

    def field_sections(self):
        """[(legend, [bound fields])] in page order, leaving out fields this form has not."""
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.sections
        ]

    @property
    def period(self) -> str | None:
        """The review's period (fixed when correcting, as typed when submitting)."""
        if self.is_correction:
            return getattr(self.instance, self.period_field)
        value = self[self.period_field].value()
        return value.strip() if isinstance(value, str) and value.strip() else None

    def existing_review(self, period):
        if not period:
            return None
        return (
            self._meta.model.objects.filter(use_case=self.use_case, **{self.period_field: period})
            .only("pk", self.period_field, "use_case_id")
            .first()
        )

    def duplicate_error(self, existing):
        message = self.duplicate_message(existing)
        return linked_duplicate_message(message, existing, self.edit_url_name)

    def validate_unique(self):
        """One review per use case and period (a database constraint): told at the period
        field with a link to the existing review."""
        super().validate_unique()
        period = self.cleaned_data.get(self.period_field)
        if self.is_correction or not period or self.has_error(self.period_field):
            return
        existing = self.existing_review(period)
        if existing is not None:
            self.add_error(self.period_field, self.duplicate_error(existing))

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put the field messages of a service's ``ValidationError`` at their fields."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, messages in exc.message_dict.items():
            target = field if field in self.fields else None
            existing = self.existing_review(self.period) if field == self.period_field else None
            for message in messages:
                if existing is not None and message == self.duplicate_message(existing):
                    message = self.duplicate_error(existing)
                self.add_error(target, message)

    def service_data(self) -> dict:
        return dict(self.cleaned_data)

    def typed_values(self) -> dict:
        """Every field's value as typed: converted but not validated; None when empty or not a
        number. Unbound forms give their initial values."""
        values = {}
        for name, field in self.fields.items():
            try:
                value = field.to_python(self[name].value())
            except (ValidationError, TypeError, ValueError):
                value = None
            if isinstance(value, int | Decimal) and abs(value) >= PREVIEW_LIMIT:
                value = None  # no field stores it: previewing 1E999999 overflowed the engine
            values[name] = value
        return values


class WeeklyReviewForm(ReviewForm):
    """Submit a weekly review (``week`` editable)."""

    period_field = "week"
    sections = WEEKLY_SECTIONS
    edit_url_name = "reviews:weekly_edit"

    class Meta:
        model = WeeklyReview
        fields = ("week", *services.WEEKLY_FIELDS)
        labels = WEEKLY_LABELS
        help_texts = WEEKLY_HELP
        widgets = {
            "week": forms.TextInput(attrs={"type": "week", "placeholder": "2026-W47"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "user_barriers": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, use_case: UseCase, **kwargs):
        super().__init__(*args, use_case=use_case, **kwargs)
        version = self.fields["model_version"]
        version.queryset = ModelChange.objects.filter(use_case=use_case).order_by(
            "-effective_date", "-id"
        )
        version.empty_label = (
            "(none recorded)"
            if self.is_correction
            else "Automatic: the version in effect that week"
        )

    @staticmethod
    def duplicate_message(existing) -> str:
        return rules.duplicate_weekly_message(existing)


class WeeklyCorrectionForm(WeeklyReviewForm):
    """Correct a weekly review: no ``week``; carries the version the user started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


class MonthlyReviewForm(ReviewForm):
    """Submit a monthly financial review (``month`` editable)."""

    period_field = "month"
    sections = MONTHLY_SECTIONS
    edit_url_name = "reviews:monthly_edit"

    class Meta:
        model = MonthlyReview
        fields = ("month", *services.MONTHLY_FIELDS)
        help_texts = MONTHLY_HELP
        widgets = {
            "month": forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, use_case: UseCase, currency: str, **kwargs):
        super().__init__(*args, use_case=use_case, **kwargs)
        if "month" in self.fields:
            self.fields["month"].label = "Month"
        for name in COST_FIELDS:
            field = self.fields[name]
            field.label = f"{field.label} ({currency})"

    @staticmethod
    def duplicate_message(existing) -> str:
        return rules.duplicate_monthly_message(existing)


class MonthlyCorrectionForm(MonthlyReviewForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


# --- previews ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: Decimal | None  # None: an input is missing
    kind: str  # "percent" or "money"
    formula: str


@dataclasses.dataclass(frozen=True)
class Check:
    """A rule's message about a typed value, with the label of the field it is about."""

    field: str
    label: str
    message: str


@dataclasses.dataclass(frozen=True)
class PeriodInfo:
    period: str | None
    first_day: datetime.date | None = None
    last_day: datetime.date | None = None
    month: datetime.date | None = None  # weekly: the month holding its Thursday
    messages: tuple = ()  # period errors (str or safe HTML)


@dataclasses.dataclass(frozen=True)
class WeeklyPreview:
    period: PeriodInfo
    figures: list[Figure]
    checks: list[Check]
    hourly_cost: Decimal
    has_business_case: bool
    version_in_effect: ModelChange | None
    selected_version: ModelChange | None

    @property
    def version_differs(self) -> bool:
        return (
            self.selected_version is not None
            and self.version_in_effect is not None
            and self.selected_version.pk != self.version_in_effect.pk
        )


WEEK_FIGURES = (
    # key, label, kind, inputs, formula
    (
        "adoption_rate",
        "Adoption rate",
        "percent",
        ("active_users", "target_users"),
        "active users ÷ target users",
    ),
    (
        "rework_rate",
        "Rework rate",
        "percent",
        ("reworked_outputs", "tasks_with_ai"),
        "reworked outputs ÷ tasks with AI",
    ),
    (
        "exception_share",
        "Exception share",
        "percent",
        ("exceptions", "tasks_total"),
        "exceptions ÷ tasks in total",
    ),
    (
        "gross_efficiency",
        "Gross efficiency",
        "money",
        ("tasks_with_ai", "minutes_saved_per_task"),
        "tasks with AI × minutes saved ÷ 60 × hourly cost",
    ),
    (
        "rework_cost",
        "Rework cost",
        "money",
        ("reworked_outputs", "rework_minutes_per_output"),
        "reworked outputs × rework minutes ÷ 60 × hourly cost",
    ),
)


def _checks(form: ReviewForm, errors: rules.Errors) -> list[Check]:
    return [
        Check(field, str(form.fields[field].label) if field in form.fields else field, message)
        for field, messages in errors.items()
        for message in messages
    ]


def _week_info(form: ReviewForm, today: datetime.date) -> PeriodInfo:
    week = form.period
    if not week:
        return PeriodInfo(None, messages=("Enter the ISO week, e.g. 2026-W47.",))
    messages = [] if form.is_correction else rules.week_errors(week, today=today).get("week", [])
    if messages:
        return PeriodInfo(week, messages=tuple(messages))
    iso_year, iso_week = economics.parse_iso_week(week)
    monday, sunday = economics.iso_week_bounds(iso_year, iso_week)
    year, month = economics.month_of_iso_week(iso_year, iso_week)
    if not form.is_correction and (existing := form.existing_review(week)) is not None:
        messages.append(form.duplicate_error(existing))
    return PeriodInfo(week, monday, sunday, datetime.date(year, month, 1), tuple(messages))


def weekly_preview(
    form: WeeklyReviewForm, *, business_case: BusinessCase, today: datetime.date
) -> WeeklyPreview:
    """The five per-week figures of the typed values (``economics.week_metrics`` at the business
    case's hourly cost), what the rules say about them, and the week they are for."""
    values = form.typed_values()
    if values.get("target_users") is None:
        values["target_users"] = form.use_case.target_users
    hourly_cost = business_case.hourly_cost
    numbers = {
        f.name: values.get(f.name) if values.get(f.name) is not None else 0
        for f in dataclasses.fields(economics.WeekFigures)
    }
    metrics = economics.week_metrics(economics.WeekFigures(**numbers), hourly_cost)
    figures = [
        Figure(
            key,
            label,
            getattr(metrics, key) if all(values.get(i) is not None for i in inputs) else None,
            kind,
            formula,
        )
        for key, label, kind, inputs, formula in WEEK_FIGURES
    ]
    period = _week_info(form, today)
    in_effect = (
        services.model_version_in_effect(form.use_case, period.period) if period.first_day else None
    )
    return WeeklyPreview(
        period=period,
        figures=figures,
        checks=_checks(form, rules.weekly_figures_errors(values)),
        hourly_cost=hourly_cost,
        has_business_case=business_case.pk is not None,
        version_in_effect=in_effect,
        selected_version=values.get("model_version"),
    )


@dataclasses.dataclass(frozen=True)
class MonthlyPreview:
    period: PeriodInfo
    figures: economics.PeriodFigures | None
    checks: list[Check]
    costs: Decimal
    weeks_in_month: list[str]
    weeks_reviewed: int
    reclaimable_share: Decimal
    has_business_case: bool


def _month_info(form: ReviewForm, today: datetime.date) -> PeriodInfo:
    month = form.period
    if not month:
        return PeriodInfo(None, messages=("Enter the month, e.g. 2026-11.",))
    messages = [] if form.is_correction else rules.month_errors(month, today=today).get("month", [])
    if messages:
        return PeriodInfo(month, messages=tuple(messages))
    first, last = economics.month_bounds(*economics.parse_month(month))
    if not form.is_correction and (existing := form.existing_review(month)) is not None:
        messages.append(form.duplicate_error(existing))
    return PeriodInfo(month, first, last, first, tuple(messages))


def monthly_preview(
    form: MonthlyReviewForm, *, business_case: BusinessCase, today: datetime.date
) -> MonthlyPreview:
    """The month's CFO figures with the typed costs: the weekly reviews of the month summed in
    SQL (``selectors.monthly_totals``), the typed costs in place of any saved ones, and
    ``economics.period_figures`` over both."""
    values = form.typed_values()
    period = _month_info(form, today)
    typed_costs = {name: values.get(name) for name in COST_FIELDS}
    figures, weeks, reviewed = None, [], 0
    if period.first_day:
        start = period.first_day
        totals = (
            monthly_totals(start=start, end=start, use_case_ids=[form.use_case.pk])
            .get(form.use_case.pk, {})
            .get(start, economics.PeriodTotals())
        )
        totals = dataclasses.replace(totals, **typed_costs)
        figures = economics.period_figures(totals, business_case.inputs())
        weeks = [economics.format_iso_week(*w) for w in economics.iso_weeks_of_month(*_ym(start))]
        reviewed = WeeklyReview.objects.filter(use_case=form.use_case, month_start=start).count()
    return MonthlyPreview(
        period=period,
        figures=figures,
        checks=_checks(form, rules.monthly_costs_errors(values)),
        costs=economics.PeriodTotals(**typed_costs).costs,
        weeks_in_month=weeks,
        weeks_reviewed=reviewed,
        reclaimable_share=business_case.reclaimable_share,
        has_business_case=business_case.pk is not None,
    )


def _ym(day: datetime.date) -> tuple[int, int]:
    return day.year, day.month


# --- conflicts --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Difference:
    label: str
    yours: str
    current: str


@dataclasses.dataclass(frozen=True)
class Conflict:
    """A correction refused because the review changed meanwhile (``StaleVersionError``)."""

    current: object  # the review as it is now
    by_you: bool
    differences: list[Difference]


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def conflict_of(form: ReviewForm, current, *, user) -> Conflict:
    """What the user typed that differs from the current review (so they can re-apply it)."""
    differences = [
        Difference(str(form.fields[name].label), _shown(value), _shown(getattr(current, name)))
        for name, value in form.cleaned_data.items()
        if name in form._meta.fields
        and name != form.period_field
        and _shown(value) != _shown(getattr(current, name))
    ]
    return Conflict(current, current.updated_by_id == user.pk, differences)
