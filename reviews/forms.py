"""Forms of the weekly and monthly review pages.

Labels and help texts are the model fields' (``reviews.models``); the fields are the model's
``INPUT_FIELDS``. Validation is the model's ``full_clean()`` (these are ModelForms), which calls
``reviews.rules``: the same rules the API applies. Saving goes through ``reviews.services``; the
``ValidationError`` it raises comes back at its field with ``add_service_errors`` (a
``DuplicateReview``, lost in a race, as a link to the existing review).

What the pages preview as one types is ``reviews.previews``; what a refused correction differs
in, ``reviews.conflicts``.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from usecases.form_errors import add_service_errors
from usecases.models import ModelChange, UseCase
from usecases.quick_choices import ReadOnceModelChoiceField

from . import rules
from .duplicates import DuplicateReview, existing_review, linked_duplicate_message
from .models import MonthlyReview, WeeklyReview

#: Field groups of the weekly form, in page order.
WEEKLY_SECTIONS = (
    ("Week and model version", ("week", "model_version")),
    ("Adoption", ("active_users", "target_users")),
    ("Volume and quality", ("tasks_total", "tasks_with_ai", "reworked_outputs", "exceptions")),
    ("Time", ("minutes_saved_per_task", "rework_minutes_per_output", "declared_hours_saved")),
    ("Output", ("quality_score", "backlog")),
    ("Notes", ("notes", "user_barriers")),
)
MONTHLY_SECTIONS = (
    ("Period", ("month",)),
    ("Costs this month", MonthlyReview.COST_FIELDS),
    ("Notes", ("notes",)),
)


class ReviewForm(forms.ModelForm):
    """What the weekly and monthly forms share: the use case, sections, period, service errors."""

    sections: tuple

    def __init__(self, *args, use_case: UseCase, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_case = use_case
        self.instance.use_case = use_case
        self.is_correction = not self.instance._state.adding
        if self.is_correction:
            self.fields.pop(self.period_field, None)

    @property
    def period_field(self) -> str:
        return self._meta.model.period_field

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
        """The review this form's would duplicate (``duplicates.existing_review``)."""
        return existing_review(self._meta.model, use_case=self.use_case, period=period)

    def validate_unique(self):
        """One review per use case and period (a database constraint): told at the period
        field with a link to the existing review."""
        super().validate_unique()
        period = self.cleaned_data.get(self.period_field)
        if self.is_correction or not period or self.has_error(self.period_field):
            return
        existing = self.existing_review(period)
        if existing is not None:
            self.add_error(self.period_field, linked_duplicate_message(existing))

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put the field messages of a service's ``ValidationError`` at their fields."""
        if isinstance(exc, DuplicateReview):
            self.add_error(self.period_field, linked_duplicate_message(exc.existing))
        else:
            add_service_errors(self, exc)

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class WeeklyReviewForm(ReviewForm):
    """Submit a weekly review (``week`` editable)."""

    sections = WEEKLY_SECTIONS

    class Meta:
        model = WeeklyReview
        fields = ("week", *WeeklyReview.INPUT_FIELDS)
        widgets = {
            "week": forms.TextInput(attrs={"type": "week", "placeholder": "2026-W47"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "user_barriers": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"week": rules.WEEK_HELP}
        #: A use case's versions: listed and checked from one read.
        field_classes = {"model_version": ReadOnceModelChoiceField}

    #: Saved from a telemetry draft (``reviews.telemetry_drafts``): set by the draft's initial.
    from_draft = forms.BooleanField(required=False, widget=forms.HiddenInput)
    #: The draft the form was pre-filled from (``mark_measured``), for the page's notes.
    draft = None

    def __init__(self, *args, use_case: UseCase, **kwargs):
        super().__init__(*args, use_case=use_case, **kwargs)
        if self.is_correction:
            self.fields.pop("from_draft")
        version = self.fields["model_version"]
        version.queryset = ModelChange.objects.filter(use_case=use_case).order_by(
            "-effective_date", "-id"
        )
        version.empty_label = (
            "(none recorded)"
            if self.is_correction
            else "Automatic: the version in effect that week"
        )


class WeeklyCorrectionForm(WeeklyReviewForm):
    """Correct a weekly review: no ``week``; carries the version the user started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


class MonthlyReviewForm(ReviewForm):
    """Submit a monthly financial review (``month`` editable); costs are labelled with the
    currency (``VALUEGATE_CURRENCY`` unless given)."""

    sections = MONTHLY_SECTIONS

    class Meta:
        model = MonthlyReview
        fields = ("month", *MonthlyReview.INPUT_FIELDS)
        widgets = {
            "month": forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"month": rules.MONTH_HELP}

    def __init__(self, *args, use_case: UseCase, currency: str | None = None, **kwargs):
        super().__init__(*args, use_case=use_case, **kwargs)
        currency = currency or settings.VALUEGATE_CURRENCY
        for name in MonthlyReview.COST_FIELDS:
            field = self.fields[name]
            field.label = f"{field.label} ({currency})"


class MonthlyCorrectionForm(MonthlyReviewForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


def mark_measured(form: WeeklyReviewForm, draft) -> None:
    """Mark the fields telemetry measured ("measured: n traces, last at …") and those the
    workflow system pushed on ``form``."""
    if not draft or not draft.values:
        return
    form.draft = draft
    for name in draft.values:
        if name in form.fields:
            form.fields[name].measured_note = draft.note_of(name)


def mark_run_cost(form: MonthlyReviewForm, run_cost) -> None:
    """Mark the run cost measured from priced tokens ("measured: priced tokens, n models";
    an unpriced model is named, ``run_cost_drafts``)."""
    if run_cost and run_cost.note and "run_cost" in form.fields:
        form.fields["run_cost"].measured_note = run_cost.note
