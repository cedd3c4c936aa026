"""The figures the weekly and monthly review pages preview as one types.

The previews take the values *as typed* (converted, not validated), hand them to the economics
engine and list what the model fields' validators and ``reviews.rules`` say about them: nothing
is computed here. They read the
database (the version in effect, the month's weekly reviews, an existing review of the period),
so they are selectors of the pages, not part of the forms.
"""

import dataclasses
import datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError

from usecases import economics
from usecases.models import BusinessCase, ModelChange

from . import rules, services
from .duplicates import linked_duplicate_message
from .forms import MonthlyReviewForm, ReviewForm, WeeklyReviewForm
from .models import WEEK_FIGURE_FIELDS, MonthlyReview, WeeklyReview
from .selectors import monthly_totals

#: Typed numbers from this magnitude on are not previewed (no review field holds them; the
#: field's own message says so on submit).
PREVIEW_LIMIT = 10**15


def typed_values(form: ReviewForm) -> dict:
    """Every field's value as typed: converted but not validated; None when empty or not a
    number. Unbound forms give their initial values."""
    values = {}
    for name, field in form.fields.items():
        try:
            value = field.to_python(form[name].value())
        except (ValidationError, TypeError, ValueError):
            value = None
        if isinstance(value, int | Decimal) and abs(value) >= PREVIEW_LIMIT:
            value = None  # no field stores it: previewing 1E999999 overflowed the engine
        values[name] = value
    return values


@dataclasses.dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: Decimal | None  # None: an input is missing
    kind: str  # "percent" or "money"
    formula: str
    mark: str = ""  # "above 15.0% stop-loss": a stop-loss threshold it crosses


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


def field_errors(model, values: dict) -> rules.Errors:
    """What the model fields' own validators (non-negative, quality 0..100, digits) say about the
    typed numbers: the messages ``full_clean`` gives on submit, from the one place they are
    stated. Values that are not numbers were not converted and are left to the submit."""
    errors: rules.Errors = {}
    for name, value in values.items():
        if not isinstance(value, int | Decimal) or isinstance(value, bool):
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        try:
            field.run_validators(value)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    return errors


def _merged(*error_dicts: rules.Errors) -> rules.Errors:
    merged: rules.Errors = {}
    for errors in error_dicts:
        for field, messages in errors.items():
            merged.setdefault(field, []).extend(messages)
    return merged


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
        messages.append(linked_duplicate_message(existing))
    return PeriodInfo(week, monday, sunday, datetime.date(year, month, 1), tuple(messages))


def weekly_preview(
    form: WeeklyReviewForm, *, business_case: BusinessCase, today: datetime.date
) -> WeeklyPreview:
    """The five per-week figures of the typed values (``economics.week_metrics`` at the business
    case's hourly cost), what the rules say about them, and the week they are for."""
    values = typed_values(form)
    if values.get("target_users") is None:
        values["target_users"] = form.use_case.target_users
    hourly_cost = business_case.hourly_cost
    numbers = {
        name: values.get(name) if values.get(name) is not None else 0 for name in WEEK_FIGURE_FIELDS
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
        checks=_checks(
            form, _merged(field_errors(WeeklyReview, values), rules.weekly_figures_errors(values))
        ),
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
        messages.append(linked_duplicate_message(existing))
    return PeriodInfo(month, first, last, first, tuple(messages))


def monthly_preview(
    form: MonthlyReviewForm, *, business_case: BusinessCase, today: datetime.date
) -> MonthlyPreview:
    """The month's CFO figures with the typed costs: the weekly reviews of the month summed in
    SQL (``selectors.monthly_totals``), the typed costs in place of any saved ones, and
    ``economics.period_figures`` over both."""
    values = typed_values(form)
    period = _month_info(form, today)
    typed_costs = {name: values.get(name) for name in MonthlyReview.COST_FIELDS}
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
        checks=_checks(form, field_errors(MonthlyReview, values)),
        costs=economics.PeriodTotals(**typed_costs).costs,
        weeks_in_month=weeks,
        weeks_reviewed=reviewed,
        reclaimable_share=business_case.reclaimable_share,
        has_business_case=business_case.pk is not None,
    )


def _ym(day: datetime.date) -> tuple[int, int]:
    return day.year, day.month
